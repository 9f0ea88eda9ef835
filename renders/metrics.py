"""Job metrics, as JSON (/metrics) and in Prometheus' text format (/metrics/prometheus).

Every number is computed from the database at scrape time, never kept in process memory: the
web, worker and scheduler processes, on however many machines, write the same tables, so any
one web process reports the whole deployment, with nothing lost when a process restarts. (The
alternative, prometheus_client's multiprocess mode, sees one machine's processes only.)
Counters stay monotonic because job and audit rows are only ever added (retention deletes files,
not rows).
"""

from __future__ import annotations

import shutil
import statistics
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, FloatField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from accounts.models import AuditEvent
from bhakti.metrics_access import metrics_token_required
from renders.models import JobState, RenderJob
from renders.pipeline.context import STEPS

JOB_DURATION_BUCKETS = (5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)
STEP_DURATION_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
RECENT_JOBS = 1000  # the JSON view's duration statistics cover this many latest jobs
REFUSAL_ACTIONS = (
    AuditEvent.Action.RATE_LIMITED,
    AuditEvent.Action.QUOTA_EXCEEDED,
    AuditEvent.Action.AUTH_FAILED,
)


# --- Reads shared by both formats ------------------------------------------------------------------


def jobs_by_state() -> dict[str, int]:
    counts = dict.fromkeys(JobState.values, 0)
    for row in RenderJob.objects.order_by().values("state").annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    return counts


def queue_depth() -> dict[str, int]:
    """Tasks in the django-q ORM broker: waiting to be pulled, and pulled but not yet acknowledged."""
    from django_q.models import OrmQ

    now = timezone.now()
    rows = OrmQ.objects.filter(key=settings.Q_CLUSTER["name"]).aggregate(
        waiting=Count("pk", filter=Q(lock__isnull=True) | Q(lock__lt=now)),
        in_flight=Count("pk", filter=Q(lock__gte=now)),
    )
    return {"waiting": rows["waiting"] or 0, "in_flight": rows["in_flight"] or 0}


def refusal_counts() -> dict[str, int]:
    counts = dict.fromkeys(REFUSAL_ACTIONS, 0)
    for row in (
        AuditEvent.objects.filter(action__in=REFUSAL_ACTIONS).order_by().values("action").annotate(n=Count("pk"))
    ):
        counts[row["action"]] = row["n"]
    return counts


def errors_by_step() -> dict[str, int]:
    rows = (
        RenderJob.objects.filter(state=JobState.FAILED)
        .order_by()
        .values("error_step")
        .annotate(n=Count("pk"))
        .order_by("error_step")
    )
    return {row["error_step"] or "unknown": row["n"] for row in rows}


def _job_duration() -> ExpressionWrapper:
    return ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())


def job_duration_histogram() -> tuple[list[tuple[str, int]], float, int]:
    """Cumulative bucket counts, sum and count of succeeded jobs' wall time (start to finish)."""
    done = RenderJob.objects.filter(state=JobState.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False)
    aggregates: dict[str, Any] = {
        f"le_{index}": Count("pk", filter=Q(duration__lte=timedelta(seconds=bound)))
        for index, bound in enumerate(JOB_DURATION_BUCKETS)
    }
    row = done.annotate(duration=_job_duration()).aggregate(total=Sum("duration"), count=Count("pk"), **aggregates)
    buckets = [(_bound(bound), row[f"le_{index}"]) for index, bound in enumerate(JOB_DURATION_BUCKETS)]
    buckets.append(("+Inf", row["count"]))
    total = row["total"].total_seconds() if row["total"] else 0.0
    return buckets, total, row["count"]


def step_duration_histograms() -> dict[str, tuple[list[tuple[str, int]], float, int]]:
    """Per step, from RenderJob.timings (seconds per step, written by the worker at the end)."""
    done = RenderJob.objects.filter(state=JobState.SUCCEEDED)
    annotations = {f"t_{step}": Cast(KeyTextTransform(step, "timings"), FloatField()) for step in STEPS}
    aggregates: dict[str, Any] = {}
    for step in STEPS:
        aggregates[f"{step}_sum"] = Sum(f"t_{step}")
        aggregates[f"{step}_count"] = Count("pk", filter=Q(**{f"t_{step}__isnull": False}))
        for index, bound in enumerate(STEP_DURATION_BUCKETS):
            aggregates[f"{step}_le_{index}"] = Count("pk", filter=Q(**{f"t_{step}__lte": bound}))
    row = done.annotate(**annotations).aggregate(**aggregates)
    result = {}
    for step in STEPS:
        buckets = [(_bound(bound), row[f"{step}_le_{index}"]) for index, bound in enumerate(STEP_DURATION_BUCKETS)]
        buckets.append(("+Inf", row[f"{step}_count"]))
        result[step] = (buckets, float(row[f"{step}_sum"] or 0.0), row[f"{step}_count"])
    return result


