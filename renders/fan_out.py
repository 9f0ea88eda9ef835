"""One long job across many workers: the Django side of renders/pipeline/fan_out.py.

A job's worker (the owner) shares its video segments through a manifest in the shared segment
cache and calls `request_helpers`: enough `render_shared_segments` tasks that every cluster
reporting itself (renders.worker_heartbeat) gets one. Whichever clusters take those tasks
help: each renders, with RENDER_PARALLELISM ffmpegs like a job of its own, the segments nobody
has claimed, and leaves when none is left. Only one helper per cluster works on a job at a
time (the others leave at once), and none on the owner's own cluster: its cores are the
owner's already. The owner renders whatever no helper took, so a job never waits for helpers.

Cancel: a helper stops (killing its ffmpeg) once the job is canceled or final, checked every
second. Other work first: a helper also leaves (and a helper task starts nothing) while another
job has waited STEP_ASIDE_AFTER_SEC for a worker: helping is the least urgent thing a worker
does, so its slot goes to the waiting job, and the owner renders what the helper leaves. Heartbeats: a helper touches its segment claims while rendering; a dead helper's claims
go stale within CLAIM_LEASE_SEC and the owner (or another helper) renders those segments again.
A dead owner is the reaper's as before: its job is queued again and resumes from the cache,
helpers rendering on meanwhile. Shutdown: a helper stops like a render does, releasing its
claims. Retry: a task delivered twice renders nothing twice (claims and the cache decide).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from renders import worker_shutdown
from renders.models import JobState, RenderJob, WorkerHeartbeat
from renders.pipeline import compose
from renders.pipeline import fan_out as pipeline_fan_out

logger = logging.getLogger(__name__)

CLUSTER_ENV = "BHAKTI_CLUSTER"  # set by `manage.py run_workers` for the processes of its cluster
CHECK_EVERY_SEC = 1.0
MAX_HELPER_TASKS = 200
# A due job queued this long without a worker taking it means every worker is busy (a free one
# claims a job within a second or two): helpers then make room for it.
STEP_ASIDE_AFTER_SEC = 5.0


def cluster_name() -> str:
    """The cluster this process works in: `run_workers`' own name, else host and parent process."""
    return os.environ.get(CLUSTER_ENV) or f"{socket.gethostname()}:{os.getppid()}"


def _live_clusters() -> QuerySet[WorkerHeartbeat]:
    fresh_after = timezone.now() - timedelta(seconds=3 * settings.REAPER_EVERY_SEC)
    return WorkerHeartbeat.objects.filter(stopped_at__isnull=True, beat_at__gte=fresh_after)


def is_enabled() -> bool:
    """RENDER_FAN_OUT: "on", "off", or "auto" (on while more than one cluster reports itself:
    with one cluster a helper could only compete with the owner for the same cores)."""
    if settings.RENDER_FAN_OUT == "auto":
        return _live_clusters().count() > 1
    return settings.RENDER_FAN_OUT == "on"


def request_helpers(*, job_id: str, manifest_name: str) -> int:
    """Enqueue helper tasks for the job's manifest; returns how many.

    Enough that every live cluster gets one: a cluster holds up to 2 × workers + 1 tasks (its
    running workers, its own queue of queue_limit = workers, one in its pusher's hand), the
    owner's cluster too, where helpers only leave. Surplus helpers find their cluster already
    helping, or nothing left to claim, and leave at once.
    """
    from django_q.tasks import async_task

    count = sum(2 * workers + 1 for workers in _live_clusters().values_list("workers", flat=True))
    count = max(2, min(count, MAX_HELPER_TASKS))
    for _ in range(count):
        async_task(
            "renders.tasks.render_shared_segments", job_id, manifest_name, cluster_name(), task_name=f"segments-{job_id}",
            group="segments",
        )  # fmt: skip
    return count


def render_shared_segments(job_id: str, manifest_name: str, owner_cluster: str) -> int:
    """A helper's run: render the job's unclaimed segments, if this cluster may help. Returns
    how many segments it rendered (0 when it left at once)."""
    cache_dir = Path(settings.RENDER_CACHE_DIR)
    manifest = pipeline_fan_out.read_manifest(cache_dir, manifest_name)
    if manifest is None or not _job_wants_help(job_id) or _another_job_waits(job_id):
        return 0
    if owner_cluster == cluster_name():
        return 0  # the owner's own cluster: its threads use these cores already
    claims = pipeline_fan_out.Claims(cache_dir, pipeline_fan_out.holder_name())
    cluster_claim = ("cluster-" + _safe(cluster_name()), "-" + manifest_name)
    if not claims.acquire(*cluster_claim):
        return 0  # another helper of this cluster is on it
    try:
        last_check, wanted = 0.0, True

        def is_canceled() -> bool:
            nonlocal last_check, wanted
            if worker_shutdown.requested.is_set():
                return True
            now = time.monotonic()
            if now - last_check >= CHECK_EVERY_SEC:
                last_check, wanted = now, _job_wants_help(job_id) and not _another_job_waits(job_id)
            return not wanted

        rendered = compose.help_render_segments(manifest_name, cache_dir, settings.RENDER_PARALLELISM, is_canceled)
        logger.info("helped render job %s: %d segments", job_id, rendered)
        return rendered
    finally:
        claims.close()
        close_old_connections()


def _job_wants_help(job_id: str) -> bool:
    """The job is neither final nor canceled (a job queued again after its owner died still is:
    what a helper renders now, its next attempt reuses)."""
    return RenderJob.objects.filter(
        pk=job_id, state__in=(JobState.RUNNING, JobState.QUEUED), cancel_requested=False
    ).exists()


def _another_job_waits(job_id: str) -> bool:
    """A job other than `job_id` is due and has waited STEP_ASIDE_AFTER_SEC for a worker (queued
    that long ago, or due again that long ago after a retry's backoff)."""
    since = timezone.now() - timedelta(seconds=STEP_ASIDE_AFTER_SEC)
    return (
        RenderJob.objects.filter(state=JobState.QUEUED)
        .exclude(pk=job_id)
        .filter(Q(next_attempt_at__isnull=True, created_at__lte=since) | Q(next_attempt_at__lte=since))
        .exists()
    )


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in name)


def sweep_leftovers() -> int:
    """The reaper's part: drop claims long stale and manifests of runs that died (older than the
    job time limit). Claims stale for less are taken over by the next worker that wants them."""
    return pipeline_fan_out.sweep(Path(settings.RENDER_CACHE_DIR), manifest_max_age_sec=settings.JOB_TIMEOUT_SEC + 300)
