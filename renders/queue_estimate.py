"""The queue-wait estimate, from a snapshot of the queue shared by every poll.

Every poll of a queued job used to count the jobs ahead of it and average recent render times:
two aggregate queries a poll, about a fifth of its cost. The snapshot (the queued jobs' creation
times, the running count, the typical render time) is taken at most every SNAPSHOT_SEC seconds and
kept in the cache (Redis when configured, so all web processes share one). A job created is added
to it (so the estimate a creator sees right after creating a job counts that job's place); a job
that starts, is canceled or retried drops it. Otherwise it can be up to SNAPSHOT_SEC old: it is
an estimate.
"""

from __future__ import annotations

import time
from bisect import bisect_left, insort
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

from renders.models import DEFAULT_PRIORITY, JobState, RenderJob

SNAPSHOT_KEY = "renders:queue-snapshot:v2"
SNAPSHOT_SEC = 2
# Used for the estimate until some jobs have finished to learn from.
DEFAULT_TYPICAL_RENDER_SEC = 60
TYPICAL_SAMPLE = 20


@dataclass(frozen=True)
class QueueSnapshot:
    # The queued jobs in the order workers claim them (renders/execution.py): (-priority, creation
    # time as POSIX seconds), ascending, so the jobs ahead of one are those that sort before it.
    queued_order: tuple[tuple[int, float], ...]
    running: int
    typical_sec: float
    expires_at: float  # time.time() when it is taken again, however often it is amended


def typical_render_seconds() -> float:
    """Mean wall time of the last TYPICAL_SAMPLE successful jobs, or DEFAULT_TYPICAL_RENDER_SEC."""
    recent = (
        RenderJob.objects.filter(state=JobState.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[:TYPICAL_SAMPLE]
    )
    spans = [(finished - started).total_seconds() for started, finished in recent if started and finished]
    return sum(spans) / len(spans) if spans else DEFAULT_TYPICAL_RENDER_SEC


def take_snapshot() -> QueueSnapshot:
    queued = RenderJob.objects.filter(state=JobState.QUEUED).values_list("priority", "created_at")
    return QueueSnapshot(
        queued_order=tuple(sorted((-priority, created.timestamp()) for priority, created in queued)),
        running=RenderJob.objects.filter(state=JobState.RUNNING).count(),
        typical_sec=typical_render_seconds(),
        expires_at=time.time() + SNAPSHOT_SEC,
    )


def queue_snapshot() -> QueueSnapshot:
    snapshot = cache.get(SNAPSHOT_KEY)
    if not isinstance(snapshot, QueueSnapshot):
        snapshot = take_snapshot()
        cache.set(SNAPSHOT_KEY, snapshot, SNAPSHOT_SEC)
    return snapshot


def forget_snapshot() -> None:
    """A job started (or left the queue): the next estimate is taken afresh."""
    cache.delete(SNAPSHOT_KEY)


def note_queued(created_at: datetime, priority: int = DEFAULT_PRIORITY) -> None:
    """A job joined the queue: add it to the snapshot rather than dropping it, so a burst of
    creations does not re-read the queue for every job. The snapshot still expires on time; two
    processes amending it at once may lose one job from the count until then."""
    snapshot = cache.get(SNAPSHOT_KEY)
    if not isinstance(snapshot, QueueSnapshot):
        return  # the next estimate takes one, with this job in it
    left = snapshot.expires_at - time.time()
    if left <= 0:
        cache.delete(SNAPSHOT_KEY)
        return
    queued = list(snapshot.queued_order)
    insort(queued, (-priority, created_at.timestamp()))
    cache.set(SNAPSHOT_KEY, replace(snapshot, queued_order=tuple(queued)), left)


def estimated_wait_for(*, state: str, created_at: datetime, priority: int = DEFAULT_PRIORITY) -> int | None:
    """Rough wait before a worker takes a queued job; None once it is no longer queued.

    (jobs queued ahead of it + jobs running) × typical render time ÷ RENDER_WORKERS. Ahead: a
    higher priority, or the same and older (the claim order). Jobs of every user count: they
    share the workers.
    """
    if state != JobState.QUEUED:
        return None
    snapshot = queue_snapshot()
    busy = bisect_left(snapshot.queued_order, (-priority, created_at.timestamp())) + snapshot.running
    if busy == 0:
        return 0
    return round(busy * snapshot.typical_sec / settings.RENDER_WORKERS)


def estimated_wait_seconds(job: RenderJob) -> int | None:
    return estimated_wait_for(state=job.state, created_at=job.created_at, priority=job.priority)