def _bound(value: float) -> str:
    return f"{value:g}" if value != int(value) else f"{value:.1f}"


def _summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "mean": None, "p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "mean": round(statistics.fmean(ordered), 3),
        "p50": round(_percentile(ordered, 0.50), 3),
        "p95": round(_percentile(ordered, 0.95), 3),
        "max": round(ordered[-1], 3),
    }


def _percentile(ordered: list[float], fraction: float) -> float:
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# --- JSON ----------------------------------------------------------------------------------------


def metrics_snapshot() -> dict[str, Any]:
    states = jobs_by_state()
    succeeded, failed = states[JobState.SUCCEEDED], states[JobState.FAILED]
    recent = list(
        RenderJob.objects.filter(state=JobState.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("started_at", "finished_at", "timings")[:RECENT_JOBS]
    )
    step_values: dict[str, list[float]] = {step: [] for step in STEPS}
    for _, _, timings in recent:
        for step, seconds in (timings or {}).items():
            if step in step_values and isinstance(seconds, int | float):
                step_values[step].append(float(seconds))
    return {
        "jobs": {
            "total": sum(states.values()),
            "by_state": states,
            "started": RenderJob.objects.filter(started_at__isnull=False).count(),
            "succeeded": succeeded,
            "failed": failed,
            "canceled": states[JobState.CANCELED],
            "active": states[JobState.RUNNING],
            "queued": states[JobState.QUEUED],
        },
        "success_rate": round(succeeded / (succeeded + failed), 4) if succeeded + failed else None,
        "duration_sec": _summary([(done - start).total_seconds() for start, done, _ in recent]),
        "step_duration_sec": {step: _summary(values) for step, values in step_values.items()},
        "errors_by_step": errors_by_step(),
        "queue": queue_depth(),
        "refusals": refusal_counts(),
        "notes": f"durations: the latest {RECENT_JOBS} succeeded jobs; everything else: all time",
    }


@never_cache
@require_GET
@metrics_token_required
def metrics_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(metrics_snapshot())


# --- Prometheus ----------------------------------------------------------------------------------


class JobCollector(Collector):
    """Reads the database on every scrape (see the module docstring for why)."""

    def collect(self) -> Iterator[Any]:
        states = jobs_by_state()
        by_state = GaugeMetricFamily("bhakti_jobs", "Render jobs by current state", labels=["state"])
        for state, count in states.items():
            by_state.add_metric([state], count)
        yield by_state
        yield GaugeMetricFamily("bhakti_jobs_active", "Render jobs running now", value=states[JobState.RUNNING])

        started_count = RenderJob.objects.filter(started_at__isnull=False).count()
        started = CounterMetricFamily("bhakti_jobs_started", "Render jobs that started at least once")
        started.add_metric([], started_count)
        yield started
        finished = CounterMetricFamily("bhakti_jobs_finished", "Render jobs that ended, by outcome", labels=["state"])
        for state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED):
            finished.add_metric([state], states[state])
        yield finished

        failures = CounterMetricFamily(
            "bhakti_job_failures", "Failed render jobs by the step that failed", labels=["step"]
        )
        errors = errors_by_step()
        for step, count in errors.items():
            failures.add_metric([step], count)
        yield failures

        depth = queue_depth()
        queue = GaugeMetricFamily("bhakti_queue_depth", "Tasks in the django-q broker", labels=["status"])
        queue.add_metric(["waiting"], depth["waiting"])
        queue.add_metric(["in_flight"], depth["in_flight"])
        yield queue

        buckets, total, _ = job_duration_histogram()
        job_histogram = HistogramMetricFamily(
            "bhakti_job_duration_seconds", "Wall time of succeeded render jobs, start to finish"
        )
        job_histogram.add_metric([], buckets, total)
        yield job_histogram

        step_histogram = HistogramMetricFamily(
            "bhakti_step_duration_seconds", "Time spent in each pipeline step of succeeded jobs", labels=["step"]
        )
        steps_read = step_duration_histograms()
        for step, (step_buckets, step_total, _) in steps_read.items():
            step_histogram.add_metric([step], step_buckets, step_total)
        yield step_histogram

        refusals = refusal_counts()
        for action, name, help_text in (
            (AuditEvent.Action.RATE_LIMITED, "bhakti_rate_limit_hits", "Requests refused by a rate limit (HTTP 429)"),
            (AuditEvent.Action.QUOTA_EXCEEDED, "bhakti_quota_violations", "Jobs refused by a quota or cost limit"),
            (AuditEvent.Action.AUTH_FAILED, "bhakti_auth_failures", "Failed logins and API authentications"),
        ):
            counter = CounterMetricFamily(name, help_text)
            counter.add_metric([], refusals[action])
            yield counter

        yield from operator_families(
            states=states, started=started_count, errors=errors, steps_read=steps_read, refusals=refusals
        )


