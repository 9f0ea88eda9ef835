"""Reads about a creator's account: the quotas that apply to them, their API keys."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import F, QuerySet

from accounts.models import ApiKey, Profile


@dataclass(frozen=True)
class Quotas:
    jobs_per_day: int
    max_job_cost: Decimal


def profile_quotas(*, profile: Profile) -> Quotas:
    """The limits that apply to this creator: the profile's own where set, else the site's settings."""
    return Quotas(
        jobs_per_day=profile.jobs_per_day if profile.jobs_per_day is not None else settings.JOBS_PER_DAY,
        max_job_cost=(
            profile.max_job_cost if profile.max_job_cost is not None else Decimal(str(settings.MAX_JOB_COST))
        ),
    )


def api_keys_of(*, user: User) -> QuerySet[ApiKey]:
    """Active keys first, newest first; revoked ones stay listed so the creator sees what stopped working."""
    return ApiKey.objects.filter(user=user).order_by(F("revoked_at").asc(nulls_first=True), "-created_at")


OPERATOR_MAX_PRIORITY = 10


def max_job_priority(*, profile: Profile, user: User | None = None) -> int:
    """The highest render priority this user may ask for: operators (admin role, staff,
    superusers) the top of the scale, creators CREATOR_MAX_PRIORITY (5, the default: they may
    only lower theirs). Pass the profile's `user` when it is at hand (saves reading it again)."""
    if profile.is_admin or (user or profile.user).is_staff:
        return OPERATOR_MAX_PRIORITY
    return settings.CREATOR_MAX_PRIORITY
