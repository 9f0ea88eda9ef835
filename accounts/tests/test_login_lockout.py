"""Failed logins lock the account and the address (django-axes), with a 429 that says how long."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _fail(client, username: str, address: str) -> int:
    return client.post(LOGIN, {"username": username, "password": "wrong"}, REMOTE_ADDR=address).status_code


def test_it_locks_the_account_after_ten_failures(client, alice, settings):
    assert settings.AXES_FAILURE_LIMIT == 10
    # From ten addresses: an attacker spreading guesses still locks the account.
    statuses = [_fail(client, "alice", f"203.0.113.{n}") for n in range(10)]
    assert statuses == [200] * 9 + [429]
    answer = client.post(LOGIN, {"username": "alice", "password": "alice-pass-123"}, REMOTE_ADDR="198.51.100.7")
    assert answer.status_code == 429  # even the right password, from a fresh address
    assert answer["Retry-After"] == "900"
    assert "Too many failed log-ins" in answer.content.decode() and "15 minutes" in answer.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_locks_the_address_after_ten_failures_on_any_accounts(client, alice, bob):
    for n in range(10):
        _fail(client, f"nobody-{n}", "203.0.113.50")
    answer = client.post(LOGIN, {"username": "bob", "password": "bob-pass-123"}, REMOTE_ADDR="203.0.113.50")
    assert answer.status_code == 429
    # bob himself, from his own address, is not affected.
    assert (
        client.post(LOGIN, {"username": "bob", "password": "bob-pass-123"}, REMOTE_ADDR="198.51.100.8").status_code
        == 302
    )


def test_it_forgets_failures_after_a_successful_login(client, alice):
    for _ in range(9):
        _fail(client, "alice", "203.0.113.9")
    assert (
        client.post(LOGIN, {"username": "alice", "password": "alice-pass-123"}, REMOTE_ADDR="203.0.113.9").status_code
        == 302
    )
    client.logout()
    assert _fail(client, "alice", "203.0.113.9") == 200


def test_it_locks_the_admin_login_too(client, alice):
    for n in range(10):
        client.post("/admin/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR=f"203.0.113.{n}")
    answer = client.post(LOGIN, {"username": "alice", "password": "alice-pass-123"}, REMOTE_ADDR="198.51.100.9")
    assert answer.status_code == 429


def test_it_keeps_no_row_per_successful_login(client, alice):
    from axes.models import AccessLog

    assert client.post(LOGIN, {"username": "alice", "password": "alice-pass-123"}).status_code == 302
    assert not AccessLog.objects.exists()
