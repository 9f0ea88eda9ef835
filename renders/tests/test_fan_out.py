"""Helpers for another worker's job: when they are asked for, when they leave, what the reaper sweeps."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from conftest import tiny_plan_data
from renders import fan_out
from renders.execution import execute_render_job
from renders.models import JobState, RenderJob, WorkerHeartbeat
from renders.pipeline import fan_out as pipeline_fan_out
from renders.reaper import reap_jobs
from renders.services import job_create

pytestmark = pytest.mark.django_db(transaction=True)


def _cluster(name: str, *, workers: int = 2, beat_ago: float = 0, stopped: bool = False) -> WorkerHeartbeat:
    now = timezone.now()
    return WorkerHeartbeat.objects.create(
        name=name, host=name.split(":")[0], pid=int(name.split(":")[1]), workers=workers, started_at=now,
        beat_at=now - timedelta(seconds=beat_ago), stopped_at=now if stopped else None,
    )  # fmt: skip


def _helper_tasks(job: RenderJob) -> list[OrmQ]:
    return [entry for entry in OrmQ.objects.all() if entry.name() == f"segments-{job.pk}"]


def _manifest(cache_dir: Path, work_dir: Path) -> str:
    segment = pipeline_fan_out.SharedSegment(
        "scene 1", 10, "a" * 64, ".mp4",
        ["-f", "lavfi", "-i", "testsrc=s=64x48:r=10", "-frames:v", "10", "-c:v", "libx264", "-pix_fmt", "yuv420p"],
    )  # fmt: skip
    manifest = pipeline_fan_out.Manifest("elsewhere:1:run", str(work_dir), [segment])
    return pipeline_fan_out.write_manifest(cache_dir, manifest).name


def test_it_fans_out_automatically_only_while_two_clusters_report_themselves(settings):
    settings.RENDER_FAN_OUT = "auto"
    _cluster("a:1")
    _cluster("b:2", beat_ago=3600)  # gone quiet
    _cluster("c:3", stopped=True)
    assert not fan_out.is_enabled()

    _cluster("d:4")
    assert fan_out.is_enabled()
    settings.RENDER_FAN_OUT = "off"
    assert not fan_out.is_enabled()


def test_it_asks_enough_helpers_to_reach_every_cluster_and_they_leave_once_the_job_is_done(
    alice, settings, monkeypatch
):
    monkeypatch.setattr("renders.services.enqueue_render", lambda *, job_id, not_before=None: None)
    settings.RENDER_FAN_OUT = "on"
    _cluster("a:1", workers=2)
    _cluster("b:2", workers=1)
    job = job_create(owner=alice, plan_data=tiny_plan_data())

    assert execute_render_job(str(job.pk)) == JobState.SUCCEEDED

    tasks = _helper_tasks(job)
    assert len(tasks) == (2 * 2 + 1) + (2 * 1 + 1)  # whatever each cluster can hold
    assert tasks[0].task["func"] == "renders.tasks.render_shared_segments"
    job_id, manifest_name, owner_cluster = tasks[0].task["args"]
    assert (job_id, owner_cluster) == (str(job.pk), fan_out.cluster_name())
    assert fan_out.render_shared_segments(job_id, manifest_name, "another:9") == 0  # done: the manifest is gone


def test_a_helper_renders_for_a_running_job_but_not_on_the_owners_cluster_or_for_a_canceled_one(alice, settings):
    job = job_create(owner=alice, plan_data=tiny_plan_data())
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    cache_dir = Path(settings.RENDER_CACHE_DIR)
    name = _manifest(cache_dir, cache_dir.parent)

    assert fan_out.render_shared_segments(str(job.pk), name, fan_out.cluster_name()) == 0  # the owner's own
    RenderJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    assert fan_out.render_shared_segments(str(job.pk), name, "another:9") == 0
    RenderJob.objects.filter(pk=job.pk).update(cancel_requested=False)
    assert fan_out.render_shared_segments(str(job.pk), name, "another:9") == 1
    assert (cache_dir / "segments" / "aa" / f"{'a' * 64}.mp4").stat().st_size > 0
    assert not list(pipeline_fan_out.claims_dir(cache_dir).iterdir())


def test_a_second_helper_on_the_same_cluster_leaves_at_once(alice, settings):
    job = job_create(owner=alice, plan_data=tiny_plan_data())
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    cache_dir = Path(settings.RENDER_CACHE_DIR)
    name = _manifest(cache_dir, cache_dir.parent)
    first = pipeline_fan_out.Claims(cache_dir, "elsewhere:1:first-helper")
    assert first.acquire("cluster-" + fan_out._safe(fan_out.cluster_name()), "-" + name)
    try:
        assert fan_out.render_shared_segments(str(job.pk), name, "another:9") == 0
    finally:
        first.close()
    assert fan_out.render_shared_segments(str(job.pk), name, "another:9") == 1


def test_the_reaper_sweeps_long_stale_claims_and_dead_runs_manifests(settings):
    cache_dir = Path(settings.RENDER_CACHE_DIR)
    name = _manifest(cache_dir, cache_dir)
    claims = pipeline_fan_out.claims_dir(cache_dir)
    claims.mkdir(parents=True)
    (claims / "old.mp4.claim").write_text("elsewhere:1:run")
    (claims / "recent.mp4.claim").write_text("elsewhere:1:run")
    long_ago = time.time() - settings.JOB_TIMEOUT_SEC - 400
    for path in (claims / "old.mp4.claim", pipeline_fan_out.manifests_dir(cache_dir) / name):
        os.utime(path, (long_ago, long_ago))

    reap_jobs()

    assert [path.name for path in claims.iterdir()] == ["recent.mp4.claim"]
    assert not list(pipeline_fan_out.manifests_dir(cache_dir).iterdir())


def test_a_helper_makes_room_for_a_job_that_waits_for_a_worker(alice, settings, monkeypatch):
    job = job_create(owner=alice, plan_data=tiny_plan_data())
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    waiting = job_create(owner=alice, plan_data=tiny_plan_data())  # queued just now: a worker will come
    cache_dir = Path(settings.RENDER_CACHE_DIR)
    name = _manifest(cache_dir, cache_dir.parent)
    long_ago = timezone.now() - timedelta(seconds=fan_out.STEP_ASIDE_AFTER_SEC + 1)

    # Waiting out a retry's backoff is not waiting for a worker; neither is the job helped itself.
    RenderJob.objects.filter(pk=waiting.pk).update(
        created_at=long_ago, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    RenderJob.objects.filter(pk=job.pk).update(created_at=long_ago)
    assert not fan_out._another_job_waits(str(job.pk))
    # Queued long ago, or due again long ago, and no worker took it: every worker is busy.
    RenderJob.objects.filter(pk=waiting.pk).update(next_attempt_at=None)
    assert fan_out._another_job_waits(str(job.pk))
    assert fan_out.render_shared_segments(str(job.pk), name, "another:9") == 0
    RenderJob.objects.filter(pk=waiting.pk).update(created_at=timezone.now(), next_attempt_at=long_ago)
    assert fan_out.render_shared_segments(str(job.pk), name, "another:9") == 0

    # A helper already rendering leaves at its next check once a job waits.
    RenderJob.objects.filter(pk=waiting.pk).update(state=JobState.RUNNING)
    monkeypatch.setattr(fan_out, "CHECK_EVERY_SEC", 0.0)
    answers = []

    def helping(manifest_name, cache_dir, threads, is_canceled):
        answers.append(is_canceled())
        RenderJob.objects.filter(pk=waiting.pk).update(state=JobState.QUEUED)
        answers.append(is_canceled())
        return 0

    monkeypatch.setattr(fan_out.compose, "help_render_segments", helping)
    fan_out.render_shared_segments(str(job.pk), name, "another:9")
    assert answers == [False, True]
