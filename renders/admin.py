from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from renders.models import IdempotencyRecord, JobAsset, JobEvent, RenderJob, WebhookDelivery
from renders.services import JobActionError, job_cancel, job_retry


class JobEventInline(admin.TabularInline):
    model = JobEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "level", "step", "message"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class JobAssetInline(admin.TabularInline):
    model = JobAsset
    extra = 0
    readonly_fields = ["kind", "language", "scene_index", "file", "size_bytes", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(RenderJob)
class RenderJobAdmin(admin.ModelAdmin):
    list_display = [
        "title", "owner", "state", "priority", "step", "progress_pct", "language", "encoder", "attempts", "created_at"
    ]  # fmt: skip
    # Operators may set any priority 1-10 here (the form validates the range); a queued job's new
    # priority counts from the next claim on.
    list_editable = ["priority"]
    list_filter = ["state", "priority", "language", "owner", "created_at"]
    search_fields = ["title", "owner__username", "id"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id", "owner", "state", "step", "progress_pct", "attempts", "error", "error_step", "encoder", "timings",
        "duration_sec", "cost_estimate", "cost_actual", "created_at", "started_at", "finished_at", "heartbeat_at",
        "cancel_requested", "last_error", "next_attempt_at",
    ]  # fmt: skip
    inlines = [JobEventInline, JobAssetInline]
    actions = ["retry_jobs", "cancel_jobs"]

    @admin.action(description="Retry selected jobs")
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet[RenderJob]) -> None:
        self._apply(request, queryset, job_retry, "retried")

    @admin.action(description="Cancel selected jobs")
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[RenderJob]) -> None:
        self._apply(request, queryset, job_cancel, "canceled")

    def _apply(self, request: HttpRequest, queryset: QuerySet[RenderJob], action: object, verb: str) -> None:
        done = 0
        for job in queryset:
            try:
                action(job=job)  # type: ignore[operator]
                done += 1
            except JobActionError as error:
                self.message_user(request, f"{job.title}: {error.message}", messages.WARNING)
        self.message_user(request, f"{done} job(s) {verb}.")


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record operators inspect but never edit: the app writes it, admin only shows it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["job", "event_state", "url", "attempt", "outcome", "status_code", "duration_ms", "at"]
    list_filter = ["outcome", "event_state", "scheduled_for"]
    search_fields = ["url", "job__id", "job__title", "event_id"]
    list_select_related = ["job"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "state", "response_status", "created_at", "expires_at"]
    list_filter = ["state", "created_at"]
    search_fields = ["key", "user__username"]
    list_select_related = ["user"]
