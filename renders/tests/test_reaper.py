"""The reaper: dead workers' jobs are queued again or failed; live ones are never touched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from accounts.models import AuditEvent
from bhakti.schedules import SCHEDULES, ensure_schedules
from renders.models import JobEvent, JobState, RenderJob
from renders.reaper import reap_jobs
from renders.services import enqueue_render


@pytest.fixture(autouse=True)
def _timings(settings):
    settings.HEARTBEAT_STALE_SEC = 120
    settings.QUEUED_STALE_SEC = 300
    settings.JOB_MAX_ATTEMPTS = 3


def make_job(owner, *, state: str, heartbeat_ago: float | None = None, attempts: int = 1, **fields) -> RenderJob:
    now = timezone.now()
    job = RenderJob.objects.create(
        owner=owner,
        title="Prahlad",
        language="en",
        plan={},
        state=state,
        attempts=attempts,
        step="compose" if state == JobState.RUNNING else "",
        started_at=now - timedelta(minutes=30) if state == JobState.RUNNING else None,
        heartbeat_at=now - timedelta(seconds=heartbeat_ago) if heartbeat_ago is not None else None,
        **fields,
    )
    return job


def render_tasks(job: RenderJob) -> list[OrmQ]:
    return [entry for entry in OrmQ.objects.all() if entry.name() == f"render-{job.pk}"]


def age(job: RenderJob, seconds: float) -> None:
    past = timezone.now() - timedelta(seconds=seconds)
    RenderJob.objects.filter(pk=job.pk).update(created_at=past)
    JobEvent.objects.filter(job=job).update(at=past)


def test_it_requeues_a_job_whose_worker_stopped_beating(alice):
    job = make_job(alice, state=JobState.RUNNING, heartbeat_ago=121)
    enqueue_render(job_id=str(job.pk))  # the dead worker's task, still locked in the broker
    OrmQ.objects.update(lock=timezone.now() + timedelta(hours=1))
    dead_task = OrmQ.objects.get().pk
    assert reap_jobs() == {"requeued": 1, "failed": 0, "canceled": 0, "reenqueued": 0}
    job.refresh_from_db()
    assert (job.state, job.attempts, job.heartbeat_at, job.finished_at) == (JobState.QUEUED, 1, None, None)
    tasks = render_tasks(job)
    assert len(tasks) == 1 and tasks[0].pk != dead_task  # the old task is gone, a fresh one waits
    # Hidden from workers until the retry backoff (RETRY_BACKOFF_SEC before attempt 2) has passed.
    assert tasks[0].lock == job.next_attempt_at
    assert timedelta(seconds=9) < job.next_attempt_at - timezone.now() <= timedelta(seconds=10)
    assert job.last_error.startswith("Its worker stopped responding during compose")
    event = job.events.last()
    assert event.level == JobEvent.Level.WARNING and "attempt 2 of 3 in 10 s" in event.message
    assert "during compose" in event.message
    assert AuditEvent.objects.get().action == AuditEvent.Action.JOB_REQUEUED


def test_it_leaves_a_job_with_a_fresh_heartbeat_alone(alice):
    job = make_job(alice, state=JobState.RUNNING, heartbeat_ago=5)
    assert reap_jobs() == {"requeued": 0, "failed": 0, "canceled": 0, "reenqueued": 0}
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and render_tasks(job) == []


def test_it_fails_a_job_after_its_last_attempt(alice):
    job = make_job(alice, state=JobState.RUNNING, heartbeat_ago=600, attempts=3)
    assert reap_jobs()["failed"] == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.finished_at is not None
    assert job.error_step == "compose"
    assert job.error.startswith("The render stopped 3 times without finishing")
    assert "Retry it" in job.error
    assert render_tasks(job) == []
    assert AuditEvent.objects.get().action == AuditEvent.Action.JOB_REAPED


def test_it_cancels_a_dead_job_that_was_asked_to_stop(alice):
    job = make_job(alice, state=JobState.RUNNING, heartbeat_ago=600, cancel_requested=True)
    assert reap_jobs()["canceled"] == 1
    job.refresh_from_db()
    assert job.state == JobState.CANCELED and render_tasks(job) == []


def test_it_treats_a_running_job_that_never_beat_by_its_start(alice):
    job = make_job(alice, state=JobState.RUNNING, heartbeat_ago=None)  # started 30 minutes ago
    assert reap_jobs()["requeued"] == 1
    job.refresh_from_db()
    assert job.state == JobState.QUEUED


def test_it_reenqueues_a_queued_job_whose_task_vanished(alice):
    orphan = make_job(alice, state=JobState.QUEUED, attempts=0)
    JobEvent.objects.create(job=orphan, message="Job created")
    age(orphan, 301)
    waiting = make_job(alice, state=JobState.QUEUED, attempts=0)
    age(waiting, 3600)
    enqueue_render(job_id=str(waiting.pk))  # a long queue: old, but its task is there
    retried = make_job(alice, state=JobState.QUEUED, attempts=0)
    age(retried, 3600)
    JobEvent.objects.create(job=retried, message="Retry requested")  # just now: its task may be a commit away
    fresh = make_job(alice, state=JobState.QUEUED, attempts=0)

    assert reap_jobs()["reenqueued"] == 1
    assert len(render_tasks(orphan)) == 1
    assert len(render_tasks(waiting)) == 1
    assert render_tasks(retried) == [] and render_tasks(fresh) == []
    assert "enqueued it again" in orphan.events.last().message
    assert reap_jobs()["reenqueued"] == 0  # its task is there now: once is enough


@pytest.mark.django_db
def test_it_is_scheduled_every_minute():
    ensure_schedules()
    ensure_schedules()  # idempotent
    reaper = Schedule.objects.get(name="renders.reap_jobs")
    assert (reaper.func, reaper.schedule_type, reaper.minutes, reaper.repeats) == (
        "renders.reaper.reap_jobs", Schedule.MINUTES, 1, -1
    )  # fmt: skip
    retention = Schedule.objects.get(name="renders.apply_retention")
    assert retention.func == "renders.retention.apply_retention"
    assert Schedule.objects.count() == len(SCHEDULES)
