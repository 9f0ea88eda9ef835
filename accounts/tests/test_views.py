"""Sign-up, log in and out, password reset by e-mail, and the profile's quotas, usage and API keys."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse

from accounts.models import ApiKey, hash_api_key
from accounts.services import api_key_authenticate, ensure_profile
from renders.models import JobState, RenderJob

pytestmark = pytest.mark.django_db


def test_it_signs_up_logs_in_and_opens_the_dashboard(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "meera",
            "email": "meera@example.com",
            "password1": "giridhar-gopal-7",
            "password2": "giridhar-gopal-7",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("renders:dashboard")
    user = User.objects.get(username="meera")
    assert user.email == "meera@example.com" and user.profile.role == "creator"
    assert client.get(reverse("renders:dashboard")).status_code == 200


def test_it_shows_sign_up_errors_inline_and_keeps_the_input(client, alice):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "meera", "email": "alice@example.com", "password1": "short", "password2": "other"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_email_error"' in body and "An account with this e-mail already exists" in body
    assert 'id="id_password2_error"' in body
    assert 'value="meera"' in body
    assert not User.objects.filter(username="meera").exists()


def test_it_logs_in_and_out(client, alice):
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "alice-pass-123"})
    assert response.status_code == 302 and response["Location"] == reverse("renders:dashboard")
    assert client.get(reverse("accounts:profile")).status_code == 200
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_it_refuses_a_wrong_password_with_a_message(client, alice):
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_it_resets_a_password_through_the_link_in_the_email(client, alice):
    response = client.post(reverse("accounts:password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"] and "Bhakti" in message.subject
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)

    # Django swaps the token for a session marker and redirects to the form.
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": "ganga-jal-pure-9", "new_password2": "ganga-jal-pure-9"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password("ganga-jal-pure-9")
    # The link works once.
    assert "This link has expired" in client.get(link, follow=True).content.decode()


def test_it_shows_quotas_and_usage_on_the_profile(client, alice):
    profile = ensure_profile(alice)
    profile.jobs_per_day = 4
    profile.max_job_cost = Decimal("1.50")
    profile.save(update_fields=["jobs_per_day", "max_job_cost"])
    for state, seconds in [(JobState.SUCCEEDED, 90.0), (JobState.SUCCEEDED, 30.0), (JobState.FAILED, None)]:
        RenderJob.objects.create(
            owner=alice,
            title="t",
            language="en",
            plan={},
            state=state,
            duration_sec=seconds,
            cost_actual=Decimal("0.25"),
        )
    client.force_login(alice)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert re.search(r"<dt>Videos today</dt>\s*<dd>\s*3 of 4", body)
    assert "<dt>Left today</dt><dd>1</dd>" in body
    assert "$1.50 per video" in body
    assert "2 of 3 started" in body
    assert "<dt>Minutes rendered</dt><dd>2.0</dd>" in body
    assert "<dt>Spent (30 days)</dt><dd>$0.75</dd>" in body


def test_it_shows_a_new_api_key_once_and_stores_only_its_hash(client, alice):
    client.force_login(alice)
    response = client.post(reverse("accounts:api_key_create"), {"name": "n8n workflow"})
    # POST-redirect-GET: reloading the page that shows the key creates nothing.
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile") + "#new-key"
    assert "bk_" not in response.content.decode()
    shown = client.get(response["Location"])
    body = shown.content.decode()
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    raw = re.search(r'data-testid="raw-key">(bk_[\w-]+)<', body).group(1)
    key = ApiKey.objects.get(user=alice)
    assert key.name == "n8n workflow" and key.key_hash == hash_api_key(raw) and raw not in key.key_hash
    assert api_key_authenticate(raw) == key
    # Shown once: a reload, or any later visit, shows only its prefix, and no second key exists.
    again = client.get(reverse("accounts:profile")).content.decode()
    assert raw not in again and f"{key.prefix}…" in again
    assert ApiKey.objects.filter(user=alice).count() == 1


def test_it_shows_a_new_key_on_the_response_when_sessions_live_in_cookies(client, alice, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    client.force_login(alice)
    response = client.post(reverse("accounts:api_key_create"), {"name": "cookie sessions"})
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    raw = re.search(r'data-testid="raw-key">(bk_[\w-]+)<', response.content.decode()).group(1)
    assert raw not in response.cookies.output()  # never carried in the session cookie


def test_it_needs_a_name_for_a_key(client, alice):
    client.force_login(alice)
    response = client.post(reverse("accounts:api_key_create"), {"name": ""})
    assert response.status_code == 400
    assert 'id="id_name_error"' in response.content.decode()
    assert not ApiKey.objects.exists()


def test_it_revokes_a_key(client, alice):
    client.force_login(alice)
    client.post(reverse("accounts:api_key_create"), {"name": "laptop"})
    key = ApiKey.objects.get(user=alice)
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{reverse("accounts:api_key_revoke", args=[key.pk])}"' in profile  # asks first
    confirm = client.get(reverse("accounts:api_key_revoke", args=[key.pk])).content.decode()
    assert "Revoke the key “laptop”?" in confirm and "is refused from the moment you revoke it" in confirm
    key.refresh_from_db()
    assert key.revoked_at is None  # asking changes nothing
    response = client.post(reverse("accounts:api_key_revoke", args=[key.pk]), follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None
    body = response.content.decode()
    assert "Revoked “laptop”" in body and "badge-canceled" in body


def test_it_cannot_revoke_someone_elses_key(client, alice, bob):
    client.force_login(bob)
    client.post(reverse("accounts:api_key_create"), {"name": "bob's key"})
    key = ApiKey.objects.get(user=bob)
    client.force_login(alice)
    assert client.get(reverse("accounts:api_key_revoke", args=[key.pk])).status_code == 404
    assert client.post(reverse("accounts:api_key_revoke", args=[key.pk])).status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_a_logged_in_creator_changes_their_password_without_e_mail(client, alice):
    alice.set_password("old-secret-pass-1")
    alice.save()
    client.force_login(alice)
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{reverse("accounts:password_change")}"' in profile
    wrong = client.post(
        reverse("accounts:password_change"),
        {"old_password": "not-it", "new_password1": "new-secret-pass-2", "new_password2": "new-secret-pass-2"},
    )
    assert wrong.status_code == 200 and "Your old password was entered incorrectly" in wrong.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "old-secret-pass-1",
            "new_password1": "new-secret-pass-2",
            "new_password2": "new-secret-pass-2",
        },
        follow=True,
    )
    assert "Your password is changed." in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("new-secret-pass-2")
    assert client.get(reverse("accounts:profile")).status_code == 200  # still logged in
    assert len(mail.outbox) == 0
