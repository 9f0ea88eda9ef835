"""Running one render job inside a worker: claim it, drive the pipeline, store what it made.

Safe to run twice (at-least-once delivery): a job already final returns at once, and a rerun
works in the same directory, so the pipeline resumes from stills, speech and cached segments.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from bhakti.logging import job_context
from renders import fan_out, worker_shutdown
from renders.cost_meter import record_actual_cost
from renders.error_text import public_error_text
from renders.failures import classify_failure, next_attempt_time, wait_text
from renders.models import AssetKind, JobAsset, JobEvent, JobState, RenderJob
from renders.pipeline.context import (
    STEP_WEIGHTS,
    STEPS,
    Callbacks,
    Canceled,
    InputError,
    RenderError,
    RenderResult,
    RenderSettings,
)
from renders.pipeline.media_probe import probe
from renders.pipeline.plan import PlanError, parse_plan
from renders.pipeline.providers.base import ProviderSet
from renders.pipeline.runner import run_pipeline
from renders.queue_estimate import forget_snapshot
from renders.services import enqueue_render, log_event, notify_state_change, plan_limits
from renders.uploads import is_own_upload

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY_SEC = 10.0
CANCEL_POLL_EVERY_SEC = 1.0


def job_work_dir(job_id: str) -> Path:
    return Path(settings.RENDER_WORK_DIR) / str(job_id)


def render_settings(work_dir: Path) -> RenderSettings:
    """The renderer's settings from Django's, for a job's (or the CLI's) work directory."""
    return RenderSettings(
        work_dir=work_dir,
        cache_dir=Path(settings.RENDER_CACHE_DIR),
        music_db=settings.MUSIC_DB,
        narration_padding_sec=settings.NARRATION_PADDING_SEC,
        encoder=settings.RENDER_ENCODER,
        parallelism=settings.RENDER_PARALLELISM,
        proxy_short_side=settings.PROXY_SHORT_SIDE,
        limits=plan_limits(),
        live_stream=settings.RENDER_LIVE_STREAM,
    )


def configured_providers() -> ProviderSet:
    from renders.providers_config import build_providers

    return build_providers()


def progress_pct(step: str, fraction: float) -> int:
    done = sum(STEP_WEIGHTS[name] for name in STEPS[: STEPS.index(step)])
    return min(100, int(done + STEP_WEIGHTS[step] * max(0.0, min(1.0, fraction))))


def _claim(job_id: str) -> RenderJob | None:
    """Pick the job this delivery runs, mark it running and count the attempt; None when none is due.

    A render task is a slot (renders.services.enqueue_render). Its own job is taken only when that
    job's worker died mid-render (the task delivered again once its lease ran out). Otherwise the
    slot goes to the most urgent due queued job: highest priority, then oldest; a job waiting out
    a retry's backoff is not due. When only waiting jobs are left, the slot is offered again at
    the earliest of their times, so a backoff holds no worker.
    """
    with transaction.atomic():
        own = _dead_workers_job(job_id)
        if own is not None:
            return _start(own)
        while (job := _next_due_job()) is not None:
            if job.cancel_requested:
                _finish(job, JobState.CANCELED, message="Canceled before it started")
            elif job.attempts >= settings.JOB_MAX_ATTEMPTS:
                _fail_out_of_attempts(job)
            else:
                return _start(job)
        _offer_slot_again_later()
    return None


def _dead_workers_job(job_id: str) -> RenderJob | None:
    """The task's own job, locked, when it is running without a heartbeat (its worker died)."""
    state = RenderJob.objects.filter(pk=job_id).values_list("state", flat=True).first()
    if state != JobState.RUNNING:
        return None
    job = RenderJob.objects.select_for_update().filter(pk=job_id, state=JobState.RUNNING).first()
    if job is None:
        return None
    if _beating(job):
        # A second delivery of the task (the broker re-delivers after its lease, or the reaper
        # re-queued it meanwhile) while another worker still renders it: it only offers a slot.
        logger.info("render job %s is running on another worker; this delivery takes the next job", job_id)
        return None
    if job.cancel_requested:
        _finish(job, JobState.CANCELED, message="Canceled before it started")
        return None
    if job.attempts >= settings.JOB_MAX_ATTEMPTS:
        _fail_out_of_attempts(job)
        return None
    # The dead worker's own task, delivered again once its broker lease ran out, may get here
    # before the reaper does: say what happened, as the reaper would.
    now = timezone.now()
    silent_for = int((now - (job.heartbeat_at or job.started_at or now)).total_seconds())
    log_event(
        job,
        f"Its worker stopped responding during {job.step or 'the render'} (no heartbeat for {silent_for} s); "
        "taken over, reusing finished work",
        level=JobEvent.Level.WARNING,
        step=job.step,
    )
    return job


