"""The render platform's calls as SEED-API.md writes them: POST /render, its status, webhook, cancel."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import AuditEvent
from publishing.models import Publication, PublicationState
from renders.models import AssetKind, JobAsset, JobState, RenderJob
from renders.tests.api.conftest import make_job

pytestmark = pytest.mark.django_db

LEGACY_PLAN = {
    "topic": "Prahlad's faith",
    "language": "en-US",
    "voice": "F",
    "scenes": [
        {"prompt": "a child praying by a river at dawn", "narration": "Prahlad prayed every morning."},
        {"prompt": "a palace at night with fire", "narration": "The fire did not burn him.", "duration": 4},
    ],
}
STATUS_FIELDS = {"state", "step", "progress_pct", "assets", "final_video_url", "youtube_url", "logs", "error"}


def test_it_starts_a_render_from_their_plan_with_their_values(
    alice_api, alice, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = alice_api.post("/render", LEGACY_PLAN, format="json", headers={"Idempotency-Key": "render-1"})
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert {"job_id", "status", "estimated_wait_seconds"} <= body.keys()
    assert body["status"] == "pending" and body["estimated_wait_seconds"] == 0
    job = RenderJob.objects.get(pk=body["job_id"], owner=alice)
    assert job.plan["voice"] == "female" and job.plan["language"] == "en" and job.title == "Prahlad's faith"
    assert [scene["image_prompt"] for scene in job.plan["scenes"]] == [s["prompt"] for s in LEGACY_PLAN["scenes"]]
    assert job.plan["scenes"][1]["duration_sec"] == 4 and job.plan["scenes"][0]["duration_sec"] > 1
    assert enqueued == [str(job.pk)]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.JOB_CREATED, job_id=job.pk).exists()
    # The same Idempotency-Key and body: the first answer again, no second job.
    again = alice_api.post("/render", LEGACY_PLAN, format="json", headers={"Idempotency-Key": "render-1"})
    assert again.json() == body and again.headers["Idempotent-Replayed"] == "true"
    assert RenderJob.objects.count() == 1


def test_it_takes_the_smoke_form_and_paints_pictures_it_does_not_have(alice_api, enqueued):
    answer = alice_api.post("/render", {"topic": "test", "images": ["image1.jpg"], "duration": 10}, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert {"job_id", "status", "estimated_wait_seconds"} <= body.keys() and body["status"] == "pending"
    assert "image1.jpg" in body["notes"][0]
    scene = RenderJob.objects.get(pk=body["job_id"]).plan["scenes"][0]
    assert scene["image_prompt"] == "test" and scene["duration_sec"] == 10 and not scene.get("image")


def test_it_names_their_field_when_their_plan_is_wrong(alice_api):
    plan = {**LEGACY_PLAN, "scenes": [{"prompt": "", "narration": "Hello."}]}
    answer = alice_api.post("/render", plan, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_plan"
    assert "scenes[0].prompt" in answer.json()["errors"]
    for bad in ({**LEGACY_PLAN, "voice": "X"}, {**LEGACY_PLAN, "language": "fr-FR"}, ["not", "a", "plan"]):
        refused = alice_api.post("/render", bad, format="json")
        assert refused.status_code == 400, refused.json()
    assert not RenderJob.objects.exists()


def test_it_checks_a_webhook_url_given_with_the_plan(alice_api, settings):
    private = alice_api.post("/render", {**LEGACY_PLAN, "webhook_url": "http://127.0.0.1/hook"}, format="json")
    assert private.status_code == 400 and private.json()["code"] == "webhook_url_not_allowed"
    malformed = alice_api.post("/render", {**LEGACY_PLAN, "webhook_url": 5}, format="json")
    assert malformed.status_code == 400 and "webhook_url" in malformed.json()["errors"]
    settings.WEBHOOK_ALLOW_PRIVATE = True
    given = alice_api.post("/render", {**LEGACY_PLAN, "webhook_url": "https://hooks.example.com/a"}, format="json")
    assert given.status_code == 201
    assert RenderJob.objects.get(pk=given.json()["job_id"]).webhook_url == "https://hooks.example.com/a"


def test_it_counts_their_starts_against_the_render_rate(alice_api, settings):
    settings.RATE_LIMIT_PER_MIN = 1
    assert alice_api.post("/render", LEGACY_PLAN, format="json").status_code == 201
    refused = alice_api.post("/render", LEGACY_PLAN, format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled" and "Retry-After" in refused.headers


def test_it_wants_an_api_key(client):
    assert client.post("/render", LEGACY_PLAN, content_type="application/json").status_code == 401
    assert client.get("/api/v1/jobs/health").status_code == 200  # the one call open to monitors


def _rendered(job: RenderJob) -> RenderJob:
    RenderJob.objects.filter(pk=job.pk).update(
        state=JobState.SUCCEEDED, step="store", progress_pct=100, finished_at=timezone.now()
    )
    for kind, language, name in (
        (AssetKind.VIDEO, "", "video.mp4"),
        (AssetKind.THUMBNAIL, "", "thumb.jpg"),
        (AssetKind.SUBTITLES_SRT, "en", "subtitles.en.srt"),
        (AssetKind.SUBTITLES_SRT, "hi", "subtitles.hi.srt"),
    ):
        asset = JobAsset(job=job, kind=kind, language=language, size_bytes=3)
        asset.file.save(name, ContentFile(b"abc"), save=False)
        asset.save()
    job.refresh_from_db()
    return job


@pytest.mark.parametrize("path", ["/render/{id}/status", "/api/status/{id}"])
def test_it_answers_the_status_in_their_states_and_steps(alice_api, alice, path):
    job = make_job(alice)
    queued = alice_api.get(path.format(id=job.pk))
    assert queued.status_code == 200
    body = queued.json()
    assert STATUS_FIELDS <= body.keys()
    assert body["state"] == "pending" and body["step"] is None and body["error"] is None
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, step="compose", progress_pct=55)
    running = alice_api.get(path.format(id=job.pk)).json()
    assert (running["state"], running["step"], running["progress_pct"]) == ("running", "stitch", 55)
    _rendered(job)
    done = alice_api.get(path.format(id=job.pk)).json()
    assert done["state"] == "success" and done["step"] == "completed"
    assert done["final_video_url"].startswith("http") and done["thumbnail_url"].startswith("http")
    assert done["dual_subtitles"]["hi_url"] and done["dual_subtitles"]["en_url"]
    assert done["youtube_url"] is None and len(done["assets"]) == 4 and "history" not in done


def test_it_shows_the_youtube_step_and_link(alice_api, alice):
    job = _rendered(make_job(alice))
    publication = Publication.objects.create(
        job=job,
        owner=alice,
        title="Prahlad",
        made_for_kids=False,
        state=PublicationState.UPLOADING,
        upload_after=timezone.now(),
    )
    assert alice_api.get(f"/render/{job.pk}/status").json()["step"] == "youtube_publish"
    Publication.objects.filter(pk=publication.pk).update(state=PublicationState.PUBLISHED, youtube_video_id="abc123")
    body = alice_api.get(f"/render/{job.pk}/status").json()
    assert body["step"] == "completed" and body["youtube_url"].endswith("abc123")


def test_it_answers_a_poll_in_a_fixed_number_of_queries(alice_api, alice, django_assert_max_num_queries):
    job = make_job(alice)
    for path in (f"/render/{job.pk}/status", f"/api/v1/jobs/{job.pk}"):
        with django_assert_max_num_queries(9):  # cold caches included: the key, the queue snapshot (3), the render rate
            assert alice_api.get(path).status_code == 200
    _rendered(job)
    with django_assert_max_num_queries(9):
        assert alice_api.get(f"/render/{job.pk}/status").json()["state"] == "success"


def test_it_adds_the_whole_history_when_asked(alice_api, alice):
    job = make_job(alice)
    body = alice_api.get(f"/render/{job.pk}/status?include_history=true").json()
    assert body["history"] and body["history"][0]["message"].startswith("Job created")
    assert alice_api.get(f"/render/{job.pk}/status?include_history=maybe").status_code == 400


def test_it_answers_failures_in_their_terms(alice_api, alice):
    job = make_job(alice)
    RenderJob.objects.filter(pk=job.pk).update(
        state=JobState.FAILED, step="speech", error="No voice", error_step="speech"
    )
    body = alice_api.get(f"/render/{job.pk}/status").json()
    assert (body["state"], body["step"], body["error"]) == ("error", "tts", "No voice")


def test_it_registers_a_webhook_for_one_job(alice_api, alice, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    job = make_job(alice)
    answer = alice_api.put(f"/render/{job.pk}/webhook", {"url": "https://hooks.example.com/bhakti"}, format="json")
    assert answer.status_code == 200 and answer.json() == {
        "job_id": str(job.pk),
        "url": "https://hooks.example.com/bhakti",
    }
    job.refresh_from_db()
    assert job.webhook_url == "https://hooks.example.com/bhakti"
    assert alice_api.put(f"/render/{job.pk}/webhook", {"url": "not a url"}, format="json").status_code == 400


def test_it_refuses_a_private_webhook_address(alice_api, alice):
    job = make_job(alice)
    answer = alice_api.put(f"/render/{job.pk}/webhook", {"url": "http://127.0.0.1:8000/hook"}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "webhook_url_not_allowed"


def test_it_cancels_and_refuses_to_cancel_twice(alice_api, alice):
    job = make_job(alice)
    answer = alice_api.delete(f"/render/{job.pk}/cancel")
    assert answer.status_code == 200 and answer.json()["state"] == "error" and answer.json()["error"] == "Canceled."
    again = alice_api.delete(f"/render/{job.pk}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "not_cancelable"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/render/{id}/status", None),
        ("get", "/api/status/{id}", None),
        ("put", "/render/{id}/webhook", {"url": "https://hooks.example.com/x"}),
        ("delete", "/render/{id}/cancel", None),
    ],
)
def test_someone_elses_job_and_a_malformed_id_are_json_404s(bob_api, alice, method, path, body):
    job = make_job(alice)
    for job_id in (job.pk, "not-a-uuid"):
        answer = getattr(bob_api, method)(path.format(id=job_id), body, format="json")
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert RenderJob.objects.get(pk=job.pk).state == JobState.QUEUED
