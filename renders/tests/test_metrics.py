"""Job metrics from the database: JSON and Prometheus, optionally behind a bearer token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import AuditEvent
from renders.models import JobState, RenderJob
from renders.services import enqueue_render


def make_job(owner, state: str, *, seconds: float | None = None, timings: dict | None = None, error_step: str = ""):
    now = timezone.now()
    started = now - timedelta(seconds=seconds) if seconds is not None else None
    return RenderJob.objects.create(
        owner=owner,
        title="Prahlad",
        language="en",
        plan={},
        state=state,
        started_at=started,
        finished_at=now if seconds is not None and state != JobState.RUNNING else None,
        heartbeat_at=now if state == JobState.RUNNING else None,
        timings=timings or {},
        error_step=error_step,
    )


@pytest.fixture(autouse=True)
def _metrics_public(settings) -> None:
    settings.METRICS_TOKEN = ""
    settings.METRICS_PUBLIC = True  # most tests read the numbers; the gate has tests of its own


@pytest.fixture
def jobs(alice):
    make_job(alice, JobState.SUCCEEDED, seconds=8, timings={"images": 0.4, "speech": 0.3, "compose": 4.5, "store": 0.2})
    make_job(
        alice, JobState.SUCCEEDED, seconds=20, timings={"images": 0.6, "speech": 0.3, "compose": 12.0, "store": 0.3}
    )
    make_job(
        alice, JobState.SUCCEEDED, seconds=50, timings={"images": 1.5, "speech": 0.9, "compose": 40.0, "store": 0.4}
    )
    make_job(alice, JobState.FAILED, seconds=3, error_step="compose")
    make_job(alice, JobState.RUNNING, seconds=2)
    queued = make_job(alice, JobState.QUEUED)
    make_job(alice, JobState.CANCELED)
    enqueue_render(job_id=str(queued.pk))  # one task waiting in the ORM broker
    for _ in range(3):
        AuditEvent.objects.create(action=AuditEvent.Action.RATE_LIMITED)
    AuditEvent.objects.create(action=AuditEvent.Action.QUOTA_EXCEEDED, actor=alice)


def scrape(client, **headers) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics/prometheus", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_it_reports_jobs_as_json(client, jobs):
    body = client.get("/metrics").json()
    assert body["jobs"]["by_state"] == {"queued": 1, "running": 1, "succeeded": 3, "failed": 1, "canceled": 1}
    assert (body["jobs"]["started"], body["jobs"]["active"], body["jobs"]["total"]) == (5, 1, 7)
    assert body["success_rate"] == 0.75
    assert body["duration_sec"]["count"] == 3
    assert body["duration_sec"]["p50"] == pytest.approx(20, abs=0.5)
    assert body["duration_sec"]["max"] == pytest.approx(50, abs=0.5)
    assert body["step_duration_sec"]["compose"]["p50"] == 12.0
    assert body["step_duration_sec"]["subtitles"]["count"] == 0
    assert body["errors_by_step"] == {"compose": 1}
    assert body["queue"] == {"waiting": 1, "in_flight": 0}
    assert body["refusals"] == {"rate_limited": 3, "quota_exceeded": 1, "auth_failed": 0}


def test_it_reports_jobs_to_prometheus(client, jobs):
    samples = scrape(client)
    assert samples["bhakti_jobs"][(("state", "succeeded"),)] == 3
    assert samples["bhakti_jobs"][(("state", "queued"),)] == 1
    assert samples["bhakti_jobs_active"][()] == 1
    assert samples["bhakti_jobs_started_total"][()] == 5
    assert samples["bhakti_jobs_finished_total"][(("state", "failed"),)] == 1
    assert samples["bhakti_job_failures_total"][(("step", "compose"),)] == 1
    assert samples["bhakti_queue_depth"][(("status", "waiting"),)] == 1
    jobs_le = samples["bhakti_job_duration_seconds_bucket"]
    assert [jobs_le[(("le", le),)] for le in ("5.0", "10.0", "30.0", "60.0", "+Inf")] == [0, 1, 2, 3, 3]
    assert samples["bhakti_job_duration_seconds_count"][()] == 3
    assert samples["bhakti_job_duration_seconds_sum"][()] == pytest.approx(78, abs=1)
    compose_le = samples["bhakti_step_duration_seconds_bucket"]
    assert compose_le[(("le", "5.0"), ("step", "compose"))] == 1
    assert compose_le[(("le", "30.0"), ("step", "compose"))] == 2
    assert compose_le[(("le", "+Inf"), ("step", "compose"))] == 3
    assert samples["bhakti_step_duration_seconds_sum"][(("step", "compose"),)] == pytest.approx(56.5)
    assert samples["bhakti_step_duration_seconds_count"][(("step", "subtitles"),)] == 0
    assert samples["bhakti_rate_limit_hits_total"][()] == 3
    assert samples["bhakti_quota_violations_total"][()] == 1


def test_it_sees_what_other_processes_wrote(client, jobs, alice):
    # Nothing is counted in process memory: a job finished by a worker elsewhere shows at once.
    before = scrape(client)["bhakti_jobs"][(("state", "succeeded"),)]
    RenderJob.objects.filter(state=JobState.RUNNING).update(state=JobState.SUCCEEDED, finished_at=timezone.now())
    assert scrape(client)["bhakti_jobs"][(("state", "succeeded"),)] == before + 1


def test_it_scrapes_in_a_fixed_number_of_queries(client, alice, django_assert_max_num_queries):
    for seconds in range(1, 30):
        make_job(alice, JobState.SUCCEEDED, seconds=seconds, timings={"compose": seconds / 2})
    with django_assert_max_num_queries(13):
        scrape(client)


@pytest.mark.django_db
def test_it_wants_the_metrics_token_when_one_is_set(client, settings):
    settings.METRICS_TOKEN = "metrics-s3cret"
    for path in ("/metrics", "/metrics/prometheus"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get(path, headers={"Authorization": "Basic metrics-s3cret"}).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer metrics-s3cret"}).status_code == 200
    assert client.get("/metrics").headers["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_it_keeps_the_metrics_off_without_a_token(client, settings, db):
    settings.METRICS_PUBLIC = False
    for path in ("/metrics", "/metrics/prometheus"):
        response = client.get(path)
        assert response.status_code == 404
        assert "jobs" not in response.content.decode()


def test_it_keeps_the_metrics_off_by_default_in_production(monkeypatch, tmp_path):
    from bhakti.tests.test_settings import load_settings

    values = load_settings(monkeypatch, tmp_path, DEBUG="0", SECRET_KEY="x" * 60)
    assert values["METRICS_TOKEN"] == "" and values["METRICS_PUBLIC"] is False


# --- The names operators' dashboards and the alert rules query -------------------------------------


def test_it_serves_the_operator_names_with_their_labels(client, jobs, alice):
    proxy = make_job(alice, JobState.SUCCEEDED, seconds=12)
    proxy.plan = {"mode": "proxy"}
    proxy.save(update_fields=["plan"])
    AuditEvent.objects.create(action=AuditEvent.Action.JOB_REQUEUED, detail="no heartbeat for 50 s")
    AuditEvent.objects.create(action=AuditEvent.Action.JOB_REAPED, detail="no heartbeat for 60 s, attempts 3")

    samples = scrape(client)

    assert samples["jobs_started_total"][()] == 6
    assert samples["jobs_succeeded_total"][()] == 4
    assert samples["jobs_failed_total"][(("error_type", "compose"),)] == 1
    assert samples["jobs_canceled_total"][()] == 1
    assert samples["active_jobs"][()] == 1
    assert samples["bhakti_jobs_stale_heartbeat"][()] == 0  # its worker beat just now
    assert samples["queue_depth"][()] == 1
    assert samples["rate_limit_hits_total"][()] == 3
    assert samples["quota_violations_total"][()] == 1
    assert samples["job_timeouts_total"][()] == 2
    counts = samples["job_duration_seconds_count"]
    # Plans without a mode render final: the three fixtures' jobs and the failed one read FINAL.
    assert counts[(("render_mode", "FINAL"), ("status", "success"))] == 3
    assert counts[(("render_mode", "PROXY"), ("status", "success"))] == 1
    assert counts[(("render_mode", "FINAL"), ("status", "error"))] == 1
    finals = samples["job_duration_seconds_bucket"]
    assert finals[(("le", "30.0"), ("render_mode", "FINAL"), ("status", "success"))] == 2  # 8 s and 20 s
    assert samples["step_duration_seconds_count"][(("step", "compose"),)] == 3
    assert samples["disk_free_gb"][(("path", "work"),)] > 0


def test_provider_429s_are_counted_per_provider(client, db):
    from renders.pipeline.providers.retry import RetryPolicy, call_with_retries, status_error

    answers = iter([429, 429, 200])

    def attempt() -> str:
        status = next(answers)
        if status != 200:
            raise status_error("OpenAI images", status, {"Retry-After": "0"})
        return "ok"

    assert call_with_retries(attempt, RetryPolicy(max_retries=3, backoff_sec=0, sleep=lambda _: None)) == "ok"

    def server_error() -> str:
        raise status_error("ElevenLabs", 503, {})

    with pytest.raises(Exception, match="after 2 tries"):
        call_with_retries(server_error, RetryPolicy(max_retries=1, backoff_sec=0, sleep=lambda _: None))

    samples = scrape(client)
    assert samples["provider_rate_limited_total"] == {(("provider", "openai"),): 2}  # a 503 is not a 429


def test_youtube_failures_are_counted_by_reason(client, db):
    AuditEvent.objects.create(action=AuditEvent.Action.YOUTUBE_FAILED, detail="quota_exceeded")
    AuditEvent.objects.create(action=AuditEvent.Action.YOUTUBE_FAILED, detail="quota_exceeded")
    AuditEvent.objects.create(action=AuditEvent.Action.YOUTUBE_FAILED, detail="internal")
    samples = scrape(client)
    assert samples["youtube_upload_failures_total"] == {
        (("reason", "quota_exceeded"),): 2,
        (("reason", "internal"),): 1,
    }
