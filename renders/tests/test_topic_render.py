"""A topic sent to the API renders to the end, offline, with its script step shown everywhere."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import api_key_create
from renders.execution import execute_render_job
from renders.metrics import step_duration_histograms
from renders.models import AssetKind, JobState, RenderJob
from renders.views import step_timeline

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)


def test_it_renders_a_topic_offline_with_the_script_step_first(alice, client, settings):
    settings.OPENAI_API_KEY = ""
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=api_key_create(user=alice, name="alice's integration")[1])
    answer = api.post("/api/v1/renders", {"topic": "Shabari", "duration_target": 15, "mode": "proxy"}, format="json")
    assert answer.status_code == 201, answer.json()
    job_id = answer.json()["job_id"]
    queued = RenderJob.objects.get(pk=job_id)
    assert [(step.name, step.status) for step in step_timeline(queued)][:2] == [
        ("script", "done"),
        ("images", "pending"),
    ]

    assert execute_render_job(job_id) == JobState.SUCCEEDED
    job = RenderJob.objects.get(pk=job_id)
    # jsonb (PostgreSQL) keeps no key order: the steps' order is STEPS, shown by the timeline below.
    assert {"script", "images", "compose", "store"} <= set(job.timings)
    assert job.progress_pct == 100 and job.assets.filter(kind=AssetKind.VIDEO).exists()
    assert [step.name for step in step_timeline(job)] == ["script", "images", "speech", "subtitles", "compose", "store"]
    steps = [event.step for event in job.events.exclude(step="")]
    assert steps[0] == "script" and "images" in steps

    detail = api.get(f"/api/v1/renders/{job_id}").json()
    assert "script" in detail["timings"] and detail["logs"][0]["step"] == "script"
    client.force_login(alice)
    page = client.get(reverse("renders:job_status", args=[job_id]))
    assert 'data-step="script" data-status="done"' in page.content.decode()
    assert step_duration_histograms()["script"][2] == 1  # counted in the step-duration metrics
