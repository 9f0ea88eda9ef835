"""The audit trail: job and key actions, refusals and failed logins, visible in admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import RequestFactory

from accounts import audit
from accounts.audit import AuditRefusalsMiddleware
from accounts.models import AuditEvent
from accounts.services import api_key_create, api_key_revoke
from bhakti.logging import RequestIdMiddleware
from conftest import tiny_plan_data
from renders.models import RenderJob
from renders.services import QuotaExceeded, job_cancel, job_create, job_retry

Action = AuditEvent.Action


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_it_records_a_jobs_life(alice):
    job = job_create(owner=alice, plan_data=tiny_plan_data())
    job_cancel(job=job)
    job_retry(job=job)
    assert actions() == [Action.JOB_CREATED, Action.JOB_CANCELED, Action.JOB_RETRIED]
    created = AuditEvent.objects.get(action=Action.JOB_CREATED)
    assert (created.actor, created.actor_name, created.job_id) == (alice, "alice", job.pk)
    assert "Prahlad" in created.detail


def test_it_keeps_a_quota_refusal_although_the_job_is_rolled_back(alice, settings):
    settings.JOBS_PER_DAY = 0
    with pytest.raises(QuotaExceeded):
        job_create(owner=alice, plan_data=tiny_plan_data())
    assert not RenderJob.objects.exists()
    refusal = AuditEvent.objects.get()
    assert (refusal.action, refusal.actor) == (Action.QUOTA_EXCEEDED, alice)
    assert refusal.detail.startswith("JOBS_PER_DAY: ")


def test_it_records_keys_made_and_revoked_without_the_raw_key(alice):
    key, raw = api_key_create(user=alice, name="CI")
    api_key_revoke(key=key)
    api_key_revoke(key=key)  # a second revoke changes nothing and records nothing
    assert actions() == [Action.KEY_CREATED, Action.KEY_REVOKED]
    for event in AuditEvent.objects.all():
        assert raw not in event.detail and key.prefix in event.detail


def test_it_records_a_failed_web_login(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200  # the form again, with an error
    failure = AuditEvent.objects.get()
    assert failure.action == Action.AUTH_FAILED
    assert failure.ip == "203.0.113.9" and len(failure.request_id) == 32
    assert "'alice'" in failure.detail and "wrong" not in failure.detail


def test_it_does_not_record_a_successful_login(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "alice-pass-123"})
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status", "credentials", "recorded"),
    [
        ("/api/v1/renders", 429, True, Action.RATE_LIMITED),
        ("/studio/new", 429, False, Action.RATE_LIMITED),
        ("/api/v1/renders", 401, True, Action.AUTH_FAILED),
        ("/api/v1/renders", 401, False, None),  # no credentials at all: "log in first", not a failure
        ("/accounts/login/", 401, True, None),
        ("/api/v1/renders", 403, True, None),
    ],
)
def test_it_records_refusals_as_they_leave_the_stack(path, status, credentials, recorded):
    middleware = RequestIdMiddleware(AuditRefusalsMiddleware(lambda request: HttpResponse(status=status)))
    headers = {"X-Request-ID": "req-1"}
    if credentials:
        headers["Authorization"] = "Bearer bk_not-a-real-key"
    request = RequestFactory().post(path, REMOTE_ADDR="198.51.100.4", headers=headers)
    middleware(request)
    events = list(AuditEvent.objects.all())
    if recorded is None:
        assert events == []
    else:
        assert [(e.action, e.ip, e.request_id, e.detail) for e in events] == [
            (recorded, "198.51.100.4", "req-1", f"POST {path}")
        ]


def test_it_takes_the_actor_from_the_request_being_served(alice, rf):
    request = rf.get("/")
    request.user = alice
    event = audit.record(Action.RATE_LIMITED, request=request, detail="token=abc123secret")
    assert event.actor == alice and event.detail == "token=[redacted]"
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("job_exploded")


def test_it_shows_the_trail_read_only_in_admin(client, alice):
    admin_user = User.objects.create_superuser("root", "root@example.com", "root-pass-123")
    job_create(owner=alice, plan_data=tiny_plan_data())
    client.force_login(admin_user)
    listing = client.get("/admin/accounts/auditevent/")
    assert listing.status_code == 200
    assert b"Job created" in listing.content and b"alice" in listing.content
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    event = AuditEvent.objects.get()
    detail = client.get(f"/admin/accounts/auditevent/{event.pk}/change/")
    assert detail.status_code == 200 and b'name="detail"' not in detail.content  # shown, not editable


def test_it_records_refusals_of_the_real_api(alice, settings):
    from django.core.cache import cache
    from rest_framework.test import APIClient

    settings.RATE_LIMIT_PER_MIN = 1
    cache.clear()  # throttle history from other tests
    raw = api_key_create(user=alice, name="CI")[1]
    AuditEvent.objects.all().delete()

    stranger = APIClient()
    stranger.credentials(HTTP_X_API_KEY="bk_" + "x" * 43)
    assert stranger.get("/api/v1/renders").status_code == 401

    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    assert client.post("/api/v1/renders", {"plan": tiny_plan_data()}, format="json").status_code == 201
    assert client.post("/api/v1/renders", {"plan": tiny_plan_data()}, format="json").status_code == 429
    cache.clear()

    events = list(AuditEvent.objects.order_by("id"))
    assert [event.action for event in events] == [Action.AUTH_FAILED, Action.JOB_CREATED, Action.RATE_LIMITED]
    assert events[0].actor is None and events[0].detail == "GET /api/v1/renders"
    assert events[2].actor == alice  # the key's owner, set on the request by DRF
    assert all("x" * 43 not in event.detail and raw not in event.detail for event in events)
