"""renders.api.throttles and renders.rate_limits: RATE_LIMIT_PER_MIN renders started per user,
over all the user's API keys, sessions and the studio's forms."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import api_key_create
from renders.models import JobState, RenderJob
from renders.tests.api.conftest import client_with_key
from renders.tests.test_views import create_post

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


def test_it_counts_all_of_a_users_keys_together(alice, alice_api, bob_api, plan_data, settings):
    settings.RATE_LIMIT_PER_MIN = 2
    assert alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201
    other_key = client_with_key(api_key_create(user=alice, name="second integration")[1])
    assert other_key.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201
    third_key = client_with_key(api_key_create(user=alice, name="third integration")[1])
    assert third_key.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 429
    assert bob_api.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201


def test_it_counts_the_web_form_with_the_api(alice, alice_api, client, plan_data, settings):
    settings.RATE_LIMIT_PER_MIN = 1
    assert alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201
    client.force_login(alice)
    answer = client.post(reverse("renders:create"), create_post())
    assert answer.status_code == 429
    assert 1 <= int(answer["Retry-After"]) <= 60
    assert "RATE_LIMIT_PER_MIN" in answer.content.decode()
    assert RenderJob.objects.count() == 1


def test_it_limits_the_web_form_on_its_own(alice, client, settings):
    settings.RATE_LIMIT_PER_MIN = 2
    client.force_login(alice)
    statuses = [client.post(reverse("renders:create"), create_post()).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert RenderJob.objects.count() == 2


def test_it_counts_web_retries(alice, alice_job, client, settings):
    settings.RATE_LIMIT_PER_MIN = 1
    client.force_login(alice)
    assert client.post(reverse("renders:create"), create_post()).status_code == 302
    RenderJob.objects.filter(pk=alice_job.pk).update(state=JobState.FAILED)
    answer = client.post(reverse("renders:retry", args=[alice_job.pk]), follow=True)
    assert "RATE_LIMIT_PER_MIN" in answer.content.decode()
    assert RenderJob.objects.get(pk=alice_job.pk).state == JobState.FAILED


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