# --- The names operators' dashboards already query ---------------------------------------------
# (the series the designs Bhakti grew from exported). Same database reads, with their
# names and labels: `status` success|error, `render_mode` PROXY|FINAL, `error_type` the failed
# step. Beside them what the alert rules need: job timeouts, free disk, provider 429s, YouTube
# upload failures (deploy/prometheus/alerts.yml).

OPERATOR_DURATION_BUCKETS = (30.0, 60.0, 120.0, 180.0, 300.0, 450.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0)
TIMEOUT_ACTIONS = (AuditEvent.Action.JOB_REQUEUED, AuditEvent.Action.JOB_REAPED)


def job_duration_by_outcome() -> dict[tuple[str, str], tuple[list[tuple[str, int]], float, int]]:
    """Histogram per (status, render_mode) of finished jobs' wall time, start to finish."""
    finished = RenderJob.objects.filter(
        state__in=(JobState.SUCCEEDED, JobState.FAILED), started_at__isnull=False, finished_at__isnull=False
    )
    aggregates: dict[str, Any] = {
        f"le_{index}": Count("pk", filter=Q(duration__lte=timedelta(seconds=bound)))
        for index, bound in enumerate(OPERATOR_DURATION_BUCKETS)
    }
    rows = (
        finished.annotate(duration=_job_duration(), mode=KeyTextTransform("mode", "plan"))
        .order_by()
        .values("state", "mode")
        .annotate(total=Sum("duration"), count=Count("pk"), **aggregates)
    )
    result: dict[tuple[str, str], tuple[list[tuple[str, int]], float, int]] = {}
    for row in rows:
        status = "success" if row["state"] == JobState.SUCCEEDED else "error"
        mode = "PROXY" if row["mode"] == "proxy" else "FINAL"
        buckets = [(_bound(bound), row[f"le_{index}"]) for index, bound in enumerate(OPERATOR_DURATION_BUCKETS)]
        buckets.append(("+Inf", row["count"]))
        total = row["total"].total_seconds() if row["total"] else 0.0
        previous = result.get((status, mode))
        if previous:  # "final" and a missing mode both read FINAL: add them up
            buckets = [(le, n + m) for (le, n), (_, m) in zip(buckets, previous[0], strict=True)]
            total += previous[1]
        result[(status, mode)] = (buckets, total, buckets[-1][1])
    return result


OPERATOR_AUDIT_ACTIONS = (*TIMEOUT_ACTIONS, AuditEvent.Action.PROVIDER_THROTTLED, AuditEvent.Action.YOUTUBE_FAILED)


