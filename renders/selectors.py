"""Reads for render jobs. The one access rule lives here: a creator sees only their own jobs."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import Profile
from accounts.selectors import profile_quotas
from accounts.session_cache import SessionViewer
from bhakti.lean_query import LeanQuery, concrete_attnames, instances
from renders.models import AssetKind, JobAsset, JobEvent, JobState, RenderJob, Series
from renders.series_publishing import PublicationView, series_publisher
from renders.series_times import publish_instants

LOG_LINES = 50  # the log lines a status answer carries


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


_JOB_ID = RenderJob._meta.pk
_OWNER_ID = RenderJob._meta.get_field("owner").target_field
_PLACEHOLDER_JOB = uuid.UUID(int=0x5EED)
_PLACEHOLDER_OWNER = -0x5EED
_JOB_COLUMNS = concrete_attnames(RenderJob)


def _job_reads(*columns: str) -> tuple[LeanQuery, LeanQuery]:
    """A job's columns by primary key, for anyone (admins) and for its owner only, never a deleted
    job (as `jobs_visible_to`): compiled once."""
    return (
        LeanQuery(
            lambda pk: RenderJob.objects.filter(pk=pk, deleted_at__isnull=True).values_list(*columns)[:1],
            fields={"pk": _JOB_ID},
            placeholders={"pk": _PLACEHOLDER_JOB},
        ),
        LeanQuery(
            lambda pk, owner_id: RenderJob.objects.filter(
                pk=pk, owner_id=owner_id, deleted_at__isnull=True
            ).values_list(*columns)[:1],
            fields={"pk": _JOB_ID, "owner_id": _OWNER_ID},
            placeholders={"pk": _PLACEHOLDER_JOB, "owner_id": _PLACEHOLDER_OWNER},
        ),
    )


_JOB_READS = _job_reads(*_JOB_COLUMNS)
_STAMP_READS = _job_reads("change_seq", "state", "created_at", "priority")


Viewer = User | AnonymousUser | SessionViewer  # who asks: a request's user, or a polling session's


def _visible_job_row(reads: tuple[LeanQuery, LeanQuery], user: Viewer, job_id: object) -> tuple[Any, ...]:
    """The same access rule as `jobs_visible_to`, by a read compiled once (it is on every poll)."""
    try:
        key = job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))
    except ValueError:
        raise Http404("No such job") from None
    if isinstance(user, SessionViewer):
        admin, owner_id = user.is_admin, user.user_id
    elif user.is_authenticated:
        admin, owner_id = is_admin(user), user.pk
    else:
        raise Http404("No such job")
    any_job, own_job = reads
    row = any_job.first(pk=key) if admin else own_job.first(pk=key, owner_id=owner_id)
    if row is None:
        raise Http404("No such job")
    return row


def job_get_for_user(*, user: Viewer, job_id: str | uuid.UUID) -> RenderJob:
    """The job if this user may see it; Http404 otherwise (someone else's job does not exist)."""
    return instances(RenderJob, [_visible_job_row(_JOB_READS, user, job_id)])[0]


@dataclass(frozen=True)
class JobStamp:
    """What a conditional poll needs to know about a job: enough for its ETag, nothing more."""

    change_seq: int  # RenderJob.change_seq, the ETag's counter
    state: str
    created_at: datetime
    priority: int


def job_stamp_for_user(*, user: Viewer, job_id: str | uuid.UUID) -> JobStamp:
    """The job's change counter, state and creation time if this user may see it; Http404 otherwise.

    One primary-key read of three columns: the whole cost of a poll that ends in 304.
    """
    return JobStamp(*_visible_job_row(_STAMP_READS, user, job_id))


_ASSET_COLUMNS = concrete_attnames(JobAsset)
_PLACEHOLDER_EVENT = -0x5EED
# Not the live stream's pieces (`left_out`): only the job page's player reads them (live_views.py).
_job_files = LeanQuery(
    lambda job_id, left_out: JobAsset.objects.filter(job_id=job_id).exclude(kind=left_out).values_list(*_ASSET_COLUMNS),
    fields={"job_id": _JOB_ID, "left_out": JobAsset._meta.get_field("kind")},
    placeholders={"job_id": _PLACEHOLDER_JOB, "left_out": "-placeholder-"},
)
_LOG_COLUMNS = ("id", "at", "level", "step", "message")
_newest_log_lines = LeanQuery(
    lambda job_id: JobEvent.objects.filter(job_id=job_id).order_by("-id").values_list(*_LOG_COLUMNS)[:LOG_LINES],
    fields={"job_id": _JOB_ID},
    placeholders={"job_id": _PLACEHOLDER_JOB},
)
_log_lines_since = LeanQuery(
    lambda job_id, since: (
        JobEvent.objects.filter(job_id=job_id, id__gt=since).order_by("id").values_list(*_LOG_COLUMNS)[:LOG_LINES]
    ),
    fields={"job_id": _JOB_ID, "since": JobEvent._meta.pk},
    placeholders={"job_id": _PLACEHOLDER_JOB, "since": _PLACEHOLDER_EVENT},
)


_publications = None


def published_video_url(*, job: RenderJob) -> str | None:
    """The job's video on YouTube, if the publishing app put it there.

    Through the reverse relation the publishing app adds (`RenderJob.publication`) and by name,
    since renders never imports publishing; read as a lean query, for succeeded jobs' polls.
    """
    global _publications
    if _publications is None:
        try:
            relation: Any = RenderJob._meta.get_field("publication")
            publication = relation.related_model
        except FieldDoesNotExist:
            return None
        _publications = LeanQuery(
            lambda job_id: publication.objects.filter(job_id=job_id).values_list("youtube_video_id")[:1],
            fields={"job_id": _JOB_ID},
            placeholders={"job_id": _PLACEHOLDER_JOB},
        )
    row = _publications.first(job_id=job.pk)
    return f"https://www.youtube.com/watch?v={row[0]}" if row and row[0] else None


_jobs_made_since = LeanQuery(
    lambda owner_id, since: (
        RenderJob.objects.filter(owner_id=owner_id, created_at__gte=since)
        .values("owner_id")
        .annotate(made=Count("id"))
        .values_list("made")
    ),
    fields={"owner_id": _OWNER_ID, "since": RenderJob._meta.get_field("created_at")},
    placeholders={"owner_id": _PLACEHOLDER_OWNER, "since": datetime(2000, 1, 1, tzinfo=dt.UTC)},
)


def jobs_made_since(*, owner_id: int, since: datetime) -> int:
    """How many jobs this owner created since then, deleted ones too (the daily quota counts them).

    Compiled once: it runs on every creation."""
    row = _jobs_made_since.first(owner_id=owner_id, since=since)
    return row[0] if row else 0


def job_files(*, job: RenderJob) -> list[JobAsset]:
    """The job's files (uploads included, live stream pieces not), in JobAsset's order. Read as
    every poll reads it."""
    return instances(JobAsset, _job_files.all(job_id=job.pk, left_out=AssetKind.LIVE_PIECE))


def job_log_lines(*, job: RenderJob, since_event: int | None = None) -> list[dict[str, Any]]:
    """The newest LOG_LINES log lines, oldest first; with `since_event`, the oldest LOG_LINES after
    that event id, so a poller reads each line once."""
    if since_event is None:
        rows = _newest_log_lines.all(job_id=job.pk)[::-1]
    else:
        rows = _log_lines_since.all(job_id=job.pk, since=since_event)
    return [dict(zip(_LOG_COLUMNS, row, strict=True)) for row in rows]


def latest_versions(jobs: QuerySet[RenderJob]) -> QuerySet[RenderJob]:
    """Only each video's latest existing version: no later version of the same video still exists.

    One NOT EXISTS on (video, version), which the unique constraint indexes. Deleting the latest
    version makes the one before it the latest again.
    """
    later = RenderJob.objects.filter(
        video_id=OuterRef("chain_id"), version__gt=OuterRef("version"), deleted_at__isnull=True
    )
    return jobs.annotate(chain_id=Coalesce("video_id", "id")).filter(~Exists(later))


def jobs_list(
    *,
    user: User | AnonymousUser,
    state: str | None = None,
    language: str | None = None,
    search: str | None = None,
    latest_only: bool = False,
) -> QuerySet[RenderJob]:
    """The user's jobs, newest first; `latest_only`: one per video, its latest version (the library)."""
    jobs = jobs_visible_to(user)
    if latest_only:
        jobs = latest_versions(jobs)
    if state:
        jobs = jobs.filter(state=state)
    if language:
        jobs = jobs.filter(language=language)
    if search:
        jobs = jobs.filter(title__icontains=search.strip())
    return jobs.order_by("-created_at")


def video_versions(job: RenderJob) -> list[RenderJob]:
    """Every existing version of this job's video, oldest first (one query)."""
    key = job.video_key
    return list(
        RenderJob.objects.filter(Q(pk=key) | Q(video_id=key), deleted_at__isnull=True)
        .only("id", "version", "state", "plan", "created_at", "video_id")
        .order_by("version")
    )


def own_video_get(*, user: User | AnonymousUser, job_id: str | uuid.UUID) -> RenderJob:
    """A job of the user's own video to make a new version of; Http404 otherwise.

    Stricter than job_get_for_user: an admin may look at anyone's video but never adds versions to it.
    """
    job = job_get_for_user(user=user, job_id=job_id)
    if job.owner_id != user.pk:
        raise Http404("No such job")
    return job


def job_stats(*, user: User | AnonymousUser, latest_only: bool = False) -> dict[str, int]:
    """Jobs per state; `latest_only`: videos per state, each counted by its latest version (the
    library's chips, which must agree with its cards). The API counts every job, versions included."""
    counts = {state: 0 for state in JobState.values}
    jobs = jobs_visible_to(user)
    if latest_only:
        jobs = latest_versions(jobs)
    for row in jobs.order_by().values("state").annotate(n=Count("pk")):
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
