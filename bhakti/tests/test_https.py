"""DEBUG off: plain HTTP is redirected (probes excepted), HSTS is sent, cookies are Secure."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def https_on(settings) -> None:
    # What settings.py sets with DEBUG off (the root conftest turns the redirect off for the test client).
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


def test_it_redirects_plain_http_to_https(client, https_on):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/metrics/prometheus"])
def test_it_lets_probes_and_scrapers_use_plain_http(client, https_on, path):
    assert client.get(path).status_code != 301


def test_it_sends_hsts_and_secure_cookies_over_https(client, https_on):
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.cookies["csrftoken"]["secure"] is True


def test_it_trusts_x_forwarded_proto_only_when_told(client, https_on, settings):
    assert client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"}).status_code == 301
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"}).status_code == 200


def test_it_sends_a_secure_session_cookie(client, https_on, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "alice-pass-123"}, secure=True)
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True
