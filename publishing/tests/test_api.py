"""/api/v1/publish/…: schedule, see, cancel, retry; {code, message} errors; others' videos are 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from publishing.models import Publication, PublicationState

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


def _url(job, action: str = "") -> str:
    return f"/api/v1/publish/{job.pk}" + (f"/{action}" if action else "")


def test_it_schedules_shows_and_cancels_through_the_api(api, channel, rendered_job, enqueued):
    at = timezone.now() + dt.timedelta(hours=5)
    created = api.post(
        _url(rendered_job, "schedule"),
        {"iso_datetime": at.isoformat(), "title": "Prahlad", "description": "Faith.", "tags": ["bhakti"],
         "made_for_kids": False, "privacy": "public"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == "scheduled" and body["job_id"] == str(rendered_job.pk) and body["tags"] == ["bhakti"]
    assert dt.datetime.fromisoformat(body["publish_at"]) == at

    shown = api.get(_url(rendered_job))
    assert shown.status_code == 200 and shown.json()["title"] == "Prahlad" and shown.json()["progress_pct"] == 0

    canceled = api.delete(_url(rendered_job, "cancel"))
    assert canceled.status_code == 200 and canceled.json()["state"] == "canceled"
    again = api.delete(_url(rendered_job, "cancel"))
    assert again.status_code == 409 and again.json()["code"] == "not_cancelable"


def test_it_requires_the_made_for_kids_answer(api, channel, rendered_job):
    answer = api.post(_url(rendered_job, "schedule"), {"title": "Prahlad"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid" and "made_for_kids" in answer.json()["errors"]
    assert "made_for_kids" in answer.json()["message"]


def test_it_counts_the_description_in_bytes_and_takes_the_synthetic_media_answer(api, channel, rendered_job):
    hindi = {"title": "Prahlad", "made_for_kids": False, "description": "प्रह्लाद" * 250}  # 6,000 bytes
    answer = api.post(_url(rendered_job, "schedule"), hindi, format="json")
    assert answer.status_code == 400 and "description" in answer.json()["errors"]
    assert "at most 5000 bytes; this one has 6000" in str(answer.json()["errors"]["description"])

    later = (timezone.now() + dt.timedelta(hours=5)).isoformat()
    given = {"title": "Prahlad", "made_for_kids": False, "iso_datetime": later, "contains_synthetic_media": True}
    created = api.post(_url(rendered_job, "schedule"), given, format="json")
    assert created.status_code == 201 and created.json()["contains_synthetic_media"] is True


def test_it_retries_a_failed_upload(api, channel, rendered_job, enqueued, django_capture_on_commit_callbacks):
    Publication.objects.create(
        job=rendered_job, owner=rendered_job.owner, title="Prahlad", made_for_kids=True, upload_after=timezone.now(),
        state=PublicationState.FAILED, error_code="quota_exceeded", error="quota",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(_url(rendered_job, "retry"))
    assert answer.status_code == 200 and answer.json()["state"] == "queued" and answer.json()["error"] == ""
    assert len(enqueued) == 1


def test_it_says_when_no_channel_is_connected(api, rendered_job):
    answer = api.post(_url(rendered_job, "schedule"), {"title": "P", "made_for_kids": False}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "not_connected"
    assert api.get("/api/v1/publish/channel").json() == {"connected": False, "channel_id": "", "title": ""}


def test_it_treats_another_creators_video_as_missing(bob, rendered_job):
    client = APIClient()
    client.force_authenticate(bob)
    for method, action in [("get", ""), ("post", "schedule"), ("delete", "cancel"), ("post", "retry")]:
        answer = getattr(client, method)(
            _url(rendered_job, action), {"title": "x", "made_for_kids": False}, format="json"
        )
        assert answer.status_code == 404 and answer.json() == {"code": "not_found", "message": "No such video."}


def test_it_says_when_a_video_is_not_scheduled(api, rendered_job):
    answer = api.get(_url(rendered_job))
    assert answer.status_code == 404 and answer.json()["code"] == "not_scheduled"


def test_it_refuses_anonymous_callers(rendered_job):
    answer = APIClient().get(_url(rendered_job))
    assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"


def test_it_accepts_an_api_key(alice, channel, rendered_job, enqueued):
    from accounts.services import api_key_create

    _key, raw = api_key_create(user=alice, name="scheduler")
    client = APIClient()
    answer = client.post(
        _url(rendered_job, "schedule"), {"title": "Prahlad", "made_for_kids": True}, format="json", HTTP_X_API_KEY=raw
    )
    assert answer.status_code == 201 and answer.json()["state"] == "queued" and answer.json()["made_for_kids"] is True
    assert client.get("/api/v1/publish/channel", HTTP_X_API_KEY=raw).json()["connected"] is True
