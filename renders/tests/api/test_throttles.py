"""renders.api.throttles: RATE_LIMIT_PER_MIN renders started per API key (or per user on a session)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import api_key_create
from renders.models import JobState, RenderJob
from renders.tests.api.conftest import client_with_key

pytestmark = pytest.mark.django_db


def test_it_answers_429_with_retry_after_past_the_limit(alice_api, plan_data, settings):
    settings.RATE_LIMIT_PER_MIN = 2
    for _ in range(2):
        assert alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 429
    assert 1 <= int(answer["Retry-After"]) <= 60
    assert answer.json()["code"] == "throttled"
    assert answer.json()["retry_after"] == int(answer["Retry-After"])
    assert RenderJob.objects.count() == 2


def test_it_does_not_throttle_reads(alice_api, plan_data, settings):
    settings.RATE_LIMIT_PER_MIN = 1
    alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    for _ in range(3):
        assert alice_api.get("/api/v1/renders").status_code == 200


def test_it_keeps_one_bucket_per_api_key(alice, alice_api, plan_data, settings):
    settings.RATE_LIMIT_PER_MIN = 1
    assert alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201
    assert alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 429
    other_key = client_with_key(api_key_create(user=alice, name="second integration")[1])
    assert other_key.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201


def test_it_keeps_one_bucket_per_user_on_sessions(alice, bob, plan_data, settings):
    settings.RATE_LIMIT_PER_MIN = 1
    alice_browser, bob_browser = APIClient(), APIClient()
    alice_browser.force_login(alice)
    bob_browser.force_login(bob)
    assert alice_browser.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201
    assert alice_browser.post("/api/v1/render", plan_data, format="json").status_code == 429  # old path, same bucket
    assert bob_browser.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201


def test_it_counts_retries_as_starting_a_render(alice_api, alice_job, plan_data, settings):
    settings.RATE_LIMIT_PER_MIN = 1
    RenderJob.objects.filter(pk=alice_job.pk).update(state=JobState.FAILED)
    assert alice_api.post(f"/api/v1/renders/{alice_job.pk}/retry").status_code == 202
    assert alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 429
