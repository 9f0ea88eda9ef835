"""The worker side of a job: claim, run the real pipeline on a tiny plan, store, recover."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from conftest import tiny_plan_data
from renders.execution import execute_render_job
from renders.models import AssetKind, JobState, RenderJob
from renders.services import job_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    monkeypatch.setattr("renders.services.enqueue_render", lambda *, job_id: None)


def _summary(job: RenderJob) -> dict:
    asset = job.assets.get(kind=AssetKind.SUMMARY)
    with asset.file.open("rb") as handle:
        return json.loads(handle.read())


def test_it_renders_a_job_and_stores_every_file(alice, settings):
    job = job_create(owner=alice, plan_data=tiny_plan_data(scenes=[
        {"image_prompt": "a river at dawn", "narration": "Prahlad prayed.", "narration_alt": "प्रह्लाद ने प्रार्थना की।", "duration_sec": 1.5},
        {"image_prompt": "fire at night", "narration": "The fire did not burn him.", "duration_sec": 1.5},
    ]))  # fmt: skip
    assert execute_render_job(str(job.pk)) == JobState.SUCCEEDED
    job.refresh_from_db()
    assert job.progress_pct == 100 and job.attempts == 1 and job.error == ""
    assert job.encoder in {"libx264", "h264_nvenc"}
    assert set(job.timings) >= {"images", "speech", "subtitles", "compose", "store"}
    kinds = {(asset.kind, asset.language) for asset in job.assets.all()}
    assert {
        (AssetKind.VIDEO, ""),
        (AssetKind.THUMBNAIL, ""),
        (AssetKind.NARRATION, ""),
        (AssetKind.SUMMARY, ""),
    } <= kinds
    assert {(AssetKind.SUBTITLES_SRT, "en"), (AssetKind.SUBTITLES_VTT, "en"), (AssetKind.SUBTITLES_SRT, "hi")} <= kinds
    assert job.assets.filter(kind=AssetKind.SCENE_IMAGE).count() == 2
    assert job.duration_sec is not None and job.duration_sec >= 3.0
    # The work directory is gone once the job is final; the files live in storage.
    assert not (settings.RENDER_WORK_DIR / str(job.pk)).exists()
    assert job.events.filter(message__startswith="Done").exists()


def test_it_does_nothing_for_a_job_already_final(alice):
    job = job_create(owner=alice, plan_data=tiny_plan_data())
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED)
    assert execute_render_job(str(job.pk)) == JobState.SUCCEEDED
    assert RenderJob.objects.get(pk=job.pk).attempts == 0


def test_it_fails_a_job_after_its_last_attempt(alice, settings):
    job = job_create(owner=alice, plan_data=tiny_plan_data())
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, attempts=settings.JOB_MAX_ATTEMPTS)
    assert execute_render_job(str(job.pk)) == JobState.FAILED
    job.refresh_from_db()
    assert "stopped 3 times" in job.error and "Retry" in job.error


def test_it_fails_with_a_readable_error_when_an_upload_is_gone(alice):
    data = tiny_plan_data()
    data["scenes"][0]["image"] = f"uploads/{alice.pk}/missing.png"
    job = job_create(owner=alice, plan_data=data)
    assert execute_render_job(str(job.pk)) == JobState.FAILED
    job.refresh_from_db()
    assert job.error_step == "images"
    assert "Upload it again" in job.error


def test_it_cancels_a_running_job_while_it_renders(alice):
    job = job_create(owner=alice, plan_data=tiny_plan_data(scenes=[
        {"image_prompt": "temple", "narration": "One.", "duration_sec": 4},
        {"image_prompt": "lotus", "narration": "Two.", "duration_sec": 4},
        {"image_prompt": "river", "narration": "Three.", "duration_sec": 4},
    ]))  # fmt: skip
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(execute_render_job(str(job.pk))))
    worker.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not RenderJob.objects.filter(pk=job.pk, step="compose").exists():
        time.sleep(0.05)
    RenderJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    worker.join(timeout=60)
    assert outcome == [JobState.CANCELED]
    job.refresh_from_db()
    assert job.finished_at is not None
    assert not job.assets.filter(kind=AssetKind.VIDEO).exists()


class WorkerDied(BaseException):
    """Stands in for a worker killed mid-render: not an Exception, so nothing catches it."""


def test_it_resumes_a_half_finished_job_from_its_cache(alice, monkeypatch):
    job = job_create(owner=alice, plan_data=tiny_plan_data(scenes=[
        {"image_prompt": "temple", "narration": "One.", "duration_sec": 1.5},
        {"image_prompt": "lotus", "narration": "Two.", "duration_sec": 1.5},
        {"image_prompt": "river", "narration": "Three.", "duration_sec": 1.5},
    ]))  # fmt: skip
    from renders import execution

    real_progress = execution._JobReporter.progress

    def dying_progress(self, step: str, fraction: float) -> None:
        real_progress(self, step, fraction)
        if step == "compose" and 0.0 < fraction < 1.0:
            raise WorkerDied()

    monkeypatch.setattr(execution._JobReporter, "progress", dying_progress)
    with pytest.raises(WorkerDied):
        execute_render_job(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.attempts == 1

    monkeypatch.setattr(execution._JobReporter, "progress", real_progress)
    # While its heartbeat is fresh, another delivery of the task leaves the job to its worker.
    RenderJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    assert execute_render_job(str(job.pk)) == JobState.RUNNING
    assert RenderJob.objects.get(pk=job.pk).attempts == 1
    # Once the worker has been silent past HEARTBEAT_STALE_SEC, a delivery takes the job over.
    silent = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SEC + 1)
    RenderJob.objects.filter(pk=job.pk).update(heartbeat_at=silent)
    assert execute_render_job(str(job.pk)) == JobState.SUCCEEDED
    job.refresh_from_db()
    assert job.attempts == 2
    assert _summary(job)["segments"]["cached"] >= 1


def test_its_heartbeat_outlives_a_database_error(alice, monkeypatch):
    from renders import execution

    job = job_create(owner=alice, plan_data=tiny_plan_data())
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    monkeypatch.setattr(execution, "HEARTBEAT_EVERY_SEC", 0.01)
    beats = []

    class FlakyQuerySet:
        def update(self, **fields):
            beats.append(fields)
            if len(beats) == 1:
                raise OperationalError("server closed the connection unexpectedly")
            return 1

    monkeypatch.setattr(execution.RenderJob.objects, "filter", lambda **kwargs: FlakyQuerySet())
    reporter = execution._JobReporter(job)
    reporter.start()
    deadline = time.monotonic() + 5
    while len(beats) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    reporter.stop()
    assert len(beats) >= 3 and "heartbeat_at" in beats[-1]


def test_it_saves_previews_while_it_renders(alice, monkeypatch):
    """Scene images, narration and subtitles are on the job before the final video is stored."""
    from renders import execution

    job = job_create(owner=alice, plan_data=tiny_plan_data())
    real_progress = execution._JobReporter.progress
    before_store: list[set] = []
    preview_ids: set[int] = set()

    def watching_progress(self, step: str, fraction: float) -> None:
        if step == "store" and not before_store:
            before_store.append(set(job.assets.values_list("kind", "language")))
            preview_ids.update(job.assets.values_list("pk", flat=True))
        real_progress(self, step, fraction)

    monkeypatch.setattr(execution._JobReporter, "progress", watching_progress)
    assert execute_render_job(str(job.pk)) == JobState.SUCCEEDED
    kinds = before_store[0]
    assert {(AssetKind.SCENE_IMAGE, ""), (AssetKind.NARRATION, "")} <= kinds
    assert {(AssetKind.SUBTITLES_SRT, "en"), (AssetKind.SUBTITLES_VTT, "en")} <= kinds
    assert (AssetKind.VIDEO, "") not in kinds
    # The final store keeps the previews as they are (not uploaded again): one of each.
    assert job.assets.filter(kind=AssetKind.NARRATION).count() == 1
    assert job.assets.filter(kind=AssetKind.SUBTITLES_SRT, language="en").count() == 1
    assert preview_ids <= set(job.assets.values_list("pk", flat=True))


def test_it_requeues_a_job_whose_worker_is_stopping_without_counting_the_attempt(alice, monkeypatch):
    from renders import execution, worker_shutdown

    enqueued: list[str] = []
    monkeypatch.setattr(execution, "enqueue_render", lambda *, job_id: enqueued.append(job_id))
    job = job_create(owner=alice, plan_data=tiny_plan_data(scenes=[
        {"image_prompt": "temple", "narration": "One.", "duration_sec": 3},
        {"image_prompt": "lotus", "narration": "Two.", "duration_sec": 3},
    ]))  # fmt: skip
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(execute_render_job(str(job.pk))))
    worker.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not RenderJob.objects.filter(pk=job.pk, step="compose").exists():
        time.sleep(0.05)
    worker_shutdown.requested.set()  # what SIGTERM or Ctrl-C does in a busy worker
    try:
        worker.join(timeout=60)
    finally:
        worker_shutdown.requested.clear()

    assert outcome == [JobState.QUEUED]
    job.refresh_from_db()
    assert (job.state, job.attempts, job.heartbeat_at, job.error) == (JobState.QUEUED, 0, None, "")
    assert enqueued == [str(job.pk)]  # a fresh task: the next cluster resumes it
    assert job.events.filter(message__startswith="Its worker was shut down during compose").exists()
