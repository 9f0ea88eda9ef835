"""The queue-wait estimate, from a snapshot of the queue shared by every poll.

The wait before a worker takes a queued job is the render work ahead of it (each queued job
ahead of it: its plan's estimated render time; each running job: what is left of it) shared by
the workers. Both come from renders/eta.py, the rates this server has learned per mode and
resolution, so the queue wait and a job's own time left agree: ten previews ahead are not ten
1080p finals.

Every poll of a queued job used to count the jobs ahead of it and average recent render times:
two aggregate queries a poll, about a fifth of its cost. The snapshot (the queued jobs in claim
order with their estimated work, the running jobs' work left) is taken at most every SNAPSHOT_SEC
seconds and kept in the cache (Redis when configured, so all web processes share one). A job
created is added to it (so the estimate a creator sees right after creating a job counts that
job's place); a job that starts, is canceled or retried drops it. Otherwise it can be up to
SNAPSHOT_SEC old, or SNAPSHOT_SEC + GRACE_SEC while another process takes the next: it is an
estimate.

Its cost must not grow faster than the queue. Taking it reads each queued job's kind and length
(RenderJob.render_kind, planned_sec, written with the plan), not the plan: decoding 3,000 plans
took ~100 ms of a web process every SNAPSHOT_SEC, and every create that amended it pickled the
whole queue through the cache. It now holds arrays per priority (make bench-api prints a create
and a snapshot with 2,000 other jobs queued).
"""

from __future__ import annotations

import math
import time
from array import array
from bisect import bisect_left
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

from bhakti.near_cache import NearCache
from renders.eta import render_estimate_seconds, seconds_left, work_estimate_seconds
from renders.models import DEFAULT_PRIORITY, JobState, RenderJob

SNAPSHOT_KEY = "renders:queue-snapshot:v4"
SNAPSHOT_SEC = 2
# How long a due snapshot still answers while one process takes the next (TAKING_KEY held).
GRACE_SEC = 2
TAKING_KEY = "renders:queue-snapshot:taking"
_NEAR = NearCache(max_entries=4)


@dataclass(frozen=True)
class QueueSnapshot:
    # The queued jobs by priority, each priority's in the order workers claim them
    # (renders/execution.py): their creation times as POSIX seconds, ascending, and beside each its
    # estimated render seconds. Arrays, not tuples of tuples: a queue of thousands pickles to and
    # from the cache as a copy of its bytes, and a creation amends it in one memmove.
    queued: dict[int, tuple[array[float], array[float]]]
    running_left_sec: float  # what is left of every running job, summed
    expires_at: float  # time.time() when it is taken again, however often it is amended

    def work_ahead(self, *, priority: int, created: float) -> float:
        """The estimated render seconds of the queued jobs a worker takes before this one: every
        job of a higher priority, and the older ones of its own."""
        work = sum(sum(seconds) for other, (_, seconds) in self.queued.items() if other > priority)
        times, seconds = self.queued.get(priority, (array("d"), array("d")))
        return work + sum(seconds[: bisect_left(times, created)])

    def with_job(self, *, priority: int, created: float, seconds: float) -> QueueSnapshot:
        times, work = self.queued.get(priority, (array("d"), array("d")))
        times, work = array("d", times), array("d", work)
        at = bisect_left(times, created)
        times.insert(at, created)
        work.insert(at, seconds)
        return replace(self, queued={**self.queued, priority: (times, work)})


def take_snapshot() -> QueueSnapshot:
    """The queue as it is now: two lean reads of the queued jobs' sort keys and estimate inputs
    (the plan itself only for rows written without them), and the few running jobs."""
    queued = RenderJob.objects.filter(state=JobState.QUEUED)
    rates: dict[tuple[str, str], float] = {}  # one cache read per kind of job, not one per job
    rows = [
        (priority, created.timestamp(), work_estimate_seconds(kind, seconds or 0.0, rates))
        for priority, created, kind, seconds in queued.filter(planned_sec__isnull=False).values_list(
            "priority", "created_at", "render_kind", "planned_sec"
        )
    ]
    rows += [
        (priority, created.timestamp(), render_estimate_seconds(plan or {}, rates))
        for priority, created, plan in queued.filter(planned_sec__isnull=True).values_list(
            "priority", "created_at", "plan"
        )
    ]
    rows.sort()
    by_priority: dict[int, tuple[array[float], array[float]]] = {}
    for priority, created, seconds in rows:
        times, work = by_priority.setdefault(priority, (array("d"), array("d")))
        times.append(created)
        work.append(seconds)
    running = RenderJob.objects.filter(state=JobState.RUNNING).values_list("plan", "started_at", "progress_pct")
    return QueueSnapshot(
        queued=by_priority,
        running_left_sec=sum(
            seconds_left(plan or {}, started_at=started, progress_pct=progress, rates=rates)
            for plan, started, progress in running
        ),
        expires_at=time.time() + SNAPSHOT_SEC,
    )


