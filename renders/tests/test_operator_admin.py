"""The admin pages operators use: worker heartbeats, and task records without the housekeeping flood."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule, Task

from bhakti.schedules import ensure_schedules
from renders.models import WorkerHeartbeat
from renders.worker_heartbeat import beat, stopped, worker_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    operator = django_user_model.objects.create_superuser("operator", "op@example.com", "operator-pass-123")
    client.force_login(operator)
    return client


def test_a_worker_beats_and_stops(settings):
    settings.RENDER_WORKERS = 3
    beat()
    first = WorkerHeartbeat.objects.get(name=worker_name())
    beat()
    again = WorkerHeartbeat.objects.get(name=worker_name())
    assert (again.workers, again.started_at, again.stopped_at) == (3, first.started_at, None)
    assert again.beat_at >= first.beat_at
    stopped()
    assert WorkerHeartbeat.objects.get(name=worker_name()).stopped_at is not None


def test_the_admin_lists_workers_with_their_state(admin_client):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        name="render-1:41", host="render-1", pid=41, workers=2, started_at=now, beat_at=now - timedelta(seconds=5)
    )
    WorkerHeartbeat.objects.create(
        name="render-2:77", host="render-2", pid=77, workers=4, started_at=now, beat_at=now - timedelta(minutes=10)
    )
    WorkerHeartbeat.objects.create(
        name="render-3:9", host="render-3", pid=9, workers=2, started_at=now, beat_at=now, stopped_at=now
    )
    page = admin_client.get("/admin/renders/workerheartbeat/").content.decode()
    assert "render-1:41" in page and re.search(r">[5-9] s ago<", page) and "running" in page
    assert "render-2:77" in page and "stale: no heartbeat" in page and "10\xa0minutes ago" in page
    assert "render-3:9" in page and "stopped" in page
    assert admin_client.get("/admin/renders/workerheartbeat/add/").status_code == 403


def _task(func: str, name: str, success: bool = True) -> None:
    now = timezone.now()
    Task.objects.create(id=name, name=name, func=func, started=now, stopped=now, success=success, attempt_count=1)


def test_task_pages_show_render_work_unless_asked_for_housekeeping(admin_client):
    ensure_schedules()
    assert Schedule.objects.filter(func="renders.reaper.reap_jobs").exists()
    _task("renders.tasks.run_render_job", "render-task-one")
    _task("publishing.tasks.upload_publication", "upload-task-one")
    for minute in range(3):
        _task("renders.reaper.reap_jobs", f"reaper-round-{minute}")
    _task("renders.tasks.run_render_job", "render-task-failed", success=False)

    default = admin_client.get("/admin/django_q/success/").content.decode()
    assert "render-task-one" in default and "upload-task-one" in default
    assert "reaper-round" not in default
    housekeeping = admin_client.get("/admin/django_q/success/?kind=housekeeping").content.decode()
    assert "reaper-round-2" in housekeeping and "render-task-one" not in housekeeping
    everything = admin_client.get("/admin/django_q/success/?kind=all").content.decode()
    assert "reaper-round-0" in everything and "render-task-one" in everything
    failures = admin_client.get("/admin/django_q/failure/").content.decode()
    assert "render-task-failed" in failures


# --- Render jobs -----------------------------------------------------------------------------------


def _job(owner, state, **fields):
    from renders.models import RenderJob

    return RenderJob.objects.create(owner=owner, title="प्रह्लाद की कथा", language="hi", plan={}, state=state, **fields)


def test_render_jobs_show_errors_times_and_filter_by_a_typed_owner(admin_client, alice, bob):
    now = timezone.now()
    _job(
        alice, "failed", started_at=now - timedelta(seconds=75), finished_at=now, error_step="compose",
        error="ffmpeg could not encode the video.", timings={"images": 1.25, "compose": 70.0},
    )  # fmt: skip
    _job(bob, "succeeded", started_at=now - timedelta(seconds=20), finished_at=now)

    page = admin_client.get("/admin/renders/renderjob/").content.decode()
    assert "compose: ffmpeg could not encode the video." in page
    assert "1 min 15 s" in page and "20.0 s" in page
    assert 'name="owner"' in page  # a typed filter, not one link per user
    only_bob = admin_client.get("/admin/renders/renderjob/?owner=BOB&state__exact=succeeded").content.decode()
    assert "1 min 15 s" not in only_bob and "20.0 s" in only_bob
    assert 'type="hidden" name="state__exact" value="succeeded"' in only_bob  # other filters kept
    assert admin_client.get("/admin/renders/renderjob/add/").status_code == 403


def test_a_finished_job_is_read_only_and_has_a_job_page_with_its_video(admin_client, alice):
    from django.core.files.base import ContentFile

    from renders.models import AssetKind, JobAsset

    job = _job(alice, "succeeded", timings={"images": 2.0, "speech": 0.5})
    asset = JobAsset(job=job, kind=AssetKind.VIDEO, size_bytes=4)
    asset.file.save("video.mp4", ContentFile(b"mp4!"), save=True)

    change = admin_client.get(f"/admin/renders/renderjob/{job.pk}/change/")
    assert change.status_code == 200
    assert 'name="title"' not in change.content.decode()  # shown, not editable
    assert "images 2.0 s · speech 0.5 s" in change.content.decode()
    assert admin_client.post(f"/admin/renders/renderjob/{job.pk}/change/", {"title": "x"}).status_code == 403

    watch = admin_client.get(f"/admin/renders/renderjob/{job.pk}/watch/").content.decode()
    file_url = f"/admin/renders/renderjob/{job.pk}/files/{asset.pk}/"
    assert f'src="{file_url}"' in watch and "प्रह्लाद की कथा" in watch
    assert b"".join(admin_client.get(file_url).streaming_content) == b"mp4!"
    assert admin_client.get(f"/admin/renders/renderjob/{job.pk}/files/999999/").status_code == 404


def test_the_job_page_and_files_are_for_staff_only(client, alice):
    job = _job(alice, "succeeded")
    client.force_login(alice)  # the owner, but not staff: the studio's pages are theirs
    response = client.get(f"/admin/renders/renderjob/{job.pk}/watch/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_loads_the_devanagari_face_and_names_models_properly(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "css/admin." in page  # hashed with DEBUG off
    assert "YouTube channels" in page and "Webhook deliveries" in page
