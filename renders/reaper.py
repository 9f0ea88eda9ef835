"""The reaper: no job stays "running" or "queued" forever. Runs every minute on a django-q2 schedule.

- A running job whose heartbeat is older than HEARTBEAT_STALE_SEC lost its worker (killed,
  out of memory, machine gone, or django-q's timeout). It is queued again, due after the retry
  backoff (renders.failures), and its next attempt resumes from the work dir and the segment cache; after JOB_MAX_ATTEMPTS it fails with a clear
  error instead. A fresh heartbeat means a live worker: such a job is never touched.
- Fan-out leftovers (renders/fan_out.py): segment claims stale for ten leases and manifests of
  runs that died are deleted; a claim stale for less is taken over by whoever wants it next.
- A job queued for longer than QUEUED_STALE_SEC with no task for it in the broker (the web
  process died between commit and enqueue, or someone purged the queue) is enqueued again.

Every change happens under a row lock after re-reading the row, so two reapers (one per cluster)
never act on the same job twice, and a worker that claims the job meanwhile wins. Re-queuing a
job also removes the dead worker's task from the broker: the ORM broker would otherwise deliver
it again once its lock expires (`retry`), a second run of a job that may be running by then.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts import audit
from renders import fan_out
from renders.failures import next_attempt_time, wait_text
from renders.models import JobEvent, JobState, RenderJob
from renders.services import enqueue_render_with_transaction, log_event, notify_state_change

logger = logging.getLogger(__name__)


def reap_jobs() -> dict[str, int]:
    """The scheduled task. Returns what it did, for django-q's result record and the tests."""
    counts = {"requeued": 0, "failed": 0, "canceled": 0, "reenqueued": 0}
    for job_id in _stale_running_ids():
        outcome = _reap_running(job_id)
        if outcome:
            counts[outcome] += 1
    for job_id in _orphaned_queued_ids():
        if _reenqueue_queued(job_id):
            counts["reenqueued"] += 1
    if any(counts.values()):
        logger.warning("reaper: %s", counts, extra={"reaper": counts})
    fan_out.sweep_leftovers()
    return counts


def _stale_before() -> timezone.datetime:
    return timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SEC)


def _is_stale(job: RenderJob) -> bool:
    last_sign_of_life = job.heartbeat_at or job.started_at
    return last_sign_of_life is None or last_sign_of_life < _stale_before()


def _stale_running_ids() -> list[str]:
    stale_before = _stale_before()
    return [
        str(pk)
        for pk in RenderJob.objects.filter(state=JobState.RUNNING)
        .filter(Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True, started_at__lt=stale_before))
        .values_list("pk", flat=True)
    ]


def _reap_running(job_id: str) -> str:
    with transaction.atomic():
        job = RenderJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != JobState.RUNNING or not _is_stale(job):
            return ""  # finished, or its worker beat meanwhile: leave it alone
        silent_for = int((timezone.now() - (job.heartbeat_at or job.started_at)).total_seconds())
        job.finished_at = timezone.now()
        if job.cancel_requested:
            job.state = JobState.CANCELED
            job.save(update_fields=["state", "finished_at"])
            log_event(job, f"Canceled; its worker stopped responding {silent_for} s ago", level=JobEvent.Level.WARNING)
            transaction.on_commit(lambda: notify_state_change(job_id=job_id))
            return "canceled"
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            job.state = JobState.FAILED
            job.error_step = job.step
            job.error = (
                f"The render stopped {job.attempts} times without finishing: its worker stopped responding "
                f"(crashed, ran out of memory or passed the {settings.JOB_TIMEOUT_SEC} s time limit) during "
                f"{job.step or 'the render'}. Retry it; if it stops again, try proxy mode or fewer scenes, "
                "and tell the operator."
            )
            job.save(update_fields=["state", "finished_at", "error", "error_step"])
            log_event(job, job.error, level=JobEvent.Level.ERROR, step=job.step)
            audit.record(
                audit.Action.JOB_REAPED, job=job, detail=f"no heartbeat for {silent_for} s, attempts {job.attempts}"
            )
            transaction.on_commit(lambda: notify_state_change(job_id=job_id))
            return "failed"
        due = next_attempt_time(attempt=job.attempts + 1)
        job.state = JobState.QUEUED
        job.finished_at = None
        job.heartbeat_at = None
        job.next_attempt_at = due
        job.last_error = (
            f"Its worker stopped responding during {job.step or 'the render'} (no heartbeat for {silent_for} s)"
        )
        job.save(update_fields=["state", "finished_at", "heartbeat_at", "next_attempt_at", "last_error"])
        log_event(
            job,
            f"{job.last_error}; queued again for attempt {job.attempts + 1} of {settings.JOB_MAX_ATTEMPTS} "
            f"in {wait_text(due)}, reusing finished work",
            level=JobEvent.Level.WARNING,
            step=job.step,
        )
        audit.record(audit.Action.JOB_REQUEUED, job=job, detail=f"no heartbeat for {silent_for} s")
        _drop_queued_tasks(job_id)
        enqueue_render_with_transaction(job_id=job_id, not_before=due)
    return "requeued"


def _render_tasks() -> list[tuple[int, str]]:
    """(OrmQ id, task name) of every task in this cluster's broker queue.

    Task names are "render-<job id>" (renders.services.enqueue_render); the payload is signed,
    so each one is decoded rather than searched as text. The queue is short (queue_limit per
    cluster plus whatever waits), and this runs once a minute.
    """
    from django_q.models import OrmQ

    return [(entry.pk, entry.name() or "") for entry in OrmQ.objects.filter(key=settings.Q_CLUSTER["name"])]


def _drop_queued_tasks(job_id: str) -> None:
    from django_q.models import OrmQ

    stale = [pk for pk, name in _render_tasks() if name == f"render-{job_id}"]
    if stale:
        OrmQ.objects.filter(pk__in=stale).delete()


def _orphaned_queued_ids() -> list[str]:
    """Queued jobs quiet for QUEUED_STALE_SEC whose render task is nowhere in the broker.

    "Quiet" is measured from the job's latest event, not its creation: a retried or re-queued
    job is old but was queued a moment ago, and its task may be a commit away from the broker.
    """
    quiet_since = timezone.now() - timedelta(seconds=settings.QUEUED_STALE_SEC)
    candidates = [
        str(pk)
        for pk in RenderJob.objects.filter(state=JobState.QUEUED, created_at__lt=quiet_since)
        .annotate(last_event_at=Max("events__at"))
        .filter(Q(last_event_at__lt=quiet_since) | Q(last_event_at__isnull=True))
        .values_list("pk", flat=True)
    ]
    if not candidates:
        return []
    queued_names = {name for _, name in _render_tasks()}
    return [job_id for job_id in candidates if f"render-{job_id}" not in queued_names]


def _reenqueue_queued(job_id: str) -> bool:
    with transaction.atomic():
        job = RenderJob.objects.select_for_update().filter(pk=job_id, state=JobState.QUEUED).first()
        if job is None or any(name == f"render-{job_id}" for _, name in _render_tasks()):
            return False  # claimed, or another reaper enqueued it while this one waited for the lock
        log_event(job, "No worker task was found for this queued job; enqueued it again", level=JobEvent.Level.WARNING)
        enqueue_render_with_transaction(job_id=job_id)
    return True
