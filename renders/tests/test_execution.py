"""The worker side of a job: claim, run the real pipeline on a tiny plan, store, recover."""

from __future__ import annotations

import io
import json
import re
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.utils import timezone
from PIL import Image

from conftest import tiny_plan_data
from renders.execution import execute_render_job
from renders.models import AssetKind, JobAsset, JobState, RenderJob
from renders.pipeline.media_probe import probe
from renders.services import job_create
from renders.tests.path_tricks import foreign_file_names

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)


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
    # The page's length is the stored file's own, which is what a player shows.
    with (
        job.assets.get(kind=AssetKind.VIDEO).file.open("rb") as stored,
        tempfile.NamedTemporaryFile(suffix=".mp4") as copy,
    ):
        copy.write(stored.read())
        copy.flush()
        assert job.duration_sec == probe(Path(copy.name)).duration_sec
    # The work directory is gone once the job is final; the files live in storage.
    assert not (settings.RENDER_WORK_DIR / str(job.pk)).exists()
    assert job.events.filter(message__startswith="Done").exists()


def test_it_stores_roman_hindi_subtitles_for_a_hindi_job(alice):
    job = job_create(owner=alice, plan_data=tiny_plan_data(language="hi", aspect="9:16", scenes=[
        {"image_prompt": "a river at dawn", "narration": "प्रह्लाद ने प्रार्थना की।", "duration_sec": 1.5},
    ]))  # fmt: skip
    assert execute_render_job(str(job.pk)) == JobState.SUCCEEDED
    roman = job.assets.get(kind=AssetKind.SUBTITLES_SRT, language="hi-Latn")
    with roman.file.open("rb") as handle:
        assert "Prahlad ne prarthana ki." in handle.read().decode()
    assert job.assets.filter(kind=AssetKind.SUBTITLES_VTT, language="hi-Latn").count() == 1


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
    data["scenes"][0]["image"] = default_storage.save(f"uploads/{alice.pk}/gone.png", ContentFile(png_bytes()))
    job = job_create(owner=alice, plan_data=data)
    default_storage.delete(data["scenes"][0]["image"])  # purged between the job's creation and its run
    assert execute_render_job(str(job.pk)) == JobState.FAILED
    job.refresh_from_db()
    assert job.error_step == "images"
    assert "Upload it again" in job.error


# ---- isolation: a plan that reached the worker without the API's checks -----------------------------


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


ABSOLUTE_PATH = re.compile(r"(?<![\w:/.])/[\w.-]+/")


def _shown_text(job: RenderJob) -> str:
    """Everything of this job a creator can read: its error and every log line."""
    return "\n".join([job.error, *job.events.values_list("message", flat=True)])


@pytest.mark.parametrize("media", ["local", "s3"])
def test_it_never_renders_someone_elses_file_smuggled_into_a_plan(media, request, alice, bob):
    if media == "s3":
        request.getfixturevalue("s3_storage")
    theirs = default_storage.save(f"uploads/{bob.pk}/{'c' * 32}.png", ContentFile(png_bytes()))
    their_job = job_create(owner=bob, plan_data=tiny_plan_data())
    # Finished: a queued one would be the oldest due job, and a worker's slot would run it first.
    RenderJob.objects.filter(pk=their_job.pk).update(state=JobState.SUCCEEDED)
    asset = JobAsset(job=their_job, kind=AssetKind.SCENE_IMAGE, size_bytes=3)
    asset.file.save("scene_00.jpg", ContentFile(png_bytes()), save=False)
    asset.save()
    tricks = foreign_file_names(
        me=alice.pk, their_upload=theirs, their_job_file=asset.file.name, media_root=settings.MEDIA_ROOT
    )
    for name in [trick for trick in tricks if "\x00" not in trick]:  # PostgreSQL's JSON cannot hold a NUL
        data = tiny_plan_data()
        data["scenes"][0]["image"] = name
        # Written straight to the database, as an old job, an admin edit or a bug elsewhere could.
        job = RenderJob.objects.create(owner=alice, title="Smuggled", plan=data)
        state = execute_render_job(str(job.pk))
        job.refresh_from_db()
        assert (state, job.error_step) == (JobState.FAILED, "images"), name
        assert "not one of your uploads" in job.error, name
        assert not job.assets.exists(), name
        assert not (settings.RENDER_WORK_DIR / str(job.pk) / "uploads").exists(), name
        shown = _shown_text(job)
        assert str(settings.MEDIA_ROOT) not in shown and not ABSOLUTE_PATH.search(shown), (name, shown)


