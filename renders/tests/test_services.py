from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import OrmQ

from accounts.services import ensure_profile
from renders.models import JobState, RenderJob
from renders.pipeline.plan import PlanError
from renders.selectors import job_get_for_user, job_stats, jobs_list
from renders.services import (
    JobActionError,
    PriorityNotAllowed,
    QuotaExceeded,
    enqueue_render,
    job_cancel,
    job_create,
    job_retry,
    job_webhook_update,
)
from renders.webhooks import WebhookUrlNotAllowed

pytestmark = pytest.mark.django_db

REAL_ENQUEUE_RENDER = enqueue_render  # before the fixture below replaces it


@pytest.fixture(autouse=True)
def _no_enqueue(committed_renders) -> list[str]:
    return committed_renders


def test_it_creates_a_queued_job(alice, plan_data, _no_enqueue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(owner=alice, plan_data=plan_data)
    assert _no_enqueue == [str(job.pk)]
    assert job.state == JobState.QUEUED
    assert job.title == "Prahlad" and job.language == "en"
    assert job.plan["scenes"][0]["narration"] == "Prahlad prayed."
    assert job.events.filter(message__startswith="Job created").exists()


class _Abandoned(Exception):
    pass


def test_a_new_jobs_render_task_commits_and_rolls_back_with_the_job(alice, plan_data, monkeypatch):
    # The ORM broker's queue is a table of the same database: the task row is written inside the
    # job's transaction (one commit per created job), never without its job nor the job without it.
    monkeypatch.setattr("renders.services.enqueue_render", REAL_ENQUEUE_RENDER)
    with pytest.raises(_Abandoned), transaction.atomic():
        job = job_create(owner=alice, plan_data=plan_data)
        assert [task.name() for task in OrmQ.objects.all()] == [f"render-{job.pk}"]
        raise _Abandoned
    assert not RenderJob.objects.exists() and not OrmQ.objects.exists()

    with CaptureQueriesContext(connection) as queries:
        job = job_create(owner=alice, plan_data=plan_data)
    assert [task.name() for task in OrmQ.objects.all()] == [f"render-{job.pk}"]
    # Inside the job's transaction (a savepoint here, as the test runs in a transaction of its own).
    statements = [query["sql"].split()[0] + (" ormq" if "django_q_ormq" in query["sql"] else "") for query in queries]
    assert statements.index("SAVEPOINT") < statements.index("INSERT ormq") < statements.index("RELEASE")


def test_it_enqueues_after_commit_when_the_broker_is_outside_the_database(
    alice, plan_data, monkeypatch, django_capture_on_commit_callbacks
):
    # A Redis or SQS broker would hand the task to a worker before the job's row is visible.
    monkeypatch.setattr("renders.services.broker_shares_transaction", lambda: False)
    handed_to_the_broker: list[str] = []
    monkeypatch.setattr(
        "renders.services.enqueue_render", lambda *, job_id, not_before=None: handed_to_the_broker.append(job_id)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = job_create(owner=alice, plan_data=plan_data)
        assert handed_to_the_broker == []  # nothing is enqueued inside the open transaction
    for callback in callbacks:
        callback()
    assert handed_to_the_broker == [str(job.pk)]


def test_it_rejects_a_bad_plan_with_a_message_per_field(alice, plan_data):
    plan_data["language"] = "fr"
    plan_data["scenes"][1]["duration_sec"] = 99
    with pytest.raises(PlanError) as caught:
        job_create(owner=alice, plan_data=plan_data)
    assert set(caught.value.errors) == {"language", "scenes[1].duration_sec"}
    assert RenderJob.objects.count() == 0


def test_it_refuses_someone_elses_upload_as_a_scene_image(alice, bob, plan_data):
    plan_data["scenes"][0]["image"] = f"uploads/{bob.pk}/x.png"
    with pytest.raises(PlanError) as caught:
        job_create(owner=alice, plan_data=plan_data)
    assert "scenes[0].image" in caught.value.errors


def test_it_enforces_the_daily_quota(alice, plan_data):
    profile = ensure_profile(alice)
    profile.jobs_per_day = 1
    profile.save(update_fields=["jobs_per_day"])
    job_create(owner=alice, plan_data=plan_data)
    with pytest.raises(QuotaExceeded) as caught:
        job_create(owner=alice, plan_data=plan_data)
    assert caught.value.limit == "JOBS_PER_DAY"


def test_it_refuses_a_plan_over_the_cost_limit(alice, plan_data, settings):
    settings.IMAGE_PROVIDERS, settings.OPENAI_API_KEY = ["openai", "local"], "sk-test"
    settings.MAX_JOB_COST = 0.05  # two painted scenes at 0.04 each = 0.08
    with pytest.raises(QuotaExceeded) as caught:
        job_create(owner=alice, plan_data=plan_data)
    assert caught.value.limit == "MAX_JOB_COST"
    assert RenderJob.objects.count() == 0


def test_it_records_the_cost_estimate(alice, plan_data, settings):
    settings.IMAGE_PROVIDERS, settings.OPENAI_API_KEY = ["openai", "local"], "sk-test"
    job = job_create(owner=alice, plan_data=plan_data)
    assert job.cost_estimate == Decimal("0.0800")


def test_it_estimates_only_the_providers_that_have_a_key(alice, plan_data, settings):
    # Listed without a key, a provider is skipped at render time, so it costs nothing.
    settings.IMAGE_PROVIDERS, settings.OPENAI_API_KEY = ["openai", "local"], ""
    settings.SPEECH_PROVIDERS, settings.ELEVENLABS_API_KEY = ["elevenlabs", "espeak"], ""
    assert job_create(owner=alice, plan_data=plan_data).cost_estimate == Decimal("0")


def test_it_estimates_nothing_for_providers_listed_after_the_local_one(alice, plan_data, settings):
    # The chain ends at the local provider: OpenAI after it is never asked.
    settings.IMAGE_PROVIDERS, settings.OPENAI_API_KEY = ["local", "openai"], "sk-test"
    settings.SPEECH_PROVIDERS = ["espeak"]
    assert job_create(owner=alice, plan_data=plan_data).cost_estimate == Decimal("0")


def test_it_estimates_the_dearest_provider_that_may_answer(alice, plan_data, settings):
    # Free stock footage first, but a scene with no match falls back to a paid picture.
    settings.IMAGE_PROVIDERS = ["pexels", "openai", "local"]
    settings.PEXELS_API_KEY, settings.OPENAI_API_KEY = "pexels-test", "sk-test"
    settings.SPEECH_PROVIDERS = ["espeak"]
    assert job_create(owner=alice, plan_data=plan_data).cost_estimate == Decimal("0.0800")


def test_it_cancels_a_queued_job_at_once(alice, plan_data):
    job = job_cancel(job=job_create(owner=alice, plan_data=plan_data))
    assert job.state == JobState.CANCELED and job.cancel_requested


def test_it_only_flags_a_running_job_for_cancel(alice, plan_data):
    job = job_create(owner=alice, plan_data=plan_data)
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    job = job_cancel(job=job)
    assert job.state == JobState.RUNNING and job.cancel_requested


def test_it_refuses_to_cancel_a_finished_job(alice, plan_data):
    job = job_create(owner=alice, plan_data=plan_data)
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED)
    with pytest.raises(JobActionError) as caught:
        job_cancel(job=job)
    assert caught.value.code == "not_cancelable"


def test_it_retries_a_failed_job(alice, plan_data, _no_enqueue, django_capture_on_commit_callbacks):
    job = job_create(owner=alice, plan_data=plan_data)
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.FAILED, error="boom", attempts=3)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_retry(job=job)
    assert job.state == JobState.QUEUED and job.error == "" and job.attempts == 0
    assert _no_enqueue[-1] == str(job.pk)


