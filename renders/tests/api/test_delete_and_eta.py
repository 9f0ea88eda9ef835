"""Deleting a video (studio and API) and the time-left estimate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.selectors import profile_quotas
from accounts.services import ensure_profile
from renders import eta
from renders.models import AssetKind, JobAsset, JobEvent, JobState, RenderJob
from renders.selectors import profile_usage
from renders.tests.api.conftest import make_job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)


def finished(job: RenderJob, *, files: int = 2) -> RenderJob:
    """Mark the job succeeded with `files` stored assets (a video first)."""
    now = timezone.now()
    RenderJob.objects.filter(pk=job.pk).update(
        state=JobState.SUCCEEDED, started_at=now - timedelta(seconds=30), finished_at=now, duration_sec=12.0
    )
    for index in range(files):
        asset = JobAsset(job=job, kind=AssetKind.VIDEO if index == 0 else AssetKind.SCENE_IMAGE, scene_index=index)
        asset.file.save(f"file-{index}.bin", ContentFile(b"data"), save=True)
    job.refresh_from_db()
    return job


def stored_names(job: RenderJob) -> list[str]:
    return [asset.file.name for asset in job.assets.all()]


# ---- studio ---------------------------------------------------------------------------------------


def test_deleting_a_video_asks_first_then_removes_its_files_and_hides_it(
    client, alice, django_capture_on_commit_callbacks
):
    job = finished(make_job(alice, title="Savitri's vow"))
    names = stored_names(job)
    assert all(default_storage.exists(name) for name in names)
    client.force_login(alice)
    page = client.get(reverse("renders:job_status", args=[job.pk])).content.decode()
    assert f'href="{reverse("renders:delete", args=[job.pk])}"' in page

    confirm = client.get(reverse("renders:delete", args=[job.pk]))
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    assert RenderJob.objects.get(pk=job.pk).deleted_at is None  # asking deletes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("renders:delete", args=[job.pk]), follow=True)
    assert "Deleted “" in response.content.decode()
    assert not any(default_storage.exists(name) for name in names)
    row = RenderJob.objects.get(pk=job.pk)
    assert row.deleted_at is not None and row.plan == {} and not row.assets.exists() and not row.events.exists()
    assert client.get(reverse("renders:job_status", args=[job.pk])).status_code == 404
    assert job.title not in client.get(reverse("renders:dashboard")).content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.JOB_DELETED, job_id=job.pk).count() == 1


def test_a_running_video_is_not_deleted(client, alice):
    job = make_job(alice)
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=timezone.now())
    client.force_login(alice)
    response = client.post(reverse("renders:delete", args=[job.pk]))
    assert response.status_code == 409 and "Cancel it first" in response.content.decode()
    assert RenderJob.objects.get(pk=job.pk).deleted_at is None


def test_someone_else_s_video_cannot_be_deleted(client, alice, bob):
    job = finished(make_job(bob))
    client.force_login(alice)
    assert client.get(reverse("renders:delete", args=[job.pk])).status_code == 404
    assert client.post(reverse("renders:delete", args=[job.pk])).status_code == 404
    client.post(reverse("renders:delete_many"), {"job": [str(job.pk)], "confirm": "1"})
    assert RenderJob.objects.get(pk=job.pk).deleted_at is None


def test_bulk_delete_confirms_then_deletes_what_it_can(client, alice, django_capture_on_commit_callbacks):
    done = [finished(make_job(alice, title=f"Story {n}")) for n in range(3)]
    running = make_job(alice, title="Still rendering")
    RenderJob.objects.filter(pk=running.pk).update(state=JobState.RUNNING, started_at=timezone.now())
    client.force_login(alice)
    ids = [str(job.pk) for job in done] + [str(running.pk)]
    dashboard = client.get(reverse("renders:dashboard")).content.decode()
    assert f'action="{reverse("renders:delete_many")}"' in dashboard and 'name="job"' in dashboard

    confirm = client.post(reverse("renders:delete_many"), {"job": ids}).content.decode()
    assert "Delete 4 videos?" in confirm and "“Still rendering”: This video is still rendering" in confirm
    assert not RenderJob.objects.filter(deleted_at__isnull=False).exists()

    with django_capture_on_commit_callbacks(execute=True):
        result = client.post(reverse("renders:delete_many"), {"job": ids, "confirm": "1"}, follow=True)
    body = result.content.decode()
    assert "Deleted 3 videos" in body and "Not deleted: “Still rendering”" in body
    assert RenderJob.objects.filter(deleted_at__isnull=False).count() == 3
    assert RenderJob.objects.get(pk=running.pk).deleted_at is None


def test_counts_show_what_exists_but_today_s_quota_counts_what_was_rendered(alice):
    keep = finished(make_job(alice))
    gone = finished(make_job(alice))
    from renders.deletion import job_delete

    job_delete(job=gone)
    usage = profile_usage(user=alice, profile=ensure_profile(alice))
    assert (usage.jobs_total, usage.jobs_succeeded) == (1, 1)
    assert usage.jobs_last_day == 2 <= profile_quotas(profile=ensure_profile(alice)).jobs_per_day
    assert keep.pk != gone.pk


def test_a_scheduled_youtube_publication_blocks_the_delete(client, alice):
    from publishing.models import Publication, PublicationState

    job = finished(make_job(alice))
    Publication.objects.create(
        job=job,
        owner=alice,
        title="t",
        state=PublicationState.SCHEDULED,
        upload_after=timezone.now(),
        made_for_kids=False,
    )
    client.force_login(alice)
    response = client.post(reverse("renders:delete", args=[job.pk]))
    assert response.status_code == 409 and "Cancel the publication first" in response.content.decode()


# ---- API ------------------------------------------------------------------------------------------


def test_the_api_deletes_a_finished_video(alice, alice_api, bob_api, django_capture_on_commit_callbacks):
    job = finished(make_job(alice))
    names = stored_names(job)
    assert bob_api.delete(f"/api/v1/renders/{job.pk}").status_code == 404  # not bob's
    with django_capture_on_commit_callbacks(execute=True):
        answer = alice_api.delete(f"/api/v1/renders/{job.pk}")
    assert answer.status_code == 204
    assert not any(default_storage.exists(name) for name in names)
    assert alice_api.get(f"/api/v1/renders/{job.pk}").status_code == 404
    assert alice_api.delete(f"/api/v1/renders/{job.pk}").status_code == 404


def test_the_api_refuses_to_delete_a_queued_job_with_409(alice, alice_api):
    job = make_job(alice)
    answer = alice_api.delete(f"/api/v1/renders/{job.pk}")
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_deletable" and "Cancel it first" in answer.json()["message"]
    assert alice_api.delete(f"/api/v1/render/{job.pk}/status").status_code == 405  # the old path only reads


# ---- time left ------------------------------------------------------------------------------------


def _learned(owner, *, mode: str, resolution: str, wall: float, video: float) -> None:
    now = timezone.now()
    job = make_job(owner, mode=mode, resolution=resolution)
    RenderJob.objects.filter(pk=job.pk).update(
        state=JobState.SUCCEEDED, started_at=now - timedelta(seconds=wall), finished_at=now, duration_sec=video
    )


def test_the_estimate_learns_this_server_s_speed_per_mode_and_resolution(alice):
    cache.clear()
    for wall in (20, 24, 22):
        _learned(alice, mode="final", resolution="720p", wall=wall, video=10)  # 2.2 s per video second
    _learned(alice, mode="proxy", resolution="720p", wall=3, video=10)
    assert eta.render_rate("final", "720p") == pytest.approx(2.2)
    assert eta.render_rate("proxy", "") == pytest.approx(0.3)
    assert eta.render_rate("final", "4k") == eta.DEFAULT_RATES[("final", "4k")]  # nothing learned yet

    queued = make_job(alice, mode="final", resolution="720p")
    seconds = eta.video_seconds(queued.plan)
    assert eta.eta_seconds(queued) == round(2.2 * seconds)


def test_a_running_job_s_estimate_blends_the_rate_and_its_progress(alice, alice_api):
    cache.clear()
    job = make_job(alice, mode="proxy")
    rate = eta.render_rate("proxy", "")
    total = rate * eta.video_seconds(job.plan)
    RenderJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, started_at=timezone.now() - timedelta(seconds=10), progress_pct=50
    )
    job.refresh_from_db()
    expected = (max(0.0, total - 10) + 10) / 2  # by rate, and 10 s for the other half
    assert eta.eta_seconds(job) == pytest.approx(max(1, round(expected)), abs=1)
    body = alice_api.get(f"/api/v1/renders/{job.pk}").json()
    assert body["eta_seconds"] == pytest.approx(max(1, round(expected)), abs=1)
    JobEvent.objects.create(job=job, message="x")
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED, finished_at=timezone.now())
    assert alice_api.get(f"/api/v1/renders/{job.pk}").json()["eta_seconds"] is None


def test_the_job_page_says_how_long_is_left(client, alice):
    cache.clear()
    job = make_job(alice, mode="proxy")
    RenderJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, started_at=timezone.now() - timedelta(seconds=60), progress_pct=50, step="compose"
    )
    client.force_login(alice)
    page = client.get(reverse("renders:job_status", args=[job.pk])).content.decode()
    assert 'data-testid="eta">About' in page and "left.</strong>" in page
