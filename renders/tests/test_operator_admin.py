"""The admin pages operators use: worker heartbeats, and task records without the housekeeping flood."""

from __future__ import annotations

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
    assert "render-1:41" in page and "5 s ago" in page and "running" in page
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
