from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import ApiKey, AuditEvent, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "jobs_per_day", "max_job_cost"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]
    exclude = ["webhook_secret"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the application, never edited by hand."""

    list_display = ["at", "action", "actor_name", "job_id", "ip", "detail"]
    list_filter = ["action"]
    search_fields = ["actor_name", "job_id", "detail", "request_id", "ip"]
    date_hierarchy = "at"
    readonly_fields = ["at", "action", "actor", "actor_name", "job_id", "ip", "request_id", "detail"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
