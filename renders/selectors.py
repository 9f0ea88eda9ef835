"""Reads for render jobs. The one access rule lives here: a creator sees only their own jobs."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from accounts.models import Profile
from accounts.selectors import profile_quotas
from renders.models import JobState, RenderJob, Series
from renders.series_publishing import PublicationView, series_publisher
from renders.series_times import publish_instants


def is_admin(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    # Through the relation, so a profile loaded with the user (API-key auth selects it) costs
    # no query, and a second check in the same request reuses it.
    try:
        return user.profile.role == Profile.Role.ADMIN
    except Profile.DoesNotExist:
        return False


def jobs_visible_to(user: User | AnonymousUser) -> QuerySet[RenderJob]:
    """The jobs this user may see: their own (an admin: everyone's), never a deleted one."""
    if not user.is_authenticated:
        return RenderJob.objects.none()
    existing = RenderJob.objects.filter(deleted_at__isnull=True)
    if is_admin(user):
        return existing
    return existing.filter(owner=user)


def job_get_for_user(*, user: User | AnonymousUser, job_id: str | uuid.UUID) -> RenderJob:
    """The job if this user may see it; Http404 otherwise (someone else's job does not exist)."""
    try:
        key = job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))
    except ValueError:
        raise Http404("No such job") from None
    job = jobs_visible_to(user).filter(pk=key).first()
    if job is None:
        raise Http404("No such job")
    return job


def jobs_list(
    *,
    user: User | AnonymousUser,
    state: str | None = None,
    language: str | None = None,
    search: str | None = None,
) -> QuerySet[RenderJob]:
    jobs = jobs_visible_to(user)
    if state:
        jobs = jobs.filter(state=state)
    if language:
        jobs = jobs.filter(language=language)
    if search:
        jobs = jobs.filter(title__icontains=search.strip())
    return jobs.order_by("-created_at")


def job_stats(*, user: User | AnonymousUser) -> dict[str, int]:
    counts = {state: 0 for state in JobState.values}
    for row in jobs_visible_to(user).values("state").annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    return counts


@dataclass(frozen=True)
class Usage:
    jobs_per_day: int
    jobs_last_day: int
    max_job_cost: Decimal
    jobs_total: int
    jobs_succeeded: int
    video_minutes: float
    cost_last_30_days: Decimal

    @property
    def jobs_left_today(self) -> int:
        return max(0, self.jobs_per_day - self.jobs_last_day)

    @property
    def day_used_pct(self) -> int:
        if self.jobs_per_day <= 0:
            return 100
        return min(100, round(100 * self.jobs_last_day / self.jobs_per_day))


def profile_usage(*, user: User, profile: Profile) -> Usage:
    """The limits that apply to this creator (accounts.selectors.profile_quotas) and their usage, in one query."""
    now = timezone.now()
    totals = RenderJob.objects.filter(owner=user).aggregate(
        # What exists (deleted videos are gone) ...
        total=Count("pk", filter=Q(deleted_at__isnull=True)),
        succeeded=Count("pk", filter=Q(state=JobState.SUCCEEDED, deleted_at__isnull=True)),
        seconds=Sum("duration_sec", filter=Q(state=JobState.SUCCEEDED, deleted_at__isnull=True)),
        # ... but today's renders and their cost were spent, deleted or not.
        last_day=Count("pk", filter=Q(created_at__gte=now - timedelta(days=1))),
        cost=Sum("cost_actual", filter=Q(created_at__gte=now - timedelta(days=30))),
    )
    quotas = profile_quotas(profile=profile)
    return Usage(
        jobs_per_day=quotas.jobs_per_day,
        jobs_last_day=totals["last_day"],
        max_job_cost=quotas.max_job_cost,
        jobs_total=totals["total"],
        jobs_succeeded=totals["succeeded"],
        video_minutes=round((totals["seconds"] or 0.0) / 60, 1),
        cost_last_30_days=totals["cost"] or Decimal("0"),
    )


# --- Series -----------------------------------------------------------------------------------------


def series_for_user(*, user: User | AnonymousUser) -> QuerySet[Series]:
    """The creator's own series, newest first, with their job counts (`job_count`). Admins included:
    a series is its owner's alone, as is its schedule."""
    if not user.is_authenticated:
        return Series.objects.none()
    return Series.objects.filter(owner=user).annotate(job_count=Count("jobs")).order_by("-created_at")


def series_get_for_user(*, user: User | AnonymousUser, series_id: str | uuid.UUID) -> Series:
    """The series if it is this user's; Http404 otherwise (someone else's series does not exist)."""
    try:
        key = series_id if isinstance(series_id, uuid.UUID) else uuid.UUID(str(series_id))
    except ValueError:
        raise Http404("No such series") from None
    series = series_for_user(user=user).filter(pk=key).first()
    if series is None:
        raise Http404("No such series")
    return series


@dataclass(frozen=True)
class SeriesEntry:
    """One item of a series: its job, when it is to be published, and its publication if there is one."""

    position: int
    job: RenderJob
    publish_at: dt.datetime | None  # aware, in the series' time zone; None when not scheduled
    publication: PublicationView | None


def series_entries(*, series: Series) -> list[SeriesEntry]:
    """The series' jobs in publication order. Two queries, plus the publishing app's one."""
    jobs = list(series.jobs.order_by("series_position"))
    instants: list[dt.datetime] = []
    if series.start_date is not None and series.local_time is not None and jobs:
        count = max(job.series_position or 0 for job in jobs) + 1
        instants = publish_instants(
            start_date=series.start_date,
            local_time=series.local_time,
            time_zone=series.time_zone,
            every_days=series.every_days,
            every_hours=series.every_hours,
            count=count,
        )
    publisher = series_publisher()
    publications = publisher.publications(series) if publisher is not None and series.is_scheduled else {}
    return [
        SeriesEntry(
            position=job.series_position or 0,
            job=job,
            publish_at=instants[job.series_position or 0] if instants else None,
            publication=publications.get(str(job.pk)),
        )
        for job in jobs
    ]