def queue_snapshot() -> QueueSnapshot:
    """The shared snapshot; when it is due, one process takes the next while the others keep
    answering from the due one for up to GRACE_SEC (on a queue of thousands, every web thread
    taking its own at once stalled every process together)."""
    snapshot = _NEAR.get(SNAPSHOT_KEY)
    if isinstance(snapshot, QueueSnapshot) and snapshot.expires_at > time.time():
        return snapshot
    shared = cache.get(SNAPSHOT_KEY)
    # With a due snapshot to answer from, only the process that gets TAKING_KEY takes the next
    # (and only it releases the key); with none, every asker takes one.
    taking = (
        isinstance(shared, QueueSnapshot)
        and shared.expires_at <= time.time()
        and cache.add(TAKING_KEY, True, GRACE_SEC)
    )
    if isinstance(shared, QueueSnapshot) and not taking:
        snapshot = shared  # fresh, or due while another process takes the next
    else:
        try:
            snapshot = take_snapshot()
            cache.set(SNAPSHOT_KEY, snapshot, SNAPSHOT_SEC + GRACE_SEC)
        finally:
            if taking:
                cache.delete(TAKING_KEY)
    _NEAR.put(SNAPSHOT_KEY, snapshot)
    return snapshot


def forget_snapshot() -> None:
    """A job started (or left the queue): the next estimate is taken afresh."""
    _NEAR.drop(SNAPSHOT_KEY)
    cache.delete(SNAPSHOT_KEY)


def note_queued(*, created_at: datetime, priority: int, render_kind: str, planned_sec: float) -> None:
    """A job joined the queue (its kind and length as renders.eta.plan_work gives them, which
    job_create stores): add it to the snapshot rather than dropping it, so a burst of
    creations does not re-read the queue for every job. The snapshot still expires on time; two
    processes amending it at once may lose one job from the count until then."""
    _NEAR.drop(SNAPSHOT_KEY)
    snapshot = cache.get(SNAPSHOT_KEY)
    if not isinstance(snapshot, QueueSnapshot):
        return  # the next estimate takes one, with this job in it
    left = snapshot.expires_at + GRACE_SEC - time.time()
    if left <= 0:
        return
    amended = snapshot.with_job(
        priority=priority, created=created_at.timestamp(), seconds=work_estimate_seconds(render_kind, planned_sec)
    )
    cache.set(SNAPSHOT_KEY, amended, left)
    _NEAR.put(SNAPSHOT_KEY, amended)


def estimated_wait_for(*, state: str, created_at: datetime, priority: int = DEFAULT_PRIORITY) -> int | None:
    """Rough wait before a worker takes a queued job; None once it is no longer queued.

    (the estimated render time of every job queued ahead of it + what is left of the running
    ones) ÷ RENDER_WORKERS. Ahead: a higher priority, or the same and older (the claim order).
    Jobs of every user count: they share the workers.
    """
    if state != JobState.QUEUED:
        return None
    snapshot = queue_snapshot()
    work = snapshot.work_ahead(priority=priority, created=created_at.timestamp()) + snapshot.running_left_sec
    return coarse_seconds(work / settings.RENDER_WORKERS)


def coarse_seconds(seconds: float) -> int:
    """A wait as a person reads it, and steady enough to keep a poll's ETag: what is left of the
    running jobs shrinks every second, and a figure exact to the second would answer every poll of
    a queued job in full instead of 304. Up to a minute in steps of 5 s (a wait that is not none
    is never 0), up to ten minutes in steps of 15 s, then whole minutes."""
    if seconds <= 0:
        return 0
    if seconds <= 60:
        return 5 * math.ceil(seconds / 5)
    if seconds <= 600:
        return 15 * round(seconds / 15)
    return 60 * round(seconds / 60)


def estimated_wait_seconds(job: RenderJob) -> int | None:
    return estimated_wait_for(state=job.state, created_at=job.created_at, priority=job.priority)
