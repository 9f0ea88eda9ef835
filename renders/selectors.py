"""Reads for render jobs. The one access rule lives here: a creator sees only their own jobs."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, QuerySet
from django.http import Http404

from accounts.models import Profile
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
    if not user.is_authenticated:
        return RenderJob.objects.none()
    if is_admin(user):
        return RenderJob.objects.all()
    return RenderJob.objects.filter(owner=user)


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