def test_it_shows_no_server_path_when_an_upload_is_not_a_picture(alice):
    data = tiny_plan_data()
    data["scenes"][0]["image"] = default_storage.save(f"uploads/{alice.pk}/notes.png", ContentFile(b"not a picture"))
    job = job_create(owner=alice, plan_data=data)
    assert execute_render_job(str(job.pk)) == JobState.FAILED
    job.refresh_from_db()
    shown = _shown_text(job)
    assert "could not be read as a picture" in job.error and "notes.png" in job.error
    assert str(settings.RENDER_WORK_DIR) not in shown and not ABSOLUTE_PATH.search(shown), shown


def test_it_cancels_a_running_job_while_it_renders(alice, monkeypatch):
    job = job_create(owner=alice, plan_data=tiny_plan_data(scenes=[
        {"image_prompt": "temple", "narration": "One.", "duration_sec": 4},
        {"image_prompt": "lotus", "narration": "Two.", "duration_sec": 4},
        {"image_prompt": "river", "narration": "Three.", "duration_sec": 4},
    ]))  # fmt: skip
    from renders import execution

    # The creator presses Cancel as soon as composing starts; the worker looks at every check, so
    # the outcome does not depend on how fast this machine composes a tiny video.
    monkeypatch.setattr(execution, "CANCEL_POLL_EVERY_SEC", 0.0)
    real_progress = execution._JobReporter.progress

    def cancel_at_compose(self, step: str, fraction: float) -> None:
        real_progress(self, step, fraction)
        if step == "compose":
            RenderJob.objects.filter(pk=job.pk).update(cancel_requested=True)

    monkeypatch.setattr(execution._JobReporter, "progress", cancel_at_compose)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(execute_render_job(str(job.pk))))
    worker.start()
    worker.join(timeout=120)
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
        # Well into compose (the audio pieces render first, then the video segments): at 70% of
        # the frames, at least one video segment is finished whatever the order.
        if step == "compose" and 0.7 <= fraction < 1.0:
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
    """Scene images, narration, subtitles and the live stream are on the job before the final video is stored."""
    from renders import execution

    job = job_create(owner=alice, plan_data=tiny_plan_data())
    real_progress = execution._JobReporter.progress
    before_store: list[set] = []
    preview_ids: set[int] = set()

    def watching_progress(self, step: str, fraction: float) -> None:
        if step == "store" and not before_store:
            before_store.append(set(job.assets.values_list("kind", "language")))
            preview_ids.update(job.assets.exclude(kind=AssetKind.LIVE_PIECE).values_list("pk", flat=True))
        real_progress(self, step, fraction)

    monkeypatch.setattr(execution._JobReporter, "progress", watching_progress)
    assert execute_render_job(str(job.pk)) == JobState.SUCCEEDED
    kinds = before_store[0]
    assert {(AssetKind.SCENE_IMAGE, ""), (AssetKind.NARRATION, "")} <= kinds
    assert {(AssetKind.SUBTITLES_SRT, "en"), (AssetKind.SUBTITLES_VTT, "en")} <= kinds
    assert (AssetKind.VIDEO, "") not in kinds
    # The live stream's pieces were there while it rendered, and go once the MP4 is stored.
    assert (AssetKind.LIVE_PIECE, "") in kinds
    assert not job.assets.filter(kind=AssetKind.LIVE_PIECE).exists()
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
    # The worker thread says when compose starts; polling the job's row from this thread instead
    # raced its writes on the test's shared-cache SQLite ("database table is locked").
    composing = threading.Event()
    report = execution._JobReporter.progress

    def progress(reporter: execution._JobReporter, step: str, fraction: float) -> None:
        report(reporter, step, fraction)
        if step == "compose":
            composing.set()

    monkeypatch.setattr(execution._JobReporter, "progress", progress)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(execute_render_job(str(job.pk))))
    worker.start()
    assert composing.wait(timeout=60)
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