def _fail_out_of_attempts(job: RenderJob) -> None:
    _finish(
        job,
        JobState.FAILED,
        error=f"The render stopped {job.attempts} times without finishing (a worker crashed or timed out). "
        "Retry it; if it stops again, try proxy mode or fewer scenes and tell the operator.",
    )


def _next_due_job() -> RenderJob | None:
    """The queued job a free worker should start now, locked: highest priority, then oldest.

    SKIP LOCKED on PostgreSQL: two workers claiming at once take two different jobs instead of
    queuing on one row. SQLite ignores it; its IMMEDIATE transactions run claims one at a time.
    """
    now = timezone.now()
    return (
        RenderJob.objects.select_for_update(skip_locked=True)
        .filter(state=JobState.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("-priority", "created_at")
        .first()
    )


def _offer_slot_again_later() -> None:
    """Nothing is due: if a retry waits out its backoff, the slot returns when the first one is due."""
    waiting = (
        RenderJob.objects.filter(state=JobState.QUEUED, next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("pk", "next_attempt_at")
        .first()
    )
    if waiting is not None:
        job_id, due = waiting
        transaction.on_commit(lambda: enqueue_render(job_id=str(job_id), not_before=due))


def _start(job: RenderJob) -> RenderJob:
    now = timezone.now()
    first = job.attempts == 0
    job.state = JobState.RUNNING
    job.attempts += 1
    job.next_attempt_at = None
    job.started_at = job.started_at or now
    job.heartbeat_at = now
    job.save(update_fields=["state", "attempts", "next_attempt_at", "started_at", "heartbeat_at"])
    log_event(job, f"Attempt {job.attempts} of {settings.JOB_MAX_ATTEMPTS} started on a worker")
    transaction.on_commit(forget_snapshot)  # one fewer queued, one more running
    if first:
        job_id = str(job.pk)
        transaction.on_commit(lambda: notify_state_change(job_id=job_id))
    return job


def _beating(job: RenderJob) -> bool:
    """Whether the job's worker showed a sign of life within HEARTBEAT_STALE_SEC."""
    last = job.heartbeat_at or job.started_at
    return last is not None and timezone.now() - last < timedelta(seconds=settings.HEARTBEAT_STALE_SEC)


def _finish(job: RenderJob, state: str, *, error: str = "", error_step: str = "", message: str = "") -> None:
    error, message = public_error_text(error, job=job), public_error_text(message, job=job)
    job.state = state
    job.finished_at = timezone.now()
    job.error = error
    job.error_step = error_step
    fields = ["state", "finished_at", "error", "error_step"]
    if state == JobState.SUCCEEDED:
        job.progress_pct = 100
        job.step = ""
        fields += ["progress_pct", "step"]
    job.save(update_fields=fields)
    level = JobEvent.Level.ERROR if state == JobState.FAILED else JobEvent.Level.INFO
    log_event(job, message or error or f"Job {state}", level=level, step=error_step)
    transaction.on_commit(lambda: notify_state_change(job_id=str(job.pk)))


class _JobReporter:
    """The pipeline's callbacks for one job: progress, heartbeat, log, cancel, previews."""

    def __init__(self, job: RenderJob):
        self.job = job
        self.step = ""
        self._last_pct = -1
        self._last_cancel_check = 0.0
        self._canceled = False
        self.saved: set[Path] = set()  # previews stored during this run; the final store skips them
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name=f"heartbeat-{job.pk}", daemon=True)

    def start(self) -> None:
        self._heartbeat.start()

    def stop(self) -> None:
        self._stop.set()
        self._heartbeat.join(timeout=5)

    def _beat(self) -> None:
        # The pipeline can sit inside one long ffmpeg call; the heartbeat must not depend on it.
        try:
            while not self._stop.wait(HEARTBEAT_EVERY_SEC):
                try:
                    RenderJob.objects.filter(pk=self.job.pk, state=JobState.RUNNING).update(heartbeat_at=timezone.now())
                except DatabaseError as error:  # a database blip must not stop the beat for good
                    logger.warning("heartbeat of render job %s failed (%s); trying again", self.job.pk, error)
                    connection.close()
        finally:
            connection.close()

    def progress(self, step: str, fraction: float) -> None:
        pct = progress_pct(step, fraction)
        if step == self.step and pct == self._last_pct:
            return
        self.step, self._last_pct = step, pct
        RenderJob.objects.filter(pk=self.job.pk).update(step=step, progress_pct=pct, heartbeat_at=timezone.now())

    def log(self, level: str, message: str) -> None:
        log_event(self.job, public_error_text(message, job=self.job), level=level, step=self.step)

    def is_canceled(self) -> bool:
        if worker_shutdown.requested.is_set():
            return True  # the worker is stopping: end the render the way a cancel does
        now = time.monotonic()
        if not self._canceled and now - self._last_cancel_check >= CANCEL_POLL_EVERY_SEC:
            self._last_cancel_check = now
            self._canceled = RenderJob.objects.filter(pk=self.job.pk, cancel_requested=True).exists()
        return self._canceled

    def resolve_image(self, name: str) -> Path:
        """A scene's uploaded picture, copied from storage into the work directory.

        The plan was checked when the job was made; the name is checked again here because a
        plan can reach a worker by other ways (an old job, an admin edit, a database write).
        """
        from django.core.files.storage import default_storage

        if not is_own_upload(owner=self.job.owner, name=name):
            raise InputError(
                "A scene's picture is not one of your uploads. Choose the picture again in the studio and render a "
                "new video.",
                step="images",
            )
        target = job_work_dir(str(self.job.pk)) / "uploads" / Path(name).name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with default_storage.open(name, "rb") as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
            except FileNotFoundError:
                raise InputError(
                    f"The uploaded image {Path(name).name} is gone from storage. Upload it again and retry.",
                    step="images",
                ) from None
        return target

    def produced(self, step: str, paths: list[Path]) -> None:
        """Save previews as the pipeline makes them, so the job page shows them during the render."""
        for path in paths:
            self.saved.add(path)
            if step == "images":
                save_asset(self.job, AssetKind.SCENE_IMAGE, path, scene_index=_scene_index(path))
            elif step == "narration":
                save_asset(self.job, AssetKind.NARRATION, path)
            elif step == "subtitles" and path.suffix in (".srt", ".vtt"):
                kind = AssetKind.SUBTITLES_SRT if path.suffix == ".srt" else AssetKind.SUBTITLES_VTT
                save_asset(self.job, kind, path, language=path.stem)

    def live_piece(self, index: int, path: Path, duration_sec: float) -> None:
        """Store the live stream's next piece; the job page's playlist lists it at once."""
        save_asset(
            self.job, AssetKind.LIVE_PIECE, path, scene_index=index, duration_sec=duration_sec,
            name=f"live_{index:04d}.ts",
        )  # fmt: skip

    def fan_out(self, manifest_name: str) -> None:
        """Ask the other clusters for help with this job's segments (renders/fan_out.py)."""
        count = fan_out.request_helpers(job_id=str(self.job.pk), manifest_name=manifest_name)
        logger.info("render job %s: shared its segments with up to %d helpers", self.job.pk, count)

    def callbacks(self) -> Callbacks:
        return Callbacks(
            progress=self.progress,
            log=self.log,
            is_canceled=self.is_canceled,
            resolve_image=self.resolve_image,
            produced=self.produced,
            live_piece=self.live_piece,
            fan_out=self.fan_out,
        )


def _scene_index(path: Path) -> int:
    digits = "".join(ch for ch in path.stem if ch.isdigit())
    return int(digits) if digits else 0


def save_asset(
    job: RenderJob,
    kind: str,
    path: Path,
    *,
    language: str = "",
    scene_index: int = 0,
    duration_sec: float = 0.0,
    name: str = "",
) -> JobAsset:
    """Save a file through the default storage (as `name`, else its own name), replacing an
    earlier one of the same kind."""
    existing = JobAsset.objects.filter(job=job, kind=kind, language=language, scene_index=scene_index).first()
    if existing is not None:
        existing.file.delete(save=False)
        existing.delete()
    asset = JobAsset(
        job=job, kind=kind, language=language, scene_index=scene_index, size_bytes=path.stat().st_size,
        duration_sec=duration_sec,
    )  # fmt: skip
    with open(path, "rb") as handle:
        asset.file.save(name or path.name, File(handle), save=False)
    asset.save()
    return asset


def delete_live_pieces(job: RenderJob) -> None:
    """Drop the live stream once the MP4 is stored: the job page plays the MP4 from now on."""
    for asset in JobAsset.objects.filter(job=job, kind=AssetKind.LIVE_PIECE):
        asset.file.delete(save=False)
        asset.delete()


def store_result(job: RenderJob, result: RenderResult, already_saved: set[Path] | None = None) -> None:
    """Save the run's files; those in `already_saved` (previews stored as they were made, and
    not rewritten since) are on the job already and are not uploaded again."""
    skip = already_saved or set()
    files = [
        (AssetKind.VIDEO, result.video, "", 0),
        (AssetKind.THUMBNAIL, result.thumbnail, "", 0),
        (AssetKind.NARRATION, result.narration_audio, "", 0),
        (AssetKind.SUMMARY, result.summary, "", 0),
    ]
    for language, pair in result.subtitles.items():
        files += [
            (AssetKind.SUBTITLES_SRT, pair["srt"], language, 0),
            (AssetKind.SUBTITLES_VTT, pair["vtt"], language, 0),
        ]
    files += [(AssetKind.SCENE_IMAGE, image, "", index) for index, image in enumerate(result.scene_images)]
    for kind, path, language, scene_index in files:
        if path not in skip:
            save_asset(job, kind, path, language=language, scene_index=scene_index)


def _playing_time(video: Path, *, planned: float) -> float:
    """How long the stored video plays, read from the file (its container's duration, which is
    what a player shows): the encoder's frame and audio-frame rounding makes it differ from the
    plan's sum of scene lengths. The planned length stands in when the file cannot be read."""
    try:
        return probe(video).duration_sec or planned
    except (OSError, ValueError, subprocess.SubprocessError) as error:
        logger.warning("could not read the length of %s: %s", video, error)
        return planned


def execute_render_job(job_id: str) -> str:
    """Claim the most urgent due job (see _claim) and run it to a final state, a re-queue for a
    retry, or leave it running if the worker itself dies. Returns the state of the job it ran."""
    job = _claim(job_id)
    if job is None:
        state = RenderJob.objects.filter(pk=job_id).values_list("state", flat=True).first()
        return state or "missing"
    with job_context(str(job.pk)):  # the slot may have gone to a more urgent job than the task's own
        return _run(job)


def _run(job: RenderJob) -> str:
    job_id = str(job.pk)
    reporter = _JobReporter(job)
    reporter.start()
    work_dir = job_work_dir(job_id)
    providers: ProviderSet | None = None
    try:
        plan = parse_plan(job.plan, plan_limits())
        written = (job.timings or {}).get("script")
        if written is not None:  # the plan was written from a topic when the job was made
            reporter.progress("script", 1.0)
        providers = configured_providers()
        for note in getattr(providers, "notes", ()):
            reporter.log("warning", note)
        shared = dataclasses.replace(render_settings(work_dir), fan_out=fan_out.is_enabled())
        result = run_pipeline(plan, shared, reporter.callbacks(), providers)
        record_actual_cost(job_id, providers, result.summary)
        reporter.progress("store", 0.0)
        started = time.monotonic()
        store_result(job, result, already_saved=reporter.saved)
        timings = {**result.timings, "store": round(time.monotonic() - started, 3)}
        if written is not None:
            timings = {"script": written, **timings}
        duration_sec = _playing_time(result.video, planned=result.duration_sec)
        with transaction.atomic():
            job.encoder = result.encoder
            job.timings = timings
            job.duration_sec = round(duration_sec, 3)
            job.pieces_reused = result.pieces_reused
            job.pieces_total = result.pieces_total
            job.save(update_fields=["encoder", "timings", "duration_sec", "pieces_reused", "pieces_total"])
            _finish(job, JobState.SUCCEEDED, message=f"Done: {duration_sec:.1f} s video, encoder {result.encoder}")
        shutil.rmtree(work_dir, ignore_errors=True)
        delete_live_pieces(job)
    except Exception as error:  # noqa: BLE001 - every failure ends in a final state, or a re-queue on shutdown
        if worker_shutdown.requested.is_set():
            _requeue_interrupted(job_id, reporter.step)  # whatever stopping did to the pipeline
        elif isinstance(error, Canceled):
            _finish(job, JobState.CANCELED, message="Canceled; the render was stopped")
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            _fail(job, error, reporter.step)
    finally:
        record_actual_cost(job_id, providers)  # what a failed or canceled attempt spent counts too
        reporter.stop()
        close_old_connections()
    job.refresh_from_db(fields=["state"])
    return job.state


def _fail(job: RenderJob, error: Exception, step: str) -> None:
    """End the attempt: queue the job for another after a backoff when the failure is transient
    (renders.failures) and attempts are left; otherwise fail it with a message for the creator."""
    step = getattr(error, "step", "") or step
    verdict = classify_failure(error)
    if verdict.transient:
        logger.warning("render job %s: attempt %s failed during %s: %s", job.pk, job.attempts, step, error)
        if job.attempts < settings.JOB_MAX_ATTEMPTS and _queue_retry(str(job.pk), verdict.reason, step):
            return
        if RenderJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            _finish(job, JobState.CANCELED, message="Canceled; the render was stopped")
            return
        _finish(
            job,
            JobState.FAILED,
            error=f"The render failed {job.attempts} times, each time for a reason that usually passes; the last: "
            f"{verdict.reason}. Retry it later; if it fails again, tell the operator.",
            error_step=step,
        )
        return
    if isinstance(error, (RenderError, PlanError)):
        logger.warning("render job %s failed during %s: %s", job.pk, step, error)  # unscrubbed, for operators
        _finish(job, JobState.FAILED, error=str(error), error_step=step)
        return
    logger.exception("render job %s failed", job.pk)
    step = step or "images"
    _finish(
        job,
        JobState.FAILED,
        error=f"Rendering failed unexpectedly during {step} ({type(error).__name__}: {error}). "
        "Retry the job; if it fails again, tell the operator.",
        error_step=step,
    )


def _queue_retry(job_id: str, reason: str, step: str) -> bool:
    """Put the running job back to queued, due after the backoff; False if it is no longer ours to retry."""
    with transaction.atomic():
        job = RenderJob.objects.select_for_update().filter(pk=job_id, state=JobState.RUNNING).first()
        if job is None or job.cancel_requested:
            return False
        following = job.attempts + 1
        due = next_attempt_time(attempt=following)
        job.state = JobState.QUEUED
        job.last_error = public_error_text(reason, job=job)
        job.next_attempt_at = due
        job.heartbeat_at = None
        job.save(update_fields=["state", "last_error", "next_attempt_at", "heartbeat_at"])
        log_event(
            job,
            f"Attempt {job.attempts} of {settings.JOB_MAX_ATTEMPTS} failed during {step or 'the render'}: "
            f"{job.last_error}. Attempt {following} of {settings.JOB_MAX_ATTEMPTS} in {wait_text(due)}, "
            "reusing finished work",
            level=JobEvent.Level.WARNING,
            step=step,
        )
        transaction.on_commit(lambda: enqueue_render(job_id=job_id, not_before=due))
    return True


def _requeue_interrupted(job_id: str, step: str) -> None:
    """A shutdown stopped the render: queue the job again, this attempt not counted.

    The fresh task commits with the job's state (the ORM broker is a table in this database), so
    the next cluster to start, or another one running now, resumes it from its work dir and the
    segment cache. The interrupted task may be delivered again too; _claim makes that harmless.
    """
    with transaction.atomic():
        job = RenderJob.objects.select_for_update().filter(pk=job_id, state=JobState.RUNNING).first()
        if job is None:
            return
        if job.cancel_requested:
            _finish(job, JobState.CANCELED, message="Canceled; the render was stopped")
            return
        job.state = JobState.QUEUED
        job.attempts = max(0, job.attempts - 1)
        job.heartbeat_at = None
        job.save(update_fields=["state", "attempts", "heartbeat_at"])
        log_event(
            job,
            f"Its worker was shut down during {step or 'the render'}; queued again, "
            "resuming from finished work when a worker is free",
            level=JobEvent.Level.WARNING,
            step=step,
        )
        enqueue_render(job_id=job_id)
