from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django_q import admin as q_admin
from django_q.models import Failure, Schedule, Success

from renders import worker_heartbeat
from renders.downloads import serve_stored_file
from renders.models import (
    AssetKind,
    IdempotencyRecord,
    JobAsset,
    JobEvent,
    RenderJob,
    Series,
    Upload,
    WebhookDelivery,
    WorkerHeartbeat,
)
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


class OwnerFilter(admin.SimpleListFilter):
    """Filter by the owner's user name, typed: a list of every user does not scale past a few."""

    title = "owner"
    parameter_name = "owner"
    template = "admin/renders/owner_filter.html"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        value = self.value()
        return [(value, value)] if value else [("", "")]  # the list is never shown; one entry keeps it rendered

    def choices(self, changelist: Any) -> Any:
        """One entry: the other filters in force, kept as hidden fields of the typed-name form."""
        kept = []
        for key, values in changelist.get_filters_params().items():
            if key != self.parameter_name:
                kept += [(key, value) for value in (values if isinstance(values, list) else [values])]
        yield {"kept": kept, "selected": bool(self.value())}

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = (self.value() or "").strip()
        return queryset.filter(owner__username__iexact=value) if value else queryset


def _seconds_text(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


@admin.register(RenderJob)
class RenderJobAdmin(admin.ModelAdmin):
    list_display = [
        "title", "owner_link", "state", "priority", "step", "progress_pct", "language", "render_time", "short_error",
        "attempts", "created_at", "links",
    ]  # fmt: skip
    # Operators may set any priority 1-10 here (the form validates the range); a queued job's new
    # priority counts from the next claim on.
    list_editable = ["priority"]
    list_filter = ["state", "priority", "language", OwnerFilter, "created_at"]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__username", "id"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id", "owner", "state", "step", "progress_pct", "attempts", "error", "error_step", "encoder",
        "readable_timings", "render_time", "duration_sec", "cost_estimate", "cost_actual", "created_at",
        "started_at", "finished_at", "heartbeat_at", "cancel_requested", "last_error", "next_attempt_at", "links",
        "video", "version", "pieces_reused", "pieces_total",
    ]  # fmt: skip
    exclude = ["timings"]
    inlines = [JobEventInline, JobAssetInline]
    actions = ["retry_jobs", "cancel_jobs"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs start from the studio or the API, which check the plan, quotas and costs

    def has_change_permission(self, request: HttpRequest, obj: RenderJob | None = None) -> bool:
        if obj is not None and obj.is_final:
            return False  # a finished job is a record: its plan made the video it has
        return super().has_change_permission(request, obj)

    @admin.display(description="Owner", ordering="owner__username")
    def owner_link(self, obj: RenderJob) -> str:
        url = reverse("admin:renders_renderjob_changelist") + "?" + urlencode({"owner": obj.owner.get_username()})
        return format_html('<a href="{}" title="Only this owner\'s jobs">{}</a>', url, obj.owner.get_username())

    @admin.display(description="Render time", ordering="finished_at")
    def render_time(self, obj: RenderJob) -> str:
        if obj.started_at is None:
            return "–"
        end = obj.finished_at or timezone.now()
        text = _seconds_text((end - obj.started_at).total_seconds())
        return text if obj.finished_at else f"{text} so far"

    @admin.display(description="Error")
    def short_error(self, obj: RenderJob) -> str:
        if not obj.error:
            return ""
        step = f"{obj.error_step}: " if obj.error_step else ""
        return Truncator(step + obj.error).chars(90)

    @admin.display(description="Timings")
    def readable_timings(self, obj: RenderJob) -> str:
        parts = [
            f"{step} {_seconds_text(seconds)}"
            for step, seconds in (obj.timings or {}).items()
            if isinstance(seconds, int | float)
        ]
        return " · ".join(parts) or "–"

    @admin.display(description="Watch")
    def links(self, obj: RenderJob) -> str:
        if obj.pk is None:
            return ""
        return format_html('<a href="{}">job page</a>', reverse("admin:renders_renderjob_watch", args=[obj.pk]))

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<uuid:job_id>/watch/",
                self.admin_site.admin_view(self.watch_view),
                name="renders_renderjob_watch",
            ),
            path(
                "<uuid:job_id>/files/<int:asset_id>/",
                self.admin_site.admin_view(self.file_view),
                name="renders_renderjob_file",
            ),
            *super().get_urls(),
        ]

    def watch_view(self, request: HttpRequest, job_id: UUID) -> HttpResponse:
        """The job as its owner sees it, for an operator: state, error, the video, its files, the log."""
        job = get_object_or_404(RenderJob.objects.select_related("owner"), pk=job_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        assets = list(job.assets.order_by("kind", "language", "scene_index"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"{job.title} ({job.state})",
            "job": job,
            "opts": self.opts,
            "video": next((asset for asset in assets if asset.kind == AssetKind.VIDEO), None),
            "assets": assets,
            "events": list(job.events.order_by("-id")[:50]),
            "render_time": self.render_time(job),
            "timings": self.readable_timings(job),
        }
        return TemplateResponse(request, "admin/renders/job_watch.html", context)

    def file_view(self, request: HttpRequest, job_id: UUID, asset_id: int) -> HttpResponseBase:
        job = get_object_or_404(RenderJob, pk=job_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        asset = get_object_or_404(JobAsset, pk=asset_id, job=job)
        return serve_stored_file(
            request, asset.file.storage, asset.file.name, filename=asset.file.name.rsplit("/", 1)[-1]
        )

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


class SeriesJobInline(admin.TabularInline):
    model = RenderJob
    fk_name = "series"
    extra = 0
    can_delete = False
    fields = readonly_fields = ("series_position", "title", "language", "state", "progress_pct")
    ordering = ["series_position"]
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    """Read-only for operators: a series is made and canceled by its creator (renders.series_service)."""

    list_display = ["title", "owner", "start_date", "local_time", "time_zone", "every_days", "every_hours",
                    "created_at", "canceled_at"]  # fmt: skip
    list_filter = ["created_at", "canceled_at"]
    search_fields = ["title", "owner__username", "id"]
    readonly_fields = ["id", "owner", "title", "time_zone", "start_date", "local_time", "every_days", "every_hours",
                       "created_at", "canceled_at"]  # fmt: skip
    inlines = [SeriesJobInline]


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin):
    list_display = ["id", "owner", "width", "height", "format", "size_bytes", "created_at", "expires_at", "used_at"]
    list_filter = ["format", "created_at"]
    search_fields = ["id", "owner__username"]
    list_select_related = ["owner"]
