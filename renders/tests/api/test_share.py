"""POST/DELETE /api/v1/renders/{id}/share: a share link for a finished video, or revoke them all."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from renders.models import AssetKind, JobState, ShareLink
from renders.tests.test_views import add_asset, make_job

pytestmark = pytest.mark.django_db


def _url(job) -> str:
    return f"/api/v1/renders/{job.pk}/share"


@pytest.fixture
def finished(alice):
    job = make_job(alice, state=JobState.SUCCEEDED, progress_pct=100)
    add_asset(job, AssetKind.VIDEO, "video.mp4", b"0123456789")
    return job


def test_it_creates_a_link(alice_api, finished):
    answer = alice_api.post(_url(finished))

    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"url", "token", "created_at"}
    link = ShareLink.objects.get(job=finished)
    assert body["token"] == link.token
    assert body["url"] == f"http://testserver/s/{link.token}/"
    assert APIClient().get(f"/s/{link.token}/").status_code == 200


def test_it_refuses_an_unfinished_video(alice_api, alice):
    running = make_job(alice, state=JobState.RUNNING)
    answer = alice_api.post(_url(running))
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_shareable"
    assert not ShareLink.objects.exists()


def test_another_creators_video_is_a_404(bob_api, finished):
    assert bob_api.post(_url(finished)).status_code == 404
    assert bob_api.delete(_url(finished)).status_code == 404
    assert not ShareLink.objects.exists()


def test_a_malformed_id_is_a_json_404(alice_api):
    answer = alice_api.post("/api/v1/renders/not-a-uuid/share")
    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("application/json")


def test_it_needs_a_key(finished):
    assert APIClient().post(_url(finished)).status_code == 401


def test_delete_revokes_every_link(alice_api, finished):
    tokens = [alice_api.post(_url(finished)).json()["token"] for _ in range(2)]

    answer = alice_api.delete(_url(finished))

    assert answer.status_code == 204
    assert ShareLink.objects.filter(revoked_at__isnull=True).count() == 0
    for token in tokens:
        assert APIClient().get(f"/s/{token}/").status_code == 404
    assert alice_api.delete(_url(finished)).status_code == 204
