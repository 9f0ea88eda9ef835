"""Reads for render jobs. The one access rule lives here: a creator sees only their own jobs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import Profile
from accounts.selectors import profile_quotas
from renders.models import JobState, RenderJob


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
