"""renders.idempotency: Idempotency-Key replays, conflicts, in-flight refusals and expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from renders.idempotency import IN_FLIGHT_STALE_SEC, purge_expired
from renders.models import IdempotencyRecord, JobState, RenderJob

pytestmark = pytest.mark.django_db


def _create(client, plan_data, key: str, path: str = "/api/v1/renders"):
    return client.post(path, {"plan": plan_data}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_it_replays_the_stored_response_for_the_same_key_and_body(alice_api, plan_data):
    first = _create(alice_api, plan_data, "order-42")
    second = _create(alice_api, plan_data, "order-42")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Location"] == first["Location"]
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert RenderJob.objects.count() == 1


def test_it_treats_reordered_json_as_the_same_body(alice_api, plan_data):
    first = _create(alice_api, plan_data, "k1")
    reordered = dict(reversed(list(plan_data.items())))
    second = alice_api.post("/api/v1/renders", {"plan": reordered}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert second.json()["job_id"] == first.json()["job_id"]


def test_it_refuses_the_same_key_with_another_body_with_422(alice_api, plan_data):
    _create(alice_api, plan_data, "order-42")
    answer = _create(alice_api, {**plan_data, "title": "Another story"}, "order-42")
    assert answer.status_code == 422
    assert answer.json()["code"] == "idempotency_key_reused"
    assert RenderJob.objects.count() == 1


def test_it_refuses_a_key_while_its_first_request_is_in_flight_with_409(alice_api, plan_data, monkeypatch):
    from renders.api import views

    real_job_create = views.job_create
    answers_during_first = []

    def job_create_while_the_client_retries(**kwargs):
        # The client gives up waiting and resends while the first request is still being served.
        answers_during_first.append(_create(alice_api, plan_data, "order-42"))
        return real_job_create(**kwargs)

    monkeypatch.setattr(views, "job_create", job_create_while_the_client_retries)
    first = _create(alice_api, plan_data, "order-42")
    assert first.status_code == 201
    (retry,) = answers_during_first
    assert retry.status_code == 409
    assert retry.json()["code"] == "idempotency_request_in_flight"
    assert RenderJob.objects.count() == 1


def test_it_takes_over_an_in_flight_record_whose_request_died(alice, alice_api, plan_data):
    long_ago = timezone.now() - timedelta(seconds=IN_FLIGHT_STALE_SEC + 1)
    IdempotencyRecord.objects.create(
        user=alice, key="order-42", request_hash="x" * 64, created_at=long_ago, expires_at=long_ago + timedelta(days=1)
    )
    assert _create(alice_api, plan_data, "order-42").status_code == 201


def test_it_keeps_keys_apart_per_user(alice_api, bob_api, plan_data):
    first = _create(alice_api, plan_data, "shared-key")
    second = _create(bob_api, plan_data, "shared-key")
    assert second.status_code == 201 and second.json()["job_id"] != first.json()["job_id"]


def test_it_shares_keys_between_the_old_and_new_create_paths(alice_api, plan_data):
    first = _create(alice_api, plan_data, "order-42")
    again = _create(alice_api, plan_data, "order-42", path="/api/v1/render")
    assert again.json()["job_id"] == first.json()["job_id"]


def test_it_refuses_one_key_on_two_operations(alice_api, alice_job, plan_data):
    RenderJob.objects.filter(pk=alice_job.pk).update(state=JobState.FAILED)
    _create(alice_api, plan_data, "k")
    answer = alice_api.post(f"/api/v1/renders/{alice_job.pk}/retry", HTTP_IDEMPOTENCY_KEY="k")
    assert answer.status_code == 422


def test_it_releases_the_key_when_the_request_failed(alice_api, plan_data):
    bad = _create(alice_api, {**plan_data, "language": "fr"}, "order-42")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    assert _create(alice_api, plan_data, "order-42").status_code == 201


def test_it_starts_afresh_after_the_record_expired(alice_api, plan_data):
    first = _create(alice_api, plan_data, "order-42")
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    second = _create(alice_api, plan_data, "order-42")
    assert second.status_code == 201 and second.json()["job_id"] != first.json()["job_id"]
    assert not second.has_header("Idempotent-Replayed")


def test_it_purges_expired_records(alice_api, plan_data):
    _create(alice_api, plan_data, "a")
    _create(alice_api, plan_data, "b")
    IdempotencyRecord.objects.filter(key="a").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_expired() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["b"]


def test_it_replays_a_cancel(alice_api, alice_job):
    first = alice_api.post(f"/api/v1/renders/{alice_job.pk}/cancel", HTTP_IDEMPOTENCY_KEY="stop-1")
    second = alice_api.post(f"/api/v1/renders/{alice_job.pk}/cancel", HTTP_IDEMPOTENCY_KEY="stop-1")
    assert first.status_code == second.status_code == 200  # not the 409 a second cancel would get
    assert second["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_it_refuses_a_malformed_key_with_400(alice_api, plan_data, key):
    answer = _create(alice_api, plan_data, key)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_idempotency_key"


def test_it_purges_expired_records_every_hour():
    from django_q.models import Schedule

    from bhakti.schedules import ensure_schedules

    ensure_schedules()
    purge = Schedule.objects.get(name="renders.purge_idempotency_keys")
    assert (purge.func, purge.schedule_type, purge.minutes) == (
        "renders.idempotency.purge_expired",
        Schedule.MINUTES,
        60,
    )
