"""RenderJob.change_seq: every writer a poller could see bumps it (database triggers), none lowers it."""

from __future__ import annotations

from pathlib import Path

from django.db import connection
from django.utils import timezone

from publishing.models import Publication, PublicationState
from renders.execution import save_asset
from renders.job_version import install_triggers
from renders.models import AssetKind, JobAsset, JobEvent, JobState, RenderJob
from renders.services import job_cancel, log_event


def _job(owner) -> RenderJob:
    return RenderJob.objects.create(owner=owner, title="Prahlad", language="en", plan={})


def _version(job: RenderJob) -> int:
    return RenderJob.objects.values_list("change_seq", flat=True).get(pk=job.pk)


def test_it_bumps_on_a_progress_update(alice):
    job = _job(alice)
    before = _version(job)
    # What the worker's progress callback runs (renders/execution.py): a bare QuerySet.update().
    RenderJob.objects.filter(pk=job.pk).update(step="images", progress_pct=20, heartbeat_at=timezone.now())
    assert _version(job) == before + 1


def test_it_bumps_on_a_log_line(alice):
    job = _job(alice)
    before = _version(job)
    log_event(job, "Scene 1 drawn")
    assert _version(job) == before + 1


def test_it_bumps_on_a_file_saved_replaced_and_deleted(alice, tmp_path: Path):
    job = _job(alice)
    still = tmp_path / "scene_000.png"
    still.write_bytes(b"png")
    before = _version(job)
    save_asset(job, AssetKind.SCENE_IMAGE, still)
    after_save = _version(job)
    assert after_save > before
    save_asset(job, AssetKind.SCENE_IMAGE, still)  # replaces it: a delete and an insert
    after_replace = _version(job)
    assert after_replace > after_save
    JobAsset.objects.filter(job=job).update(size_bytes=99)
    assert _version(job) > after_replace
    bumped = _version(job)
    JobAsset.objects.filter(job=job).delete()
    assert _version(job) > bumped


def test_it_bumps_on_a_service_action(alice):
    job = _job(alice)
    before = _version(job)
    job_cancel(job=job)
    assert _version(job) > before


def test_it_bumps_on_a_publication_change(alice):
    job = _job(alice)
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED)
    before = _version(job)
    publication = Publication.objects.create(
        job=job, owner=alice, title="Prahlad", made_for_kids=False, upload_after=timezone.now()
    )
    created = _version(job)
    assert created > before
    Publication.objects.filter(pk=publication.pk).update(state=PublicationState.PUBLISHED, youtube_video_id="v1")
    assert _version(job) > created


def test_a_stale_full_save_never_takes_the_version_back(alice):
    job = _job(alice)
    stale = RenderJob.objects.get(pk=job.pk)  # a copy loaded before other writers' changes
    for number in range(3):
        log_event(job, f"line {number}")
    seen = _version(job)
    stale.title = "Prahlad and Holika"
    stale.save()  # writes its old version back
    assert _version(job) > seen


def test_it_bumps_only_the_job_a_row_belongs_to(alice, bob):
    mine, theirs = _job(alice), _job(bob)
    before = _version(theirs)
    JobEvent.objects.create(job=mine, message="only mine")
    assert _version(theirs) == before


def test_installing_again_is_harmless(alice):
    install_triggers(connection)
    install_triggers(connection)
    job = _job(alice)
    before = _version(job)
    log_event(job, "once")
    assert _version(job) == before + 1  # one trigger each, not two
