"""Retention: work dirs of ended jobs, stale cache files, old intermediates; never final outputs."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from renders.models import AssetKind, JobAsset, JobState, RenderJob, Upload
from renders.retention import INTERMEDIATE_KINDS, KEPT_KINDS, apply_retention
from renders.tests.test_upload_records import image_bytes
from renders.uploads import create_upload


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.RETENTION_DAYS = 30
    settings.FAILED_WORK_DIR_KEEP_HOURS = 24


def make_job(owner, state: str, *, ended_days_ago: float | None = None) -> RenderJob:
    finished = timezone.now() - timedelta(days=ended_days_ago) if ended_days_ago is not None else None
    return RenderJob.objects.create(
        owner=owner, title="Prahlad", language="en", plan={}, state=state, finished_at=finished
    )


def work_dir(settings, name: str) -> Path:
    path = Path(settings.RENDER_WORK_DIR) / name
    (path / "stills").mkdir(parents=True)
    (path / "stills" / "scene_00.png").write_bytes(b"png")
    return path


def make_old(path: Path, days: float) -> None:
    past = time.time() - days * 86400
    os.utime(path, (past, past))


def add_asset(job: RenderJob, kind: str, scene_index: int = 0) -> JobAsset:
    asset = JobAsset(job=job, kind=kind, scene_index=scene_index, size_bytes=3)
    asset.file.save(f"{kind}-{scene_index}.bin", ContentFile(b"abc"), save=False)
    asset.save()
    return asset


def test_it_never_lists_a_final_output_as_intermediate():
    assert {AssetKind.VIDEO, AssetKind.THUMBNAIL, AssetKind.SUBTITLES_SRT, AssetKind.SUBTITLES_VTT} <= KEPT_KINDS
    assert INTERMEDIATE_KINDS == {AssetKind.SCENE_IMAGE, AssetKind.NARRATION, AssetKind.LIVE_PIECE}


def test_it_removes_work_dirs_of_ended_jobs_only(alice, settings):
    dirs = {
        "succeeded": work_dir(settings, str(make_job(alice, JobState.SUCCEEDED, ended_days_ago=0).pk)),
        "canceled": work_dir(settings, str(make_job(alice, JobState.CANCELED, ended_days_ago=0).pk)),
        "failed_long_ago": work_dir(settings, str(make_job(alice, JobState.FAILED, ended_days_ago=2).pk)),
        "failed_just_now": work_dir(settings, str(make_job(alice, JobState.FAILED, ended_days_ago=0.01).pk)),
        "running": work_dir(settings, str(make_job(alice, JobState.RUNNING).pk)),
        "queued": work_dir(settings, str(make_job(alice, JobState.QUEUED).pk)),
        "no_job_old": work_dir(settings, str(uuid.uuid4())),
        "no_job_new": work_dir(settings, str(uuid.uuid4())),
        "not_a_job_dir": work_dir(settings, "cli-preview"),
    }
    make_old(dirs["no_job_old"], 2)
    make_old(dirs["not_a_job_dir"], 400)
    assert apply_retention()["work_dirs"] == 4
    gone = {name for name, path in dirs.items() if not path.exists()}
    assert gone == {"succeeded", "canceled", "failed_long_ago", "no_job_old"}


def test_it_prunes_cache_entries_unused_for_the_retention_period(db, settings):
    segments = Path(settings.RENDER_CACHE_DIR) / "segments" / "ab"
    segments.mkdir(parents=True)
    old, recent, debris, writing = (
        segments / name for name in ("old.mp4", "recent.mp4", ".x.1.partial.mp4", ".y.2.partial.mp4")
    )
    for path in (old, recent, debris, writing):
        path.write_bytes(b"segment")
    make_old(old, 31)
    make_old(recent, 29)  # a cache hit refreshes the mtime: still in use
    make_old(debris, 2)  # left by a crashed ffmpeg
    assert apply_retention()["cache_files"] == 2
    assert not old.exists() and not debris.exists()
    assert recent.exists() and writing.exists()


def test_it_deletes_old_intermediate_assets_but_never_final_outputs(alice):
    old = make_job(alice, JobState.SUCCEEDED, ended_days_ago=31)
    recent = make_job(alice, JobState.SUCCEEDED, ended_days_ago=29)
    old_failed = make_job(alice, JobState.FAILED, ended_days_ago=60)
    for job in (old, recent, old_failed):
        for kind in AssetKind.values:
            add_asset(job, kind)
        add_asset(job, AssetKind.SCENE_IMAGE, scene_index=1)
    old_files = {asset.kind + str(asset.scene_index): asset.file.name for asset in old.assets.all()}

    assert apply_retention()["assets"] == 8  # 2 scene images, narration, a live piece, of the two old jobs

    assert set(old.assets.values_list("kind", flat=True)) == set(AssetKind.values) - INTERMEDIATE_KINDS
    assert recent.assets.count() == len(AssetKind.values) + 1
    for kind in (AssetKind.VIDEO, AssetKind.THUMBNAIL, AssetKind.SUBTITLES_SRT, AssetKind.SUBTITLES_VTT):
        assert default_storage.exists(old_files[kind + "0"])
    assert not default_storage.exists(old_files[AssetKind.SCENE_IMAGE + "1"])
    assert not default_storage.exists(old_files[AssetKind.NARRATION + "0"])
    assert not default_storage.exists(old_files[AssetKind.LIVE_PIECE + "0"])
    assert apply_retention() == {"work_dirs": 0, "cache_files": 0, "assets": 0, "uploads": 0}


def test_it_deletes_expired_unused_uploads_but_keeps_used_and_live_ones(alice, settings):
    def made() -> Upload:
        data = image_bytes()
        return create_upload(owner=alice, upload=data, size=len(data.getvalue()))

    expired, used, live = made(), made(), made()
    past = timezone.now() - timedelta(hours=1)
    Upload.objects.filter(pk__in=[expired.pk, used.pk]).update(expires_at=past)
    Upload.objects.filter(pk=used.pk).update(used_at=past - timedelta(hours=1))

    assert apply_retention()["uploads"] == 1
    assert set(Upload.objects.values_list("pk", flat=True)) == {used.pk, live.pk}
    assert not default_storage.exists(expired.name)
    assert default_storage.exists(used.name) and default_storage.exists(live.name)
    assert apply_retention()["uploads"] == 0  # nothing left to expire
