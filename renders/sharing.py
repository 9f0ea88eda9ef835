"""Share links: a revocable, unguessable URL that plays one finished video without logging in.

Only a succeeded video that has not been deleted can be shared; the public page and its file
view look the link up by token and refuse (404) a revoked or unknown one, or a video deleted
since. Deleting a video revokes its links (renders/deletion.py).
"""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone

from renders.models import AssetKind, JobAsset, JobState, RenderJob, ShareLink
from renders.services import JobActionError

# The files a share link serves: what the public page plays and shows, nothing else.
SHARED_KINDS = (AssetKind.VIDEO, AssetKind.THUMBNAIL)


def share_problem(job: RenderJob) -> str:
    """Why this video cannot be shared now, or "" when it can."""
    if job.deleted_at is not None:
        return "This video was deleted."
    if job.state != JobState.SUCCEEDED:
        return "Only a finished video can be shared. Wait until it is ready."
    return ""


def share_link_create(*, job: RenderJob) -> ShareLink:
    """A new live link for the owner's finished video. Refuses with JobActionError("not_shareable")."""
    problem = share_problem(job)
    if problem:
        raise JobActionError("not_shareable", problem)
    return ShareLink.objects.create(job=job)


def share_links_revoke(*, job: RenderJob) -> int:
    """Revoke every live link of the video; returns how many were live."""
    return ShareLink.objects.filter(job=job, revoked_at__isnull=True).update(revoked_at=timezone.now())


def live_share_links(*, job: RenderJob) -> list[ShareLink]:
    return list(ShareLink.objects.filter(job=job, revoked_at__isnull=True))


def shared_job(*, token: str) -> RenderJob:
    """The video a live link plays; Http404 for a revoked or unknown token, or a video no longer shareable."""
    link = (
        ShareLink.objects.select_related("job").filter(token=token, revoked_at__isnull=True).only("id", "job").first()
    )
    if link is None or share_problem(link.job):
        raise Http404("No such video")
    return link.job


def shared_asset(*, job: RenderJob, kind: str) -> JobAsset | None:
    """The job's video or thumbnail (the only files a share link reveals)."""
    if kind not in SHARED_KINDS:
        return None
    return JobAsset.objects.filter(job=job, kind=kind).order_by("language").first()
