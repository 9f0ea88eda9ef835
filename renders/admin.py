from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.timesince import timesince
from django_q import admin as q_admin
from django_q.models import Failure, Schedule, Success

from renders import worker_heartbeat
from renders.models import IdempotencyRecord, JobAsset, JobEvent, RenderJob, WebhookDelivery, WorkerHeartbeat
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
    list_display = ["title", "owner", "state", "step", "progress_pct", "language", "encoder", "attempts", "created_at"]
    list_filter = ["state", "language", "owner", "created_at"]
    search_fields = ["title", "owner__username", "id"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id", "owner", "state", "step", "progress_pct", "attempts", "error", "error_step", "encoder", "timings",
        "duration_sec", "cost_estimate", "cost_actual", "created_at", "started_at", "finished_at", "heartbeat_at",
        "cancel_requested",
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


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """Which render-worker processes run, and when each last reported (every REAPER_EVERY_SEC)."""

    list_display = ["name", "workers", "status", "last_heartbeat", "started_at"]
    readonly_fields = ["name", "host", "pid", "workers", "started_at", "beat_at", "stopped_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="Status")
    def status(self, obj: WorkerHeartbeat) -> str:
        if obj.stopped_at:
            return "stopped"
        return "stale: no heartbeat" if worker_heartbeat.is_stale(obj) else "running"

    @admin.display(description="Last heartbeat", ordering="beat_at")
    def last_heartbeat(self, obj: WorkerHeartbeat) -> str:
        seconds = int((timezone.now() - obj.beat_at).total_seconds())
        return f"{seconds} s ago" if seconds < 120 else f"{timesince(obj.beat_at)} ago"


# --- django-q2's task pages: render work first ----------------------------------------------------
# The reaper and the YouTube scheduler run every minute, so their records bury the render tasks.
# The task pages show render (and upload) tasks unless the operator asks for housekeeping or all.


class TaskKindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("work", "Render and upload tasks"), ("housekeeping", "Scheduled housekeeping"), ("all", "All")]

    def value(self) -> str:
        return super().value() or "work"

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        scheduled = Schedule.objects.values("func")
        if self.value() == "work":
            return queryset.exclude(func__in=scheduled)
        if self.value() == "housekeeping":
            return queryset.filter(func__in=scheduled)
        return queryset


for _model, _base in ((Success, q_admin.TaskAdmin), (Failure, q_admin.FailAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(
        _model,
        type(f"{_model.__name__}Admin", (_base,), {"list_filter": (TaskKindFilter, "cluster")}),
    )