def audit_counts_by_detail() -> dict[str, dict[str, int]]:
    """Per action in OPERATOR_AUDIT_ACTIONS, counts by detail (the provider, the failure's code)."""
    counts: dict[str, dict[str, int]] = {action: {} for action in OPERATOR_AUDIT_ACTIONS}
    rows = (
        AuditEvent.objects.filter(action__in=OPERATOR_AUDIT_ACTIONS)
        .order_by()
        .values("action", "detail")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        detail = row["detail"] or "unknown"
        counts[row["action"]][detail] = counts[row["action"]].get(detail, 0) + row["n"]
    return counts


def disk_free_bytes() -> dict[str, int]:
    """Free bytes where jobs render and, with local media storage, where videos are kept."""
    places = {"work": Path(settings.RENDER_WORK_DIR)}
    if not getattr(settings, "S3_BUCKET", ""):
        places["media"] = Path(settings.MEDIA_ROOT)
    free = {}
    for name, path in places.items():
        existing = path
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent  # not made yet: the disk it will be made on
        try:
            free[name] = shutil.disk_usage(existing).free
        except OSError:
            continue
    return free


def operator_families(
    *,
    states: dict[str, int],
    started: int,
    errors: dict[str, int],
    steps_read: dict[str, tuple[list[tuple[str, int]], float, int]],
    refusals: dict[str, int],
) -> Iterator[Any]:
    """The operators' series, from the reads the bhakti_* series already made plus two more."""
    audits = audit_counts_by_detail()
    for name, help_text, value in (
        ("jobs_started", "Render jobs that started", started),
        ("jobs_succeeded", "Render jobs that succeeded", states[JobState.SUCCEEDED]),
        ("jobs_canceled", "Render jobs canceled", states[JobState.CANCELED]),
    ):
        counter = CounterMetricFamily(name, help_text)
        counter.add_metric([], value)
        yield counter
    failed = CounterMetricFamily("jobs_failed", "Render jobs that failed, by error type", labels=["error_type"])
    for step, count in errors.items():
        failed.add_metric([step], count)
    yield failed

    histogram = HistogramMetricFamily(
        "job_duration_seconds",
        "Wall time of finished render jobs, start to finish",
        labels=["status", "render_mode"],
    )
    for (status, mode), (buckets, total, _) in sorted(job_duration_by_outcome().items()):
        histogram.add_metric([status, mode], buckets, total)
    yield histogram

    steps = HistogramMetricFamily(
        "step_duration_seconds", "Time spent in each pipeline step of succeeded jobs", labels=["step"]
    )
    for step, (step_buckets, step_total, _) in steps_read.items():
        steps.add_metric([step], step_buckets, step_total)
    yield steps

    yield GaugeMetricFamily("active_jobs", "Render jobs running now", value=states[JobState.RUNNING])
    stale_before = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SEC)
    yield GaugeMetricFamily(
        "bhakti_jobs_stale_heartbeat",
        "Running jobs whose worker has not reported for HEARTBEAT_STALE_SEC (the reaper re-queues them)",
        value=RenderJob.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=stale_before).count(),
    )
    yield GaugeMetricFamily("queue_depth", "Render jobs waiting for a worker", value=states[JobState.QUEUED])

    for action, name, help_text in (
        (AuditEvent.Action.RATE_LIMITED, "rate_limit_hits", "Requests refused by a rate limit (HTTP 429)"),
        (AuditEvent.Action.QUOTA_EXCEEDED, "quota_violations", "Jobs refused by a quota or cost limit"),
    ):
        counter = CounterMetricFamily(name, help_text)
        counter.add_metric([], refusals[action])
        yield counter

    timeouts = CounterMetricFamily(
        "job_timeouts",
        "Render attempts whose worker stopped responding (crash, out of memory, time limit)",
    )
    timeouts.add_metric([], AuditEvent.objects.filter(action__in=TIMEOUT_ACTIONS).count())
    yield timeouts

    disk = GaugeMetricFamily("disk_free_gb", "Free disk space in GB", labels=["path"])
    for name, free in disk_free_bytes().items():
        disk.add_metric([name], round(free / 1e9, 3))
    yield disk

    throttled = CounterMetricFamily(
        "provider_rate_limited", "HTTP 429 answers from cloud providers, per try", labels=["provider"]
    )
    for provider, count in audits[AuditEvent.Action.PROVIDER_THROTTLED].items():
        throttled.add_metric([provider], count)
    yield throttled

    youtube = CounterMetricFamily("youtube_upload_failures", "Failed YouTube uploads, by reason", labels=["reason"])
    for reason, count in audits[AuditEvent.Action.YOUTUBE_FAILED].items():
        youtube.add_metric([reason], count)
    yield youtube


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(JobCollector())


@never_cache
@require_GET
@metrics_token_required
def metrics_prometheus(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
