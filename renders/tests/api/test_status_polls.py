"""GET /renders/{id} for pollers: ETag and 304, `?since_event=`, the queue estimate's snapshot, query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_revoke, ensure_profile
from renders.eta import render_rate
from renders.models import JobState, RenderJob
from renders.queue_estimate import forget_snapshot, queue_snapshot
from renders.services import log_event
from renders.tests.api.conftest import make_job
from renders.tests.api.test_views import MINUTE_FINAL

pytestmark = pytest.mark.django_db


def _url(job: RenderJob) -> str:
    return f"/api/v1/renders/{job.pk}"


def _poll(client: APIClient, job: RenderJob, etag: str | None = None) -> tuple[Any, int]:
    headers: dict[str, Any] = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(_url(job), **headers)
    return answer, len(captured.captured_queries)


def test_it_answers_304_while_the_job_is_unchanged(alice_api, alice_job):
    first = alice_api.get(_url(alice_job))
    assert first.status_code == 200
    assert first["ETag"].startswith('"') and first["Cache-Control"] == "private, no-cache"
    answer, queries = _poll(alice_api, alice_job, first["ETag"])
    assert answer.status_code == 304 and answer.content == b""
    assert answer["ETag"] == first["ETag"]
    assert queries == 1  # the job's version; the key comes from the cache


def test_it_answers_in_full_once_the_job_changed(alice_api, alice_job):
    etag = alice_api.get(_url(alice_job))["ETag"]
    log_event(alice_job, "Scene 1 drawn")
    answer, _ = _poll(alice_api, alice_job, etag)
    assert answer.status_code == 200 and answer["ETag"] != etag
    assert answer.json()["logs"][-1]["message"] == "Scene 1 drawn"
    RenderJob.objects.filter(pk=alice_job.pk).update(progress_pct=40)
    again, _ = _poll(alice_api, alice_job, answer["ETag"])
    assert again.status_code == 200 and again.json()["progress_pct"] == 40


def test_a_queued_jobs_etag_follows_its_queue_estimate(alice_api, bob, alice_job, settings):
    settings.RENDER_WORKERS = 1
    etag = alice_api.get(_url(alice_job))["ETag"]
    running = make_job(bob, **MINUTE_FINAL)  # made after alice's job: not ahead of it, but it runs
    RenderJob.objects.filter(pk=running.pk).update(state=JobState.RUNNING)
    forget_snapshot()  # as the worker does when it starts a job
    answer, _ = _poll(alice_api, alice_job, etag)
    assert answer.status_code == 200 and answer.json()["estimated_wait_seconds"] == 75  # 72 s


def test_it_never_answers_304_for_someone_elses_job(alice_api, bob_api, bob_job):
    etag = bob_api.get(_url(bob_job))["ETag"]
    answer, _ = _poll(alice_api, bob_job, etag)
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def test_a_revoked_key_gets_401_not_304(alice, alice_api, alice_job):
    etag = alice_api.get(_url(alice_job))["ETag"]
    api_key_revoke(key=ApiKey.objects.get(user=alice))
    answer, _ = _poll(alice_api, alice_job, etag)
    assert answer.status_code == 401 and answer.json()["code"] == "invalid_api_key"


def test_a_signed_in_browser_gets_304_too(client, alice, alice_job):
    client.force_login(alice)
    etag = client.get(_url(alice_job))["ETag"]
    assert client.get(_url(alice_job), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_it_sends_only_the_log_lines_after_since_event(alice_api, alice_job):
    logs = alice_api.get(_url(alice_job)).json()["logs"]
    last = logs[-1]["id"]
    log_event(alice_job, "Scene 1 drawn")
    log_event(alice_job, "Scene 2 drawn")
    newer = alice_api.get(_url(alice_job), {"since_event": last}).json()["logs"]
    assert [line["message"] for line in newer] == ["Scene 1 drawn", "Scene 2 drawn"]
    assert newer[0]["id"] > last
    assert alice_api.get(_url(alice_job), {"since_event": newer[-1]["id"]}).json()["logs"] == []


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "", "١٢"])
def test_it_refuses_a_since_event_that_is_not_an_id(alice_api, alice_job, value):
    answer = alice_api.get(_url(alice_job), {"since_event": value})
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid" and "since_event" in answer.json()["errors"]


def test_a_bad_since_event_is_a_400_even_with_a_matching_etag(alice_api, alice_job):
    etag = alice_api.get(_url(alice_job))["ETag"]
    answer = alice_api.get(_url(alice_job), {"since_event": "x"}, HTTP_IF_NONE_MATCH=etag)
    assert answer.status_code == 400


def test_the_queue_estimate_costs_no_query_between_snapshots(alice_api, alice_job):
    alice_api.get(_url(alice_job))
    _, queries = _poll(alice_api, alice_job)
    assert queries == 3  # job, files, log lines: the key and the queue snapshot come from the cache


def test_it_creates_in_a_fixed_number_of_queries(alice, alice_api, plan_data, django_capture_on_commit_callbacks):
    ensure_profile(alice)
    alice_api.get("/api/v1/renders/stats")  # the key is cached, as for any client that made a request before
    queue_snapshot()  # and the queue estimate's snapshot taken, as by any poll in the last seconds
    render_rate("proxy", "")  # and the preview rate learned, as by any estimate in the last minute
    with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks() as callbacks:
        answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 201
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    # The daily quota's count, the job, its first log line and the audit row, inside one savepoint
    # (the test's transaction stands in for BEGIN/COMMIT): the profile came with the key, and the
    # queue estimate from its snapshot.
    assert statements == ["SAVEPOINT", "SELECT", "INSERT", "INSERT", "INSERT", "RELEASE"], statements
    assert len(callbacks) == 1  # the render's enqueue; no webhook is set, so no webhook check


def test_a_default_webhook_is_still_notified_on_create(alice, alice_api, plan_data, django_capture_on_commit_callbacks):
    profile = ensure_profile(alice)
    profile.default_webhook_url = "https://93.184.216.34/hook"
    profile.save()
    with django_capture_on_commit_callbacks() as callbacks:
        assert alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201
    assert len(callbacks) == 2  # the enqueue and the webhook's state change


def test_a_queued_jobs_etag_holds_while_the_running_job_ahead_moves_on(alice_api, bob, alice_job, settings):
    """What is left of a running job shrinks every second; the wait shown moves in steps, so polls
    of a queued job still get 304 in between."""
    settings.RENDER_WORKERS = 1
    four_minutes = {**MINUTE_FINAL, "scenes": MINUTE_FINAL["scenes"] * 4}  # 288 s of render
    running = make_job(bob, **four_minutes)
    started = timezone.now() - timezone.timedelta(seconds=20)
    RenderJob.objects.filter(pk=running.pk).update(state=JobState.RUNNING, started_at=started)
    forget_snapshot()
    first = alice_api.get(_url(alice_job))
    assert first.json()["estimated_wait_seconds"] == 270  # 268 s, in steps of 15 s
    RenderJob.objects.filter(pk=running.pk).update(started_at=started - timezone.timedelta(seconds=3))
    forget_snapshot()  # a fresh snapshot 3 s later: 265 s left, still shown as 270
    answer, _ = _poll(alice_api, alice_job, first["ETag"])
    assert answer.status_code == 304


def test_the_queue_snapshot_reads_each_kind_of_jobs_rate_once(alice, bob, monkeypatch):
    """A snapshot of a long queue used to read the learned rate from the cache once per queued job
    (360 Redis round trips, ~60 ms, for 360 queued jobs): now once per mode and resolution."""
    from renders import eta
    from renders.queue_estimate import take_snapshot

    for _ in range(3):
        make_job(alice)  # previews
        make_job(bob, **MINUTE_FINAL)  # 1080p finals
    running = make_job(bob, **MINUTE_FINAL)
    RenderJob.objects.filter(pk=running.pk).update(state=JobState.RUNNING, started_at=timezone.now())
    asked: list[tuple[str, str]] = []
    learned = eta.render_rate

    def counting(mode: str, resolution: str) -> float:
        asked.append((mode, resolution))
        return learned(mode, resolution)

    monkeypatch.setattr(eta, "render_rate", counting)
    snapshot = take_snapshot()
    assert sorted(asked) == [("final", "1080p"), ("proxy", "")]
    # The same figures as estimating each job on its own.
    queued = RenderJob.objects.filter(state=JobState.QUEUED)
    assert sorted(seconds for _, work in snapshot.queued.values() for seconds in work) == sorted(
        eta.render_estimate_seconds(job.plan) for job in queued
    )
    assert snapshot.running_left_sec == pytest.approx(
        eta.seconds_left(running.plan, started_at=timezone.now(), progress_pct=0), abs=1
    )


def test_the_queue_snapshot_reads_the_kind_and_length_kept_beside_each_plan(alice, bob):
    """A snapshot of thousands of queued jobs spent most of its ~100 ms decoding their plans: it
    reads the kind and length job_create keeps beside the plan, and a plan only for a row written
    without them (older rows, rows made outside job_create)."""
    from renders import eta
    from renders.queue_estimate import take_snapshot

    preview = make_job(alice)
    assert (preview.render_kind, preview.planned_sec) == eta.plan_work(preview.plan)
    final = make_job(bob, **MINUTE_FINAL)
    # Its plan now says something else: the figures kept beside it are what counts.
    RenderJob.objects.filter(pk=preview.pk).update(plan={**preview.plan, "mode": "final", "resolution": "4k"})
    # And a row without them is estimated from its plan.
    RenderJob.objects.filter(pk=final.pk).update(render_kind="", planned_sec=None)
    snapshot = take_snapshot()
    work = sorted(seconds for _, seconds in snapshot.queued.values() for seconds in seconds)
    assert work == sorted(
        [eta.work_estimate_seconds(preview.render_kind, preview.planned_sec), eta.render_estimate_seconds(final.plan)]
    )


def test_the_work_ahead_of_a_job_follows_the_claim_order(alice):
    """Every job of a higher priority is ahead, and the older ones of its own; amending the snapshot
    with a new job puts it in its place."""
    from renders.queue_estimate import take_snapshot

    low, high, later_low = make_job(alice), make_job(alice), make_job(alice)
    RenderJob.objects.filter(pk=low.pk).update(priority=3)
    RenderJob.objects.filter(pk=later_low.pk).update(priority=3)
    RenderJob.objects.filter(pk=high.pk).update(priority=8)
    snapshot = take_snapshot()
    each = snapshot.queued[8][1][0]
    assert snapshot.work_ahead(priority=8, created=high.created_at.timestamp()) == 0
    assert snapshot.work_ahead(priority=3, created=low.created_at.timestamp()) == each
    assert snapshot.work_ahead(priority=3, created=later_low.created_at.timestamp()) == 2 * each
    amended = snapshot.with_job(priority=3, created=low.created_at.timestamp() - 1, seconds=100.0)
    assert amended.work_ahead(priority=3, created=low.created_at.timestamp()) == each + 100.0
    assert snapshot.work_ahead(priority=3, created=low.created_at.timestamp()) == each  # not changed in place


def test_a_due_snapshot_answers_while_another_process_takes_the_next(alice, django_assert_num_queries):
    """On a queue of thousands every web thread that found the snapshot due took its own at once;
    now one takes it and the others answer from the due one meanwhile."""
    import time
    from dataclasses import replace

    from django.core.cache import cache

    from bhakti.near_cache import clear_all
    from renders import queue_estimate

    make_job(alice)
    due = replace(queue_snapshot(), expires_at=time.time() - 0.5)
    cache.set(queue_estimate.SNAPSHOT_KEY, due, 10)
    clear_all()  # as another process finds it: not in its near cache
    assert cache.add(queue_estimate.TAKING_KEY, True, 10)  # another process is taking the next
    with django_assert_num_queries(0):
        assert queue_snapshot() == due

    cache.delete(queue_estimate.TAKING_KEY)  # nobody is: this one takes it
    clear_all()
    fresh = queue_snapshot()
    assert fresh.expires_at > time.time() and fresh.queued == due.queued
    assert cache.get(queue_estimate.TAKING_KEY) is None and cache.get(queue_estimate.SNAPSHOT_KEY) == fresh
