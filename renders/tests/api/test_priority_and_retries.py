"""POST /renders `priority` within the role's allowance, and the retry fields of a job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from renders.models import JobState, RenderJob
from renders.tests.api.conftest import make_job


def test_it_gives_a_new_job_the_default_priority(alice_api, plan_data):
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["priority"] == 5
    assert RenderJob.objects.get(pk=answer.json()["job_id"]).priority == 5


def test_it_lets_a_creator_lower_the_priority(alice_api, plan_data):
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data, "priority": 2}, format="json")
    assert answer.status_code == 201, answer.json()
    assert RenderJob.objects.get(pk=answer.json()["job_id"]).priority == 2


def test_it_refuses_a_creator_a_priority_above_the_allowance_naming_the_field(alice_api, plan_data):
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data, "priority": 6}, format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "priority_not_allowed"
    assert set(body["errors"]) == {"priority"} and "at most 5" in body["errors"]["priority"]
    assert not RenderJob.objects.exists()


def test_it_follows_the_configured_creator_allowance(alice_api, plan_data, settings):
    settings.CREATOR_MAX_PRIORITY = 7
    assert alice_api.post("/api/v1/renders", {"plan": plan_data, "priority": 7}, format="json").status_code == 201
    assert alice_api.post("/api/v1/renders", {"plan": plan_data, "priority": 8}, format="json").status_code == 400


def test_it_lets_an_admin_use_the_whole_scale(ada_api, plan_data):
    answer = ada_api.post("/api/v1/renders", {"plan": plan_data, "priority": 10}, format="json")
    assert answer.status_code == 201, answer.json()
    assert RenderJob.objects.get(pk=answer.json()["job_id"]).priority == 10


@pytest.mark.parametrize("priority", [0, 11, "high", None])
def test_it_refuses_a_priority_off_the_scale(ada_api, plan_data, priority):
    answer = ada_api.post("/api/v1/renders", {"plan": plan_data, "priority": priority}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"priority"}


def test_it_takes_the_priority_beside_a_bare_plan(alice_api, plan_data):
    answer = alice_api.post("/api/v1/render", {**plan_data, "priority": 3}, format="json")
    assert answer.status_code == 201, answer.json()
    assert RenderJob.objects.get(pk=answer.json()["job_id"]).priority == 3


def test_it_checks_a_topic_jobs_priority_before_writing_its_script(alice_api):
    answer = alice_api.post("/api/v1/renders", {"topic": "Prahlad", "priority": 9}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "priority_not_allowed"
    assert not RenderJob.objects.exists()


def test_it_shows_a_retry_waiting_out_its_backoff(alice, alice_api, settings):
    settings.JOB_MAX_ATTEMPTS = 3
    job = make_job(alice)
    due = timezone.now() + timedelta(seconds=40)
    RenderJob.objects.filter(pk=job.pk).update(
        attempts=1, last_error="ffmpeg crashed (killed by signal 11)", next_attempt_at=due, priority=4
    )
    body = alice_api.get(f"/api/v1/renders/{job.pk}").json()
    assert body["priority"] == 4
    assert (body["attempt"], body["attempts"], body["max_attempts"]) == (1, 1, 3)
    assert body["last_error"] == body["retry_reason"] == "ffmpeg crashed (killed by signal 11)"
    assert body["next_attempt_at"] == due.isoformat().replace("+00:00", "Z")
    [listed] = alice_api.get("/api/v1/renders").json()["results"]
    assert (listed["priority"], listed["attempt"], listed["max_attempts"]) == (4, 1, 3)
    assert listed["next_attempt_at"] == body["next_attempt_at"]


def test_it_shows_no_next_attempt_once_a_job_is_final(alice, alice_api):
    job = make_job(alice)
    RenderJob.objects.filter(pk=job.pk).update(
        state=JobState.FAILED, attempts=3, last_error="ffmpeg crashed", next_attempt_at=timezone.now()
    )
    body = alice_api.get(f"/api/v1/renders/{job.pk}").json()
    assert body["next_attempt_at"] is None and body["attempt"] == 3


def test_it_counts_only_more_urgent_jobs_in_the_wait(alice, bob, alice_api, settings):
    settings.RENDER_WORKERS = 1
    make_job(bob)  # priority 5, older: ahead of a 5, behind a 9
    mine = make_job(alice)
    RenderJob.objects.filter(pk=mine.pk).update(priority=9)
    assert alice_api.get(f"/api/v1/renders/{mine.pk}").json()["estimated_wait_seconds"] == 0


def test_the_schema_documents_priority_and_the_retry_fields(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    schemas = document["components"]["schemas"]
    created = schemas["RenderCreateRequest"]["properties"]["priority"]
    assert (created["minimum"], created["maximum"], created["default"]) == (1, 10, 5)
    detail = schemas["JobDetail"]["properties"]
    for name in ("priority", "attempt", "max_attempts", "last_error", "retry_reason", "next_attempt_at"):
        assert name in detail and detail[name].get("description"), name
    assert detail["next_attempt_at"]["nullable"] is True
    assert {"priority", "attempt", "max_attempts", "next_attempt_at"} <= set(schemas["JobSummary"]["properties"])
