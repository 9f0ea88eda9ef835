"""Reads for the profile page: a creator's effective quotas and what they have used of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import ApiKey, Profile
from renders.models import JobState, RenderJob


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
    """The limits that apply to this creator (their own, else the site's) and their usage, in one query."""
    now = timezone.now()
    totals = RenderJob.objects.filter(owner=user).aggregate(
        total=Count("pk"),
        succeeded=Count("pk", filter=Q(state=JobState.SUCCEEDED)),
        last_day=Count("pk", filter=Q(created_at__gte=now - timedelta(days=1))),
        seconds=Sum("duration_sec", filter=Q(state=JobState.SUCCEEDED)),
        cost=Sum("cost_actual", filter=Q(created_at__gte=now - timedelta(days=30))),
    )
    return Usage(
        jobs_per_day=profile.jobs_per_day if profile.jobs_per_day is not None else settings.JOBS_PER_DAY,
        jobs_last_day=totals["last_day"],
        max_job_cost=(
            profile.max_job_cost if profile.max_job_cost is not None else Decimal(str(settings.MAX_JOB_COST))
        ),
        jobs_total=totals["total"],
        jobs_succeeded=totals["succeeded"],
        video_minutes=round((totals["seconds"] or 0.0) / 60, 1),
        cost_last_30_days=totals["cost"] or Decimal("0"),
    )


def api_keys_of(*, user: User) -> QuerySet[ApiKey]:
    """Active keys first, newest first; revoked ones stay listed so the creator sees what stopped working."""
    return ApiKey.objects.filter(user=user).order_by(F("revoked_at").asc(nulls_first=True), "-created_at")
