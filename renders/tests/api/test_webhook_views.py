"""renders.api.webhook_views: the signing secret, the default URL, and a job's delivery log."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from accounts.services import ensure_profile
from renders.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def test_it_shows_the_signing_secret_and_headers(alice, alice_api):
    body = alice_api.get("/api/v1/webhooks").json()
    assert body["secret"] == ensure_profile(alice).webhook_secret
    assert body["signature_header"] == "X-Bhakti-Signature"
    assert body["timestamp_header"] == "X-Bhakti-Timestamp"
    assert body["default_webhook_url"] == ""


def test_it_sets_and_clears_the_default_url(alice, alice_api):
    answer = alice_api.patch("/api/v1/webhooks", {"default_webhook_url": "https://93.184.216.34/hooks"}, format="json")
    assert answer.status_code == 200
    assert ensure_profile(alice).default_webhook_url == "https://93.184.216.34/hooks"
    alice_api.patch("/api/v1/webhooks", {"default_webhook_url": ""}, format="json")
    assert ensure_profile(alice).default_webhook_url == ""


def test_it_refuses_a_private_default_url(alice, alice_api):
    answer = alice_api.patch("/api/v1/webhooks", {"default_webhook_url": "http://10.0.0.5/hooks"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "webhook_url_not_allowed"
    assert ensure_profile(alice).default_webhook_url == ""


def test_it_rotates_the_secret(alice, alice_api):
    before = ensure_profile(alice).webhook_secret
    body = alice_api.post("/api/v1/webhooks/rotate-secret").json()
    assert body["secret"] != before
    assert ensure_profile(alice).webhook_secret == body["secret"]


def test_it_lists_a_jobs_deliveries_newest_first(alice_api, alice_job):
    event = uuid.uuid4()
    for attempt, outcome in ((1, WebhookDelivery.Outcome.FAILED), (2, WebhookDelivery.Outcome.DELIVERED)):
        WebhookDelivery.objects.create(
            job=alice_job,
            event_id=event,
            event_state="queued",
            url="https://93.184.216.34/hooks",
            attempt=attempt,
            body="{}",
            outcome=outcome,
            status_code=500 if attempt == 1 else 200,
            scheduled_for=timezone.now(),
            at=timezone.now(),
        )
    results = alice_api.get(f"/api/v1/renders/{alice_job.pk}/webhooks").json()["results"]
    assert [(row["attempt"], row["outcome"], row["status_code"]) for row in results] == [
        (2, "delivered", 200),
        (1, "failed", 500),
    ]


def test_it_hides_someone_elses_deliveries(alice_api, bob_job):
    answer = alice_api.get(f"/api/v1/renders/{bob_job.pk}/webhooks")
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
