"""POST /api/v1/renders/{id}/make-final and versions in the job list and detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import ensure_profile
from renders.models import JobState, RenderJob
from renders.services import job_create
from renders.tests.api.conftest import make_job

pytestmark = pytest.mark.django_db


def finished(job: RenderJob) -> RenderJob:
    now = timezone.now()
    RenderJob.objects.filter(pk=job.pk).update(
        state=JobState.SUCCEEDED, started_at=now - timedelta(seconds=5), finished_at=now, duration_sec=3.0
    )
    job.refresh_from_db()
    return job


def test_make_final_answers_202_with_version_2_at_final_quality(
    alice, alice_api, enqueued, django_capture_on_commit_callbacks
):
    preview = finished(make_job(alice))
    with django_capture_on_commit_callbacks(execute=True):
        answer = alice_api.post(f"/api/v1/renders/{preview.pk}/make-final")
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    final = RenderJob.objects.get(pk=body["id"])
    assert answer["Location"].endswith(f"/api/v1/renders/{final.pk}")
    assert (body["video_id"], body["version"], body["state"]) == (str(preview.pk), 2, "queued")
    assert final.plan["mode"] == "final" and final.plan["scenes"] == preview.plan["scenes"]
    assert enqueued[-1] == str(final.pk)
    detail = alice_api.get(f"/api/v1/renders/{preview.pk}").json()
    assert (detail["video_id"], detail["version"]) == (str(preview.pk), 1)


def test_make_final_of_another_users_video_is_a_404(alice, bob_api):
    preview = finished(make_job(alice))
    answer = bob_api.post(f"/api/v1/renders/{preview.pk}/make-final")
    assert answer.status_code == 404
    assert not RenderJob.objects.filter(video=preview).exists()


def test_make_final_of_an_admin_is_a_404_for_someone_elses_video(alice, ada_api):
    preview = finished(make_job(alice))
    assert ada_api.post(f"/api/v1/renders/{preview.pk}/make-final").status_code == 404


def test_make_final_refuses_a_job_that_is_not_a_finished_preview(alice, alice_api):
    queued = make_job(alice)
    answer = alice_api.post(f"/api/v1/renders/{queued.pk}/make-final")
    assert answer.status_code == 409 and answer.json()["code"] == "not_finished"
    final = finished(make_job(alice, mode="final"))
    answer = alice_api.post(f"/api/v1/renders/{final.pk}/make-final")
    assert answer.status_code == 409 and answer.json()["code"] == "not_a_preview"


def test_make_final_counts_against_the_daily_quota(alice, alice_api):
    preview = finished(make_job(alice))
    profile = ensure_profile(alice)
    profile.jobs_per_day = 1
    profile.save(update_fields=["jobs_per_day"])
    answer = alice_api.post(f"/api/v1/renders/{preview.pk}/make-final")
    assert answer.status_code == 400 and answer.json()["code"] == "daily_quota_exceeded"
    assert not RenderJob.objects.filter(video=preview).exists()


def test_make_final_counts_against_the_render_rate_limit(alice, alice_api, settings):
    settings.RATE_LIMIT_PER_MIN = 1
    preview = finished(make_job(alice))
    assert alice_api.post("/api/v1/renders", {"plan": preview.plan}, format="json").status_code == 201
    answer = alice_api.post(f"/api/v1/renders/{preview.pk}/make-final")
    assert answer.status_code == 429
    assert not RenderJob.objects.filter(video=preview).exists()


def test_the_list_shows_each_video_once_at_its_latest_version(alice, alice_api):
    first = finished(make_job(alice, title="Prahlad"))
    second = job_create(owner=alice, plan_data=first.plan, version_of=first)
    other = make_job(alice, title="Dhruva")
    results = alice_api.get("/api/v1/renders").json()["results"]
    assert [(row["id"], row["version"]) for row in results] == [(str(other.pk), 1), (str(second.pk), 2)]
    assert results[1]["video_id"] == str(first.pk)
    every = alice_api.get("/api/v1/renders", {"all_versions": "true"}).json()["results"]
    assert {row["id"] for row in every} == {str(first.pk), str(second.pk), str(other.pk)}
