"""Sign-ups and password-reset e-mails are limited per client address (accounts.address_limits)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import mail

pytestmark = pytest.mark.django_db


def _signup(client, name: str, address: str) -> int:
    data = {
        "username": name,
        "email": f"{name}@example.com",
        "password1": "giridhar-gopal-7",
        "password2": "giridhar-gopal-7",
    }
    response = client.post("/accounts/signup/", data, REMOTE_ADDR=address)
    client.logout()
    return response.status_code


def test_it_limits_accounts_created_from_one_address(client, settings):
    settings.SIGNUPS_PER_HOUR_PER_ADDRESS = 2
    assert [_signup(client, f"meera{n}", "203.0.113.5") for n in range(2)] == [302, 302]
    answer = client.post(
        "/accounts/signup/",
        {
            "username": "meera9",
            "email": "m9@example.com",
            "password1": "giridhar-gopal-7",
            "password2": "giridhar-gopal-7",
        },
        REMOTE_ADDR="203.0.113.5",
    )
    assert answer.status_code == 429
    assert 1 <= int(answer["Retry-After"]) <= 3600
    assert "Too many accounts were created from this address" in answer.content.decode()
    assert not User.objects.filter(username="meera9").exists()
    assert _signup(client, "surdas", "198.51.100.20") == 302  # another address


def test_it_does_not_count_a_sign_up_form_with_mistakes(client, settings):
    settings.SIGNUPS_PER_HOUR_PER_ADDRESS = 1
    client.post("/accounts/signup/", {"username": "meera"}, REMOTE_ADDR="203.0.113.6")
    assert _signup(client, "meera", "203.0.113.6") == 302


def test_it_limits_password_reset_emails_from_one_address(client, alice, settings):
    settings.PASSWORD_RESETS_PER_HOUR_PER_ADDRESS = 3
    statuses = [
        client.post("/accounts/password-reset/", {"email": "alice@example.com"}, REMOTE_ADDR="203.0.113.7").status_code
        for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert len(mail.outbox) == 3
    other = client.post("/accounts/password-reset/", {"email": "alice@example.com"}, REMOTE_ADDR="198.51.100.21")
    assert other.status_code == 302
