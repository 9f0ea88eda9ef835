"""The marketplace's video calls as SEED-API.md writes them: /api/video/generate-script,
/api/video/generate (multipart photos) and /api/video/status/{id}."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from renders.models import JobState, RenderJob, Upload
from renders.tests.test_upload_records import image_bytes

pytestmark = pytest.mark.django_db

LISTING = {
    "title": "Handwoven silk saree",
    "description": "Pure Banarasi silk with gold zari. Woven by hand in Varanasi.",
    "category": "clothing",
    "price": 4999,
}


def jpeg(name: str = "front.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(64, 48).getvalue(), content_type="image/jpeg")


def png(name: str = "back.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(40, 60, fmt="PNG").getvalue(), content_type="image/png")


def generate(api, images, **fields):
    body = {**LISTING, "voice": "F", "music": "bells", **fields}
    if images is not None:
        body["images"] = images
    return api.post("/api/video/generate", body, format="multipart")


# --- generate-script -----------------------------------------------------------------------------


def test_the_script_is_the_photo_paths_offline_narration_with_its_length_and_no_cost(no_openai, alice_api):
    answer = alice_api.post("/api/video/generate-script", LISTING, format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert set(body) == {"success", "script", "estimatedDuration", "wordCount", "cost"}
    assert body["success"] is True and body["cost"] == 0
    assert body["script"] == (
        "Handwoven silk saree. Pure Banarasi silk with gold zari. Woven by hand in Varanasi. "
        "Price: 4999. Thank you for watching."
    )
    assert body["wordCount"] == len(body["script"].split()) == 20
    assert 4 < body["estimatedDuration"] < 12
    assert not RenderJob.objects.exists()


def test_the_script_takes_a_price_as_text_and_hindi(no_openai, alice_api):
    listing = {**LISTING, "price": "₹4,999", "language": "hi-IN", "description": "शुद्ध रेशम।"}
    body = alice_api.post("/api/video/generate-script", listing, format="json").json()
    assert "कीमत: ₹4,999।" in body["script"] and body["script"].endswith("देखने के लिए धन्यवाद।")


@pytest.mark.parametrize(
    ("change", "field"),
    [({"title": ""}, "title"), ({"title": "   "}, "title"), ({"price": True}, "price"),
     ({"description": "x" * 3001}, "description"), ({"language": "fr"}, "language")],
)  # fmt: skip
def test_the_script_names_a_bad_field(no_openai, alice_api, change, field):
    answer = alice_api.post("/api/video/generate-script", {**LISTING, **change}, format="json")
    assert answer.status_code == 400 and field in answer.json()["errors"], answer.json()


def test_the_script_needs_the_key(no_openai, client):
    assert client.post("/api/video/generate-script", LISTING, content_type="application/json").status_code in (401, 403)


# --- generate ------------------------------------------------------------------------------------


def test_it_stores_the_photos_and_starts_a_narrated_photo_video(no_openai, alice, alice_api):
    answer = generate(alice_api, [jpeg(), png()])
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert set(body) == {"success", "jobId", "estimatedTime"}
    assert body["success"] is True and isinstance(body["estimatedTime"], int) and body["estimatedTime"] > 0
    assert answer["Location"].endswith(f"/api/video/status/{body['jobId']}")
    job = RenderJob.objects.get(pk=body["jobId"])
    assert job.owner == alice and job.title == LISTING["title"]
    scenes = job.plan["scenes"]
    uploads = Upload.objects.filter(owner=alice)
    assert len(scenes) == 2 and {scene["image"] for scene in scenes} == {upload.name for upload in uploads}
    assert all(upload.used_at for upload in uploads)
    assert scenes[0]["narration"].startswith("Handwoven silk saree.")
    assert "Price: 4999." in scenes[1]["narration"] and scenes[1]["narration"].endswith("Thank you for watching.")
    assert job.plan["voice"] == "female" and job.plan["music"] == "bells"


def test_it_takes_images_brackets_and_a_male_voice(no_openai, alice_api):
    answer = alice_api.post(
        "/api/video/generate", {**LISTING, "images[]": [jpeg()], "voice": "male"}, format="multipart"
    )
    assert answer.status_code == 201, answer.json()
    assert RenderJob.objects.get(pk=answer.json()["jobId"]).plan["voice"] == "male"


def test_a_bad_image_is_a_400_and_nothing_is_stored(no_openai, alice_api):
    fake = SimpleUploadedFile("x.jpg", b"%PDF-1.7 not a picture", content_type="image/jpeg")
    answer = generate(alice_api, [jpeg(), fake])
    assert answer.status_code == 400
    assert answer.json()["code"] == "not_an_image" and "images[1]" in answer.json()["errors"]
    assert not Upload.objects.exists() and not RenderJob.objects.exists()


def test_a_photo_over_the_byte_limit_is_a_413(no_openai, alice_api, settings):
    settings.MAX_UPLOAD_IMAGE_BYTES = 1024
    big = SimpleUploadedFile("big.png", image_bytes(300, 300, fmt="PNG").getvalue() + b"\0" * 2048)
    answer = generate(alice_api, [big])
    assert answer.status_code == 413 and answer.json()["code"] == "upload_too_large"


@pytest.mark.parametrize(
    ("fields", "images", "field"),
    [({}, None, "images"), ({"title": ""}, "one", "title"), ({"voice": "X"}, "one", "voice"),
     ({"music": "drums"}, "one", "music")],
)  # fmt: skip
def test_a_bad_field_is_a_400_and_stores_nothing(no_openai, alice_api, fields, images, field):
    answer = generate(alice_api, [jpeg()] if images else None, **fields)
    assert answer.status_code == 400 and field in answer.json()["errors"], answer.json()
    assert not Upload.objects.exists() and not RenderJob.objects.exists()


def test_a_refused_plan_leaves_no_photos_behind(no_openai, alice_api):
    # One photo cannot hold this much narration: the description is refused, the photo deleted.
    long = " ".join(f"Sentence number {n} about the saree." for n in range(60))
    answer = generate(alice_api, [jpeg()], description=long[:3000])
    assert answer.status_code == 400 and "description" in answer.json()["errors"], answer.json()
    assert not Upload.objects.exists() and not RenderJob.objects.exists()
    assert not any(default_storage.listdir(f"uploads/{folder}")[1] for folder in default_storage.listdir("uploads")[0])


def test_it_needs_a_multipart_body(no_openai, alice_api):
    answer = alice_api.post("/api/video/generate", LISTING, format="json")
    assert answer.status_code == 415


def test_an_idempotency_key_answers_the_same_job(no_openai, alice_api):
    def send():
        body = {**LISTING, "images": [jpeg()]}
        return alice_api.post("/api/video/generate", body, format="multipart", HTTP_IDEMPOTENCY_KEY="listing-42")

    one, two = send(), send()
    assert one.status_code == 201 and two.status_code == 201, one.json()
    assert two.json()["jobId"] == one.json()["jobId"] and two["Idempotent-Replayed"] == "true"
    assert RenderJob.objects.count() == 1 and Upload.objects.count() == 1


# --- status --------------------------------------------------------------------------------------


def test_the_status_follows_the_job_and_hides_it_from_others(no_openai, alice_api, bob_api):
    job_id = generate(alice_api, [jpeg()]).json()["jobId"]
    answer = alice_api.get(f"/api/video/status/{job_id}")
    assert answer.status_code == 200
    progress = RenderJob.objects.get(pk=job_id).progress_pct / 100  # the script step is done already
    expected = {"status": "pending", "progress": progress, "videoUrl": None, "thumbnailUrl": None, "error": None}
    assert answer.json() == expected
    RenderJob.objects.filter(pk=job_id).update(state=JobState.RUNNING, progress_pct=40)
    assert alice_api.get(f"/api/video/status/{job_id}").json()["progress"] == 0.4
    RenderJob.objects.filter(pk=job_id).update(state=JobState.FAILED, error="The speech service failed.")
    failed = alice_api.get(f"/api/video/status/{job_id}").json()
    assert failed["status"] == "error" and failed["error"] == "The speech service failed."
    assert bob_api.get(f"/api/video/status/{job_id}").status_code == 404
    assert alice_api.get("/api/video/status/not-a-job").status_code == 404


def test_a_quota_refusal_leaves_no_photos_behind(no_openai, alice_api, settings):
    settings.JOBS_PER_DAY = 0
    answer = generate(alice_api, [jpeg(), png()])
    assert 400 <= answer.status_code < 500 and answer.json()["code"], answer.json()
    assert not Upload.objects.exists() and not RenderJob.objects.exists()


def test_more_than_twenty_photos_is_a_400(no_openai, alice_api):
    answer = generate(alice_api, [jpeg(f"{n}.jpg") for n in range(21)])
    assert answer.status_code == 400 and answer.json()["code"] == "too_many_files"
    assert not Upload.objects.exists()
