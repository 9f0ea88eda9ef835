"""The tools' rules in-process: the API's quotas, start rate, roles, audit trail and error codes.

Nothing is rendered here (the queue is a list); test_mcp_server.py drives real processes.
alice and bob are creators, ada an admin.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from accounts.models import AuditEvent, Profile
from accounts.services import api_key_create, api_key_revoke, ensure_profile
from assistants import tools
from assistants.http import presented_key
from assistants.http import refusal as refusal_of_request
from conftest import tiny_plan_data
from renders.models import JobState, RenderJob


@pytest.fixture(autouse=True)
def enqueued(committed_renders) -> list[str]:
    return committed_renders


@pytest.fixture
def ada(db) -> User:
    user = User.objects.create_user("ada", "ada@example.com", "ada-pass-123")
    profile = ensure_profile(user)
    profile.role = Profile.Role.ADMIN
    profile.save(update_fields=["role"])
    return user


def refusal(exc_info: pytest.ExceptionInfo[Exception]) -> dict:
    body = tools.refusal_body(exc_info.value)
    assert body is not None
    return body


def test_it_creates_a_job_from_each_source_and_audits_it(alice, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        from_plan = tools.create_video(user=alice, plan=tiny_plan_data())
        from_story = tools.create_video(user=alice, story_id="prahlad", duration_sec=20, mode="proxy", aspect="9:16")
        from_topic = tools.create_video(user=alice, topic="Prahlad", language="hi", duration_sec=20, mode="proxy")
    ids = [from_plan["job_id"], from_story["job_id"], from_topic["job_id"]]
    assert enqueued == ids
    jobs = {str(job.pk): job for job in RenderJob.objects.filter(owner=alice)}
    assert jobs[from_story["job_id"]].plan["aspect"] == "9:16"
    assert jobs[from_topic["job_id"]].language == "hi" and jobs[from_topic["job_id"]].step == "script"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.JOB_CREATED, actor=alice).count() == 3


def test_it_takes_starts_from_the_same_per_minute_allowance_as_the_api(alice, settings):
    settings.RATE_LIMIT_PER_MIN = 2
    tools.create_video(user=alice, plan=tiny_plan_data())
    tools.create_video(user=alice, plan=tiny_plan_data())
    with pytest.raises(tools.ToolRefused) as raised:
        tools.create_video(user=alice, plan=tiny_plan_data())
    body = refusal(raised)
    assert body["code"] == "throttled" and body["retry_after"] >= 1
    assert RenderJob.objects.filter(owner=alice).count() == 2
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RATE_LIMITED, actor=alice).exists()


def test_it_refuses_past_the_daily_quota_with_the_apis_code(alice):
    profile = ensure_profile(alice)
    profile.jobs_per_day = 1
    profile.save(update_fields=["jobs_per_day"])
    tools.create_video(user=alice, plan=tiny_plan_data())
    with pytest.raises(Exception) as raised:  # noqa: B017 - the service's own QuotaExceeded
        tools.create_video(user=alice, plan=tiny_plan_data())
    body = refusal(raised)
    assert body["code"] == "daily_quota_exceeded" and body["limit"] == "JOBS_PER_DAY"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.QUOTA_EXCEEDED, actor=alice).exists()


def test_it_shows_another_users_video_as_not_found_and_everything_to_an_admin(alice, bob, ada):
    job_id = tools.create_video(user=alice, plan=tiny_plan_data())["job_id"]
    for action in (tools.get_video, tools.cancel_video, tools.video_files):
        with pytest.raises(Exception) as raised:  # noqa: B017 - Django's Http404
            action(user=bob, job_id=job_id)
        assert refusal(raised)["code"] == "not_found"
    assert tools.list_videos(user=bob)["count"] == 0
    assert tools.get_video(user=ada, job_id=job_id)["id"] == job_id
    assert [video["id"] for video in tools.list_videos(user=ada)["results"]] == [job_id]
    # Publishing stays the owner's own, as on the API, even for an admin.
    with pytest.raises(tools.ToolRefused) as raised:
        tools.schedule_youtube_publish(user=ada, job_id=job_id, title="Prahlad", made_for_kids=False)
    assert refusal(raised)["code"] == "not_found"


@override_settings(SITE_URL="https://bhakti.example.com")
def test_it_gives_the_state_and_urls_on_the_site_url(alice):
    job_id = tools.create_video(user=alice, plan=tiny_plan_data())["job_id"]
    video = tools.get_video(user=alice, job_id=job_id)
    assert video["state"] == JobState.QUEUED and video["is_final"] is False and video["final_video_url"] is None
    listed = tools.list_videos(user=alice, state="queued")
    assert listed["results"][0]["url"] == f"https://bhakti.example.com/api/v1/renders/{job_id}"
    canceled = tools.cancel_video(user=alice, job_id=job_id)
    assert canceled["state"] == JobState.CANCELED
    with pytest.raises(Exception) as raised:  # noqa: B017 - the service's JobActionError
        tools.cancel_video(user=alice, job_id=job_id)
    assert refusal(raised)["code"] == "not_cancelable"


def test_it_validates_as_the_api_does(alice):
    cases = [
        ({"plan": tiny_plan_data(), "topic": "Prahlad"}, "invalid"),
        ({}, "invalid"),
        ({"plan": tiny_plan_data(scenes=[])}, "invalid_plan"),
        ({"plan": tiny_plan_data(), "mode": "final"}, "invalid"),
        ({"topic": "Prahlad", "duration_sec": 100_000}, "invalid"),
        ({"story_id": "no-such-story"}, "unknown_template"),
        ({"topic": "quantum chromodynamics"}, "topic_not_found"),
    ]
    for arguments, code in cases:
        with pytest.raises(Exception) as raised:  # noqa: B017 - each the exception the API translates
            tools.create_video(user=alice, **arguments)
        assert refusal(raised)["code"] == code, arguments
    assert RenderJob.objects.count() == 0


def test_it_drafts_a_plan_without_making_a_job(alice):
    drafted = tools.draft_plan(user=alice, story_id="prahlad", language="hi", duration_sec=30, style="watercolor")
    assert drafted["plan"]["language"] == "hi" and drafted["plan"]["style"] == "watercolor"
    from_topic = tools.draft_plan(user=alice, topic="Narasimha", duration_sec=20)
    assert from_topic["source"] == "library" and from_topic["story_id"] == "prahlad"
    assert RenderJob.objects.count() == 0
    assert tools.list_stories(user=alice)["count"] >= 1


def test_it_schedules_only_with_a_connected_channel(alice):
    job_id = tools.create_video(user=alice, plan=tiny_plan_data())["job_id"]
    RenderJob.objects.filter(pk=job_id).update(state=JobState.SUCCEEDED)
    with pytest.raises(Exception) as raised:  # noqa: B017 - publishing's PublishActionError
        tools.schedule_youtube_publish(user=alice, job_id=job_id, title="Prahlad", made_for_kids=False)
    assert refusal(raised)["code"] == "not_connected"


def test_it_authenticates_only_an_active_key(alice):
    key, raw = api_key_create(user=alice, name="assistant")
    assert tools.authenticate(raw) == alice
    api_key_revoke(key=key)
    for bad in (raw, "bk_unknown", "", None):
        with pytest.raises(tools.ToolRefused) as raised:
            tools.authenticate(bad)
        assert refusal(raised)["code"] == "invalid_api_key"


def test_it_reads_the_key_as_the_api_does():
    assert presented_key({"Authorization": "Bearer bk_abc"}) == "bk_abc"
    assert presented_key({"authorization": "bearer bk_abc "}) == "bk_abc"
    assert presented_key({"X-API-Key": "bk_xyz", "Authorization": "Bearer bk_abc"}) == "bk_xyz"
    assert presented_key({"Authorization": "Basic dXNlcg=="}) is None
    assert presented_key({}) is None


def _scope(**headers: str) -> dict:
    return {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "client": ("203.0.113.9", 5000),
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }


def refused_at_the_gate(**headers: str) -> tuple[int, dict]:
    refused = refusal_of_request(_scope(**headers))
    assert refused is not None
    return refused


def test_it_gates_http_requests_by_key_and_throttles_a_guesser(alice, settings):
    settings.API_KEY_FAILURES_PER_WINDOW = 2
    raw = api_key_create(user=alice, name="assistant")[1]
    assert refusal_of_request(_scope(Authorization=f"Bearer {raw}")) is None
    status, body = refused_at_the_gate()
    assert (status, body["code"]) == (401, "not_authenticated")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.AUTH_FAILED).exists()  # no attempt, no record
    for _ in range(2):
        status, body = refused_at_the_gate(Authorization="Bearer bk_guess")
        assert (status, body["code"]) == (401, "invalid_api_key")
    failed = AuditEvent.objects.filter(action=AuditEvent.Action.AUTH_FAILED)
    assert failed.count() == 2 and {event.ip for event in failed} == {"203.0.113.9"}
    # The address has used up its guesses: even a valid key waits, as on the API.
    status, body = refused_at_the_gate(Authorization=f"Bearer {raw}")
    assert (status, body["code"]) == (429, "throttled") and body["retry_after"] >= 1
