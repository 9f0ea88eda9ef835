"""Automatic retries, in-process: a crashing ffmpeg (a stand-in binary) is retried after a backoff
and resumes from cached segments; a plan error is not; three crashes end in a clear failure.

Each delivery of a render task is `execute_render_job`, as a worker would call it; the slots the
job offers again are recorded instead of enqueued, and the tests deliver them when due.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from conftest import tiny_plan_data
from renders import execution
from renders.execution import execute_render_job
from renders.models import AssetKind, JobEvent, JobState, RenderJob
from renders.pipeline.ffmpeg import ffmpeg_exe
from renders.services import job_create
from renders.tests.ffmpeg_faults import crashing_ffmpeg, encodes_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def slots(monkeypatch) -> list[tuple[str, datetime | None]]:
    """Every render slot offered: (job id, not before)."""
    offered: list[tuple[str, datetime | None]] = []

    def record(*, job_id: str, not_before: datetime | None = None) -> None:
        offered.append((job_id, not_before))

    monkeypatch.setattr("renders.services.enqueue_render", record)
    monkeypatch.setattr(execution, "enqueue_render", record)
    return offered


@pytest.fixture(autouse=True)
def _retry_settings(settings):
    settings.JOB_MAX_ATTEMPTS = 3
    settings.RETRY_BACKOFF_SEC = 0.3
    settings.RETRY_BACKOFF_FACTOR = 2.0
    settings.RENDER_PARALLELISM = 1  # the stand-in counts encodes; one at a time keeps the count exact
    settings.RENDER_ENCODER = "libx264"


@pytest.fixture
def faults(tmp_path, monkeypatch):
    """Install the crashing ffmpeg stand-in; returns a function taking its crash plan."""

    def install(**plan: object):
        directory = tmp_path / "ffmpeg-faults"
        script = crashing_ffmpeg(directory, **plan)  # type: ignore[arg-type]
        monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(script))
        ffmpeg_exe.cache_clear()
        return directory

    yield install
    ffmpeg_exe.cache_clear()


def _messages(job: RenderJob) -> list[str]:
    return list(job.events.values_list("message", flat=True))


def _wait_until(due: datetime) -> None:
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.05)


def test_it_retries_an_ffmpeg_crash_after_the_backoff_and_succeeds_on_attempt_2(alice, faults, slots):
    directory = faults(crash_on=(2,))  # the second segment encode dies of SIGSEGV
    job = job_create(owner=alice, plan_data=tiny_plan_data())

    assert execute_render_job(str(job.pk)) == JobState.QUEUED
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (JobState.QUEUED, 1, "")
    assert job.last_error == "ffmpeg crashed (killed by signal 11)"
    assert timedelta(0) < job.next_attempt_at - timezone.now() <= timedelta(seconds=0.3)
    failed = job.events.filter(level=JobEvent.Level.WARNING).last()
    assert failed.message.startswith(
        "Attempt 1 of 3 failed during compose: ffmpeg crashed (killed by signal 11). Attempt 2 of 3 in 0."
    )
    assert failed.message.endswith("s, reusing finished work")
    assert slots[-1] == (str(job.pk), job.next_attempt_at)  # a slot for when the backoff is over

    # A worker free before then does not wait: nothing is due, so it offers the slot again and returns.
    assert execute_render_job(str(job.pk)) == JobState.QUEUED
    job.refresh_from_db()
    assert job.attempts == 1 and slots[-1] == (str(job.pk), job.next_attempt_at)

    _wait_until(job.next_attempt_at)
    assert execute_render_job(str(job.pk)) == JobState.SUCCEEDED
    job.refresh_from_db()
    assert (job.attempts, job.next_attempt_at, job.error) == (2, None, "")
    assert job.last_error == "ffmpeg crashed (killed by signal 11)"  # what happened stays on the job
    started = [message for message in _messages(job) if message.startswith("Attempt ") and "started" in message]
    assert started == ["Attempt 1 of 3 started on a worker", "Attempt 2 of 3 started on a worker"]
    summary = job.assets.get(kind=AssetKind.SUMMARY)
    with summary.file.open("rb") as handle:
        segments = json.loads(handle.read())["segments"]
    assert segments["cached"] >= 1  # the segment attempt 1 finished is reused, not encoded again
    assert encodes_run(directory) >= 3  # the crash was real: attempt 2 ran past encode number 2


def test_it_fails_after_three_crashes_with_a_clear_message(alice, faults, slots):
    faults(always=True)
    job = job_create(owner=alice, plan_data=tiny_plan_data())
    waits = []
    for attempt in (1, 2):
        assert execute_render_job(str(job.pk)) == JobState.QUEUED
        job.refresh_from_db()
        assert job.attempts == attempt
        waits.append((job.next_attempt_at - timezone.now()).total_seconds())
        _wait_until(job.next_attempt_at)
    assert execute_render_job(str(job.pk)) == JobState.FAILED
    job.refresh_from_db()
    assert 0.6 - 0.3 < waits[1] <= 0.6 and waits[0] <= 0.3  # exponential: 0.3 s, then 0.6 s
    assert (job.state, job.attempts, job.error_step, job.next_attempt_at) == (JobState.FAILED, 3, "compose", None)
    assert job.error == (
        "The render failed 3 times, each time for a reason that usually passes; the last: ffmpeg crashed "
        "(killed by signal 11). Retry it later; if it fails again, tell the operator."
    )
    messages = _messages(job)
    assert [m for m in messages if "started on a worker" in m] == [
        f"Attempt {n} of 3 started on a worker" for n in (1, 2, 3)
    ]
    assert messages[-1] == job.error


def test_it_never_retries_a_plan_error(alice, slots):
    # Written straight to the database (an admin edit, an old job): the worker finds the plan invalid.
    job = RenderJob.objects.create(owner=alice, title="Broken", language="en", plan={"title": "Broken", "scenes": []})
    assert execute_render_job(str(job.pk)) == JobState.FAILED
    job.refresh_from_db()
    assert (job.attempts, job.last_error, job.next_attempt_at) == (1, "", None)
    assert slots == []
    assert not any("Attempt 2" in message for message in _messages(job))


def test_it_never_retries_an_ffmpeg_that_rejects_its_input(alice, settings, tmp_path, monkeypatch, slots):
    """A non-zero exit (ffmpeg reporting an error) repeats on the same input: one attempt only."""
    script = tmp_path / "ffmpeg"
    script.write_text('#!/bin/bash\ncase " $* " in *" libx264 "*) echo "Invalid data found" >&2; exit 1;; esac\n'
                      f'exec "{ffmpeg_exe()}" "$@"\n')  # fmt: skip
    script.chmod(0o755)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(script))
    ffmpeg_exe.cache_clear()
    try:
        job = job_create(owner=alice, plan_data=tiny_plan_data())
        assert execute_render_job(str(job.pk)) == JobState.FAILED
    finally:
        ffmpeg_exe.cache_clear()
    job.refresh_from_db()
    assert (job.attempts, job.error_step, job.last_error) == (1, "compose", "")
    assert "Invalid data found" in job.error
    assert slots == [(str(job.pk), None)]  # only the job's own slot, at creation


def test_a_free_worker_takes_the_most_urgent_due_job(alice, bob, settings, slots):
    settings.CREATOR_MAX_PRIORITY = 10
    low = job_create(owner=alice, plan_data=tiny_plan_data(), priority=2)
    waiting = job_create(owner=alice, plan_data=tiny_plan_data(), priority=9)
    RenderJob.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    high = job_create(owner=bob, plan_data=tiny_plan_data(), priority=8)
    same_but_newer = job_create(owner=bob, plan_data=tiny_plan_data(), priority=8)

    # Whichever job's task is delivered, the slot goes to `high`: priority first, then age; the
    # retry still in its backoff is skipped.
    claimed = execution._claim(str(low.pk))
    assert claimed is not None and claimed.pk == high.pk
    assert execution._claim(str(low.pk)).pk == same_but_newer.pk
    assert execution._claim(str(high.pk)).pk == low.pk
    assert execution._claim(str(low.pk)) is None  # only the waiting retry is left
    assert slots[-1] == (str(waiting.pk), RenderJob.objects.get(pk=waiting.pk).next_attempt_at)