def test_it_refuses_to_retry_a_queued_job(alice, plan_data):
    job = job_create(owner=alice, plan_data=plan_data)
    with pytest.raises(JobActionError):
        job_retry(job=job)


def test_it_hides_someone_elses_job(alice, bob, plan_data):
    job = job_create(owner=alice, plan_data=plan_data)
    assert job_get_for_user(user=alice, job_id=job.pk) == job
    with pytest.raises(Http404):
        job_get_for_user(user=bob, job_id=job.pk)
    with pytest.raises(Http404):
        job_get_for_user(user=alice, job_id="not-a-uuid")


def test_it_lets_an_admin_see_every_job(alice, bob, plan_data):
    job = job_create(owner=alice, plan_data=plan_data)
    profile = ensure_profile(bob)
    profile.role = profile.Role.ADMIN
    profile.save(update_fields=["role"])
    assert job_get_for_user(user=bob, job_id=job.pk) == job


def test_it_lists_and_counts_only_own_jobs(alice, bob, plan_data):
    job_create(owner=alice, plan_data=plan_data)
    job_create(owner=alice, plan_data={**plan_data, "title": "Dhruva", "language": "hi"})
    job_create(owner=bob, plan_data=plan_data)
    assert [job.title for job in jobs_list(user=alice, language="hi")] == ["Dhruva"]
    assert [job.title for job in jobs_list(user=alice, search="prah")] == ["Prahlad"]
    assert job_stats(user=alice)["queued"] == 2


def test_it_points_one_jobs_webhook_elsewhere_and_checks_the_url(alice, plan_data, settings):
    job = job_create(owner=alice, plan_data=plan_data)
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(WebhookUrlNotAllowed):
        job_webhook_update(job=job, webhook_url="http://127.0.0.1:9/hook")
    settings.WEBHOOK_ALLOW_PRIVATE = True
    job = job_webhook_update(job=job, webhook_url="https://hooks.example.com/one")
    assert RenderJob.objects.get(pk=job.pk).webhook_url == "https://hooks.example.com/one"
    assert job.events.filter(message="Webhook set to https://hooks.example.com/one").exists()
    job_webhook_update(job=job, webhook_url="")
    assert RenderJob.objects.get(pk=job.pk).webhook_url == ""


def test_it_refuses_a_creator_a_priority_above_the_allowance(alice, plan_data):
    with pytest.raises(PriorityNotAllowed, match="at most 5"):
        job_create(owner=alice, plan_data=plan_data, priority=6)
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    assert job_create(owner=alice, plan_data=plan_data, priority=10).priority == 10


def test_a_retry_by_hand_clears_the_automatic_retry_state(alice, plan_data):
    job = job_create(owner=alice, plan_data=plan_data)
    RenderJob.objects.filter(pk=job.pk).update(
        state=JobState.FAILED, attempts=3, last_error="ffmpeg crashed", next_attempt_at=timezone.now()
    )
    job = job_retry(job=job)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.last_error, job.next_attempt_at) == (JobState.QUEUED, 0, "", None)
