"""accounts.authentication: API keys in X-API-Key or Authorization: Bearer, sessions, refusals."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_revoke
from renders.tests.api.conftest import client_with_key

pytestmark = pytest.mark.django_db

STATS = "/api/v1/renders/stats"


def test_it_accepts_a_key_in_the_x_api_key_header(alice_key, alice_job):
    answer = client_with_key(alice_key).get(STATS)
    assert answer.status_code == 200
    assert answer.json()["counts"]["queued"] == 1


def test_it_accepts_a_key_as_a_bearer_token(alice_key, alice_job):
    answer = client_with_key(alice_key, bearer=True).get(STATS)
    assert answer.status_code == 200
    assert answer.json()["total"] == 1


def test_it_records_when_a_key_was_last_used(alice, alice_key):
    client_with_key(alice_key).get(STATS)
    assert ApiKey.objects.get(user=alice).last_used_at is not None


def test_it_refuses_a_revoked_key_with_401_json(alice, alice_key):
    api_key_revoke(key=ApiKey.objects.get(user=alice))
    answer = client_with_key(alice_key).get(STATS)
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["code"] == "invalid_api_key"
    assert "revoked" in answer.json()["message"]
    assert "Profile page, under API keys (/accounts/profile/)" in answer.json()["message"]  # a page that exists
    assert answer["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_an_unknown_key_even_with_a_valid_session(alice):
    client = client_with_key("bk_not-a-real-key")
    client.force_login(alice)
    answer = client.get(STATS)
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_api_key"


def test_it_refuses_an_empty_bearer_token():
    answer = APIClient().get(STATS, HTTP_AUTHORIZATION="Bearer ")
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_api_key"


def test_it_answers_401_json_without_credentials():
    answer = APIClient().get(STATS)
    assert answer.status_code == 401
    assert answer.json() == {
        "code": "not_authenticated",
        "message": "No API key was sent. Send it as `X-API-Key: bk_…` or `Authorization: Bearer bk_…`; "
        "create one on your Profile page, under API keys (/accounts/profile/).",
    }


def test_it_ignores_other_authorization_schemes():
    answer = APIClient().get(STATS, HTTP_AUTHORIZATION="Basic YWxpY2U6cGFzcw==")
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"


def test_it_accepts_a_browser_session(alice, alice_job):
    client = APIClient()
    client.force_login(alice)
    answer = client.get(STATS)
    assert answer.status_code == 200
    assert answer.json()["total"] == 1


def test_it_enforces_csrf_for_session_posts(alice, plan_data):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    answer = client.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 403
    assert answer.json()["code"] == "permission_denied"
    assert "CSRF" in answer.json()["message"]


def test_it_needs_no_csrf_token_with_a_key(alice_key, plan_data):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_X_API_KEY=alice_key)
    assert client.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201


def test_it_throttles_key_guessing_per_address(alice_key, settings):
    assert settings.API_KEY_FAILURES_PER_WINDOW == 20
    guesser = APIClient(REMOTE_ADDR="203.0.113.66")
    statuses = [
        guesser.get("/api/v1/renders", HTTP_X_API_KEY=f"bk_guess{n:04d}").status_code
        for n in range(settings.API_KEY_FAILURES_PER_WINDOW)
    ]
    assert statuses == [401] * settings.API_KEY_FAILURES_PER_WINDOW
    answer = guesser.get("/api/v1/renders", HTTP_X_API_KEY="bk_guess-next")
    assert answer.status_code == 429
    assert answer.json()["code"] == "throttled"
    assert 1 <= int(answer["Retry-After"]) <= settings.API_KEY_FAILURE_WINDOW_SEC
    assert answer.json()["retry_after"] == int(answer["Retry-After"])
    # The address is the unit: a real key from it waits too; alice's own address is unaffected.
    assert guesser.get("/api/v1/renders", HTTP_X_API_KEY=alice_key).status_code == 429
    assert APIClient(REMOTE_ADDR="198.51.100.4").get("/api/v1/renders", HTTP_X_API_KEY=alice_key).status_code == 200


def test_it_counts_key_failures_by_the_address_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.API_KEY_FAILURES_PER_WINDOW = 2
    proxy = APIClient(REMOTE_ADDR="10.0.0.2")
    for _ in range(2):
        assert (
            proxy.get("/api/v1/renders", HTTP_X_API_KEY="bk_x", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 401
        )
    assert proxy.get("/api/v1/renders", HTTP_X_API_KEY="bk_x", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # Another client behind the same proxy; a forged left-hand entry does not help the guesser.
    assert proxy.get("/api/v1/renders", HTTP_X_API_KEY="bk_x", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 401
    forged = proxy.get("/api/v1/renders", HTTP_X_API_KEY="bk_x", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert forged.status_code == 429
