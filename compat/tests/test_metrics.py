"""GET /metrics with the render platform's flat names beside ours; /metrics/prometheus as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from publishing.models import Publication, PublicationState
from renders.models import JobState, RenderJob
from renders.tests.api.conftest import make_job

pytestmark = pytest.mark.django_db
TOKEN = "metrics-s3cret"


@pytest.fixture(autouse=True)
def _metrics_token(settings) -> None:
    settings.METRICS_TOKEN = TOKEN


def _finished(job: RenderJob, state: str, *, seconds: float = 0, error_step: str = "") -> None:
    started = timezone.now() - timedelta(seconds=seconds)
    RenderJob.objects.filter(pk=job.pk).update(
        state=state, started_at=started, finished_at=started + timedelta(seconds=seconds), error_step=error_step
    )


def test_it_adds_their_counters_to_our_json(client, alice):
    _finished(make_job(alice), JobState.SUCCEEDED, seconds=30)
    _finished(make_job(alice), JobState.SUCCEEDED, seconds=12.5)
    _finished(make_job(alice), JobState.FAILED, seconds=2, error_step="speech")
    _finished(make_job(alice), JobState.FAILED, seconds=2, error_step="compose")
    make_job(alice)
    done = RenderJob.objects.filter(state=JobState.SUCCEEDED).first()
    Publication.objects.create(
        job=done,
        owner=alice,
        title="x",
        made_for_kids=False,
        state=PublicationState.FAILED,
        upload_after=timezone.now(),
    )
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["jobs_started"], body["jobs_completed"], body["jobs_failed"]) == (4, 2, 2)
    assert body["total_duration_seconds"] == pytest.approx(42.5)
    assert body["success_rate"] == 0.5
    assert {key: body[key] for key in body if key.endswith("_errors")} == {
        "images_errors": 0, "tts_errors": 1, "subtitles_errors": 0, "stitch_errors": 1, "upload_errors": 0,
        "youtube_publish_errors": 1,
    }  # fmt: skip
    assert body["jobs"]["by_state"]["queued"] == 1  # ours are still there


def test_it_keeps_the_metrics_token_rule(client):
    for path in ("/metrics", "/metrics/prometheus"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_it_serves_the_prometheus_text(client, alice):
    _finished(make_job(alice), JobState.SUCCEEDED, seconds=5)
    answer = client.get("/metrics/prometheus", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/plain")
    assert "bhakti_jobs_started_total 1.0" in answer.content.decode()
