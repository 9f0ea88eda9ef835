"""Creator mode's calls as SEED-API.md writes them: templates, plans, the library, YouTube schedules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from publishing.models import Publication
from renders.models import AssetKind, JobAsset, JobState, RenderJob
from renders.tests.api.conftest import make_job

pytestmark = pytest.mark.django_db


def _succeeded(job: RenderJob) -> RenderJob:
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED, progress_pct=100, finished_at=timezone.now())
    for kind, name in ((AssetKind.VIDEO, "video.mp4"), (AssetKind.THUMBNAIL, "thumb.jpg")):
        asset = JobAsset(job=job, kind=kind, size_bytes=3)
        asset.file.save(name, ContentFile(b"abc"), save=False)
        asset.save()
    job.refresh_from_db()
    return job


def test_it_lists_the_templates_with_their_ids(alice_api):
    answer = alice_api.get("/api/templates")
    assert answer.status_code == 200
    templates = {entry["id"]: entry for entry in answer.json()["templates"]}
    assert {"prahlad", "ganga_avatar"} <= templates.keys()
    assert set(templates["prahlad"]) == {"id", "title", "description", "tags"}
    assert templates["ganga_avatar"]["title"] and isinstance(templates["ganga_avatar"]["tags"], list)


def test_it_makes_a_plan_in_their_shape_that_post_render_accepts(alice_api, enqueued):
    body = {"template_id": "prahlad", "language": "en", "length_sec": 60, "voice": "F"}
    answer = alice_api.post("/api/templates/plan", body, format="json")
    assert answer.status_code == 200, answer.json()
    plan = answer.json()
    assert plan["voice"] == "F" and plan["language"] == "en" and plan["title"]
    assert all({"prompt", "narration", "duration"} <= scene.keys() for scene in plan["scenes"])
    assert sum(scene["duration"] for scene in plan["scenes"]) <= 60
    submitted = alice_api.post("/render", plan, format="json")
    assert submitted.status_code == 201, submitted.json()
    assert RenderJob.objects.get(pk=submitted.json()["job_id"]).plan["voice"] == "female"


def test_it_takes_their_template_ids_and_male_voice(alice_api):
    answer = alice_api.post("/api/templates/plan", {"template_id": "ganga_avatar", "voice": "M"}, format="json")
    assert answer.status_code == 200 and answer.json()["voice"] == "M"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"template_id": "nobody"}, 404, None),
        ({"template_id": "prahlad", "voice": "X"}, 400, "voice"),
        ({"template_id": "prahlad", "length_sec": 100_000}, 400, "length_sec"),
        ({"template_id": "prahlad", "language": "de"}, 400, "language"),
        ({}, 400, "template_id"),
    ],
)
def test_it_refuses_a_bad_template_request_in_json(alice_api, body, status, field):
    answer = alice_api.post("/api/templates/plan", body, format="json")
    assert answer.status_code == status, answer.json()
    if field:
        assert field in answer.json()["errors"]


def test_it_pages_the_library_in_their_shape(alice_api, alice, bob):
    first = _succeeded(make_job(alice, title="First"))
    _succeeded(make_job(alice, title="Hindi one", language="hi"))
    make_job(alice, title="Still queued")
    make_job(bob, title="Bob's")
    answer = alice_api.get("/api/library?page=1&page_size=20&state=success&language=en")
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == 1 and body["has_more"] is False
    (entry,) = body["entries"]
    assert set(entry) == {"job_id", "title", "state", "final_video_url", "thumbnail_url", "youtube_url", "created_at"}
    assert entry["job_id"] == str(first.pk) and entry["state"] == "success" and entry["final_video_url"]
    paged = alice_api.get("/api/library?page=1&page_size=1").json()
    assert paged["total"] == 3 and paged["has_more"] is True and len(paged["entries"]) == 1
    assert alice_api.get("/api/library?state=succeeded").status_code == 400


def test_it_lists_the_library_in_a_fixed_number_of_queries(alice_api, alice, django_assert_max_num_queries):
    for number in range(5):
        _succeeded(make_job(alice, title=f"Video {number}"))
    with django_assert_max_num_queries(10):
        assert len(alice_api.get("/api/library").json()["entries"]) == 5


def test_it_duplicates_a_video_as_their_plan(alice_api, alice, bob_api):
    job = make_job(alice)
    answer = alice_api.post(f"/api/library/{job.pk}/duplicate")
    assert answer.status_code == 200
    plan = answer.json()
    assert plan["voice"] == "F" and plan["scenes"][0]["prompt"] == job.plan["scenes"][0]["image_prompt"]
    assert bob_api.post(f"/api/library/{job.pk}/duplicate").status_code == 404


def test_it_schedules_shows_and_cancels_a_youtube_upload(alice_api, alice, alice_channel, uploads_enqueued):
    job = _succeeded(make_job(alice))
    later = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    body = {"iso_datetime": later.isoformat(), "title": "Prahlad", "description": "Faith.", "tags": ["bhakti"]}
    created = alice_api.post(f"/api/publish/{job.pk}/schedule", body, format="json")
    assert created.status_code == 201, created.json()
    schedule = created.json()
    assert schedule["state"] == "scheduled" and schedule["made_for_kids"] is False and schedule["tags"] == ["bhakti"]
    assert dt.datetime.fromisoformat(schedule["iso_datetime"]) == later
    shown = alice_api.get(f"/api/publish/{job.pk}")
    assert shown.status_code == 200 and shown.json()["title"] == "Prahlad"
    canceled = alice_api.delete(f"/api/publish/{job.pk}/cancel")
    assert canceled.status_code == 200 and canceled.json()["state"] == "canceled"
    assert alice_api.delete(f"/api/publish/{job.pk}/cancel").status_code == 409


def test_it_schedules_their_example_date_as_due_now(alice_api, alice, alice_channel, uploads_enqueued,
                                                     django_capture_on_commit_callbacks):  # fmt: skip
    job = _succeeded(make_job(alice))
    body = {"iso_datetime": "2025-12-25T14:00:00Z", "title": "Prahlad", "description": "Faith.", "tags": ["bhakti"]}
    with django_capture_on_commit_callbacks(execute=True):
        answer = alice_api.post(f"/api/publish/{job.pk}/schedule", body, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["state"] == "queued" and answer.json()["made_for_kids"] is False
    publication = Publication.objects.get(job=job)
    assert uploads_enqueued == [publication.pk] and publication.made_for_kids is False


def test_it_refuses_schedules_it_cannot_keep(alice_api, bob_api, alice, alice_channel):
    queued = make_job(alice)
    answer = alice_api.post(f"/api/publish/{queued.pk}/schedule", {"title": "Not yet"}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "not_rendered"
    assert alice_api.post(f"/api/publish/{queued.pk}/schedule", {}, format="json").status_code == 400
    assert alice_api.get(f"/api/publish/{queued.pk}").status_code == 404
    done = _succeeded(make_job(alice))
    assert bob_api.post(f"/api/publish/{done.pk}/schedule", {"title": "Mine"}, format="json").status_code == 404
    assert bob_api.get(f"/api/publish/{done.pk}").status_code == 404
    assert bob_api.delete(f"/api/publish/{done.pk}/cancel").status_code == 404
    assert alice_api.get("/api/publish/not-a-uuid").status_code == 404
    assert not Publication.objects.exists()
