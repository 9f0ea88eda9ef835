"""Deleting a creator's video: every file in storage, its log and plan; a record of the render stays.

Its share links are revoked in the same transaction, so a shared link stops playing at once.
A job that is still queued or running is not deleted (cancel it first): its worker would write
files after the delete. Other apps can veto a delete with a reason (`register_delete_guard`):
publishing refuses while a YouTube upload is scheduled or running, so nothing is uploaded from
files that are gone. The row stays, marked deleted and emptied, because the day's render quota,
the cost record and the operators' counts are about renders that happened.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from accounts import audit
from renders.execution import job_work_dir
from renders.models import FINAL_STATES, JobState, RenderJob
from renders.services import JobActionError

logger = logging.getLogger(__name__)

DeleteGuard = Callable[[RenderJob], str]  # a reason the job cannot be deleted now, or ""
_guards: list[DeleteGuard] = []


def register_delete_guard(guard: DeleteGuard) -> None:
    if guard not in _guards:
        _guards.append(guard)


def delete_problem(job: RenderJob) -> str:
    """Why this job cannot be deleted now, or "" when it can."""
    if job.state not in FINAL_STATES:
        verb = "is still rendering" if job.state == JobState.RUNNING else "is waiting to render"
        return f"This video {verb}. Cancel it first, then delete it."
    for guard in _guards:
        reason = guard(job)
        if reason:
            return reason
    return ""


def job_delete(*, job: RenderJob) -> None:
    """Delete the video: its files from storage, its log, plan and work dir. Refuses with JobActionError."""
    with transaction.atomic():
        job = RenderJob.objects.select_for_update().get(pk=job.pk)
        if job.deleted_at is not None:
            return
        problem = delete_problem(job)
        if problem:
            raise JobActionError("not_deletable", problem)
        names = [(asset.file.storage, asset.file.name) for asset in job.assets.all() if asset.file.name]
        job.assets.all().delete()
        job.events.all().delete()
        job.share_links.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        job.deleted_at = timezone.now()
        job.plan = {}
        job.title = "Deleted video"
        job.webhook_url = ""
        job.save(update_fields=["deleted_at", "plan", "title", "webhook_url"])
        audit.record(audit.Action.JOB_DELETED, job=job, detail=f"{len(names)} files")
        transaction.on_commit(lambda: _remove_files(job, names))


def jobs_delete(*, jobs: Iterable[RenderJob]) -> tuple[int, list[str]]:
    """Delete several; returns how many were deleted and a message per one that was not."""
    deleted, refused = 0, []
    for job in jobs:
        title = job.title
        try:
            job_delete(job=job)
        except JobActionError as error:
            refused.append(f"“{title}”: {error.message}")
        else:
            deleted += 1
    return deleted, refused


def _remove_files(job: RenderJob, names: list[tuple[object, str]]) -> None:
    """After the commit: a storage that fails leaves an orphan file to log, never a half-deleted row."""
    for storage, name in names:
        try:
            storage.delete(name)  # type: ignore[attr-defined]
        except Exception:
            logger.exception("could not delete %s of deleted job %s", name, job.pk)
    work_dir = job_work_dir(str(job.pk))
    if work_dir.is_dir():
        shutil.rmtree(work_dir, ignore_errors=True)
