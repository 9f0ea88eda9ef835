"""How long a render has left, from how fast this server renders.

A render's wall time grows with the video's length, and its rate (seconds of work per second of
video) depends on the mode and resolution: a 640×360 preview costs a fraction of a 1080p final.
The rate is learned from this server's last LEARN_FROM succeeded jobs of the same mode and
resolution (cached for CACHE_SEC, so polls share one query), falling back to rates measured on a
2-core machine. While a job runs, two estimates are blended: the learned rate minus the time
already spent, and the time spent extrapolated by the progress made (once there is enough of it).
"""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from renders.models import JobState, RenderJob

LEARN_FROM = 30
CACHE_SEC = 60
PROGRESS_TRUSTED_FROM_PCT = 15
# Seconds of render per second of video measured on the reference 2-core machine (docs/deployment.md):
# the 60 s 1080p final took 70 s; the 135 s Prahlad preview 28.6 s.
DEFAULT_RATES = {("proxy", ""): 0.22, ("final", "720p"): 0.6, ("final", "1080p"): 1.2, ("final", "4k"): 4.5}


def _mode_resolution(plan: dict[str, Any]) -> tuple[str, str]:
    mode = plan.get("mode") or "final"
    return (mode, "") if mode == "proxy" else (mode, str(plan.get("resolution") or "1080p"))


def video_seconds(plan: dict[str, Any]) -> float:
    scenes = plan.get("scenes") or []
    total = 0.0
    for scene in scenes:
        value = scene.get("duration_sec", 5) if isinstance(scene, dict) else 5
        total += float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 5.0
    return total


def render_rate(mode: str, resolution: str) -> float:
    """Seconds of render per second of video on this server, for this mode and resolution."""
    key = f"bhakti:render-rate:{mode}:{resolution or '-'}"
    rate = cache.get(key)
    if rate is None:
        jobs = RenderJob.objects.filter(
            state=JobState.SUCCEEDED,
            started_at__isnull=False,
            finished_at__isnull=False,
            duration_sec__gt=0,
            plan__mode=mode,
        )
        if resolution:
            jobs = jobs.filter(plan__resolution=resolution)
        rows = jobs.order_by("-finished_at").values_list("started_at", "finished_at", "duration_sec")[:LEARN_FROM]
        rates = [
            (done - start).total_seconds() / seconds for start, done, seconds in rows if start and done and seconds
        ]
        rate = statistics.median(rates) if rates else DEFAULT_RATES.get((mode, resolution), 1.2)
        cache.set(key, rate, CACHE_SEC)
    return float(rate)


def plan_work(plan: dict[str, Any]) -> tuple[str, float]:
    """What a render estimate needs of a plan, (kind, video seconds): the kind is "mode:resolution"
    ("proxy:" for every preview). Kept on the job (RenderJob.render_kind, planned_sec) so the queue
    estimate need not decode each queued plan."""
    mode, resolution = _mode_resolution(plan)
    return f"{mode}:{resolution}", video_seconds(plan)


def work_estimate_seconds(kind: str, seconds: float, rates: dict[tuple[str, str], float] | None = None) -> float:
    """The whole render of `seconds` of video of this kind (plan_work) on this server.

    `rates`, when given, keeps each mode and resolution's rate across calls: estimating a whole
    queue reads the cache once per kind of job, not once per job.
    """
    mode, _, resolution = kind.partition(":")
    key = (mode, resolution)
    rates = {} if rates is None else rates
    if key not in rates:
        rates[key] = render_rate(*key)
    return rates[key] * seconds


def render_estimate_seconds(plan: dict[str, Any], rates: dict[tuple[str, str], float] | None = None) -> float:
    """The whole render of this plan on this server, start to finish (`rates`: work_estimate_seconds)."""
    return work_estimate_seconds(*plan_work(plan), rates)


def seconds_left(
    plan: dict[str, Any],
    *,
    started_at: datetime | None,
    progress_pct: int,
    rates: dict[tuple[str, str], float] | None = None,
) -> float:
    """What is left of a render of this plan: all of it before it starts, then the learned
    estimate minus the time spent, blended with the time spent extrapolated by the progress made."""
    total = render_estimate_seconds(plan, rates)
    if started_at is None:
        return total
    elapsed = max(0.0, (timezone.now() - started_at).total_seconds())
    by_rate = max(0.0, total - elapsed)
    if progress_pct >= PROGRESS_TRUSTED_FROM_PCT:
        by_progress = elapsed * (100 - progress_pct) / progress_pct
        return (by_rate + by_progress) / 2
    return by_rate


def eta_seconds(job: RenderJob) -> int | None:
    """Seconds until this job's render is done (once a worker has it); None when it is final."""
    if job.is_final:
        return None
    started_at = job.started_at if job.state == JobState.RUNNING else None
    return max(1, round(seconds_left(job.plan or {}, started_at=started_at, progress_pct=job.progress_pct)))


def eta_text(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 10:
        return "a few seconds"
    if seconds < 90:
        return f"about {round(seconds / 5) * 5} s"
    return f"about {round(seconds / 60)} min"


def quality_costs(plan: dict[str, Any]) -> str:
    """What Preview and Final cost in time for this plan on this server, for beside the Quality choice.

    From the measured rates (render_rate); a plan without scenes yet gets the cost per minute.
    """
    resolution = str(plan.get("resolution") or "1080p")
    seconds = video_seconds(plan)
    per = seconds if seconds > 0 else 60.0
    preview = render_rate("proxy", "") * per
    final = render_rate("final", resolution) * per
    label = f"Final {resolution}" if resolution != "4k" else "Final 4K"
    costs = f"Preview: {eta_text(max(1, round(preview)))} · {label}: {eta_text(max(1, round(final)))}"
    if seconds > 0:
        return f"For this plan on this server: {costs}."
    return f"Per minute of video on this server: {costs}."
