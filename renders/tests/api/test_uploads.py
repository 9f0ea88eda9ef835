"""POST/GET/DELETE /api/v1/uploads…, upload ids in plans, and POST /api/v1/renders with `photos`."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from renders.models import RenderJob, Upload
from renders.pipeline import images as pipeline_images
from renders.tests.test_upload_records import image_bytes

pytestmark = pytest.mark.django_db


def picture(name: str = "photo.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(**kwargs).getvalue(), content_type="image/jpeg")


def upload(api, *files) -> dict:
    answer = api.post("/api/v1/uploads", {"file": list(files)}, format="multipart")
    assert answer.status_code == 201, answer.json()
    return answer.json()


def test_it_uploads_several_pictures_and_answers_their_ids(alice, alice_api):
    made = upload(alice_api, picture(width=40, height=20), picture("b.png", width=10, height=30, fmt="PNG"))
    assert [(item["width"], item["height"], item["format"]) for item in made] == [(40, 20, "jpeg"), (10, 30, "png")]
    assert all(item["id"].startswith("up_") and item["expires_at"] for item in made)
    assert set(made[0]) == {"id", "width", "height", "size_bytes", "format", "expires_at"}
    assert Upload.objects.filter(owner=alice).count() == 2
    assert alice_api.get(f"/api/v1/uploads/{made[0]['id']}").json() == made[0]


def test_it_refuses_what_is_not_an_image_and_stores_none_of_the_request(alice_api):
    fake = SimpleUploadedFile("x.jpg", b"%PDF-1.7 definitely not a jpeg", content_type="image/jpeg")
    answer = alice_api.post("/api/v1/uploads", {"file": [picture(), fake]}, format="multipart")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "not_an_image" and "file[1]" in body["errors"]
    assert "JPEG, PNG or WebP" in body["message"]
    assert not Upload.objects.exists()


def test_it_refuses_a_file_over_the_byte_limit_with_413(alice_api, settings):
    settings.MAX_UPLOAD_IMAGE_BYTES = 1024
    big = SimpleUploadedFile("big.png", image_bytes(300, 300, fmt="PNG").getvalue() + b"\0" * 2048)
    answer = alice_api.post("/api/v1/uploads", {"file": big}, format="multipart")
    assert answer.status_code == 413
    assert answer.json()["code"] == "upload_too_large" and "the limit is 1 KB" in answer.json()["message"]


def test_it_refuses_too_many_pixels(alice_api, monkeypatch):
    monkeypatch.setattr("renders.uploads.MAX_UPLOAD_PIXELS", 100 * 100)
    answer = alice_api.post("/api/v1/uploads", {"file": picture(width=200, height=100)}, format="multipart")
    assert answer.status_code == 400
    assert answer.json()["code"] == "too_many_pixels" and "200×100 pixels" in answer.json()["message"]
    assert pipeline_images.MAX_UPLOAD_PIXELS > 100 * 100  # only this module's limit was lowered


def test_it_refuses_more_than_twenty_files_and_none_at_all(alice_api):
    answer = alice_api.post("/api/v1/uploads", {"file": [picture() for _ in range(21)]}, format="multipart")
    assert answer.status_code == 400 and answer.json()["code"] == "too_many_files"
    assert not Upload.objects.exists()
    assert alice_api.post("/api/v1/uploads", {}, format="multipart").json()["errors"] == {
        "file": "Send the pictures as multipart form parts named `file`."
    }
    assert alice_api.post("/api/v1/uploads", {"file": "x"}, format="json").status_code == 415


def test_it_hides_and_protects_another_users_upload(alice_api, bob_api):
    made = upload(alice_api, picture())[0]
    assert bob_api.get(f"/api/v1/uploads/{made['id']}").status_code == 404
    assert bob_api.delete(f"/api/v1/uploads/{made['id']}").status_code == 404
    assert alice_api.get("/api/v1/uploads/up_nothing-here").json()["code"] == "not_found"
    stored = Upload.objects.get(pk=made["id"]).name
    assert alice_api.delete(f"/api/v1/uploads/{made['id']}").status_code == 204
    assert not Upload.objects.exists() and not default_storage.exists(stored)
    assert alice_api.get(f"/api/v1/uploads/{made['id']}").status_code == 404


def test_it_renders_a_plan_naming_an_upload_by_id(alice, alice_api, bob_api):
    made = upload(alice_api, picture())[0]
    plan = {"title": "My photo", "scenes": [{"image": made["id"], "narration": "Look.", "duration_sec": 3}]}
    answer = alice_api.post("/api/v1/renders", {"plan": plan}, format="json")
    assert answer.status_code == 201, answer.json()
    job = RenderJob.objects.get(pk=answer.json()["job_id"])
    assert job.plan["scenes"][0]["image"] == Upload.objects.get(pk=made["id"]).name
    assert Upload.objects.get(pk=made["id"]).used_at is not None
    assert alice_api.get(f"/api/v1/uploads/{made['id']}").json()["expires_at"] is None

    refused = bob_api.post("/api/v1/renders", {"plan": plan}, format="json")
    assert refused.status_code == 404
    assert refused.json()["code"] == "upload_not_found" and list(refused.json()["errors"]) == ["scenes[0].image"]


def test_it_starts_a_photo_video_in_one_call(alice, alice_api, no_openai):
    ids = [item["id"] for item in upload(alice_api, picture(), picture(), picture())]
    answer = alice_api.post(
        "/api/v1/renders",
        {"photos": ids, "title": "Temple fair", "description": "Lamps everywhere. Music at night.",
         "details": {"place": "Ujjain"}, "language": "en", "mode": "proxy", "aspect": "9:16"},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 201, answer.json()
    job = RenderJob.objects.get(pk=answer.json()["job_id"])
    assert job.step == "script" and job.plan["aspect"] == "9:16" and len(job.plan["scenes"]) == 3
    assert job.events.filter(step="script").first().message.startswith("Script: 3 photos narrated")
    assert Upload.objects.filter(used_at__isnull=True).count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"photos": [], "title": "T"}, "photos"),
        ({"photos": ["up_a"] * 21, "title": "T"}, "photos"),
        ({"photos": ["up_a"]}, "title"),
        ({"photos": ["up_a"], "title": "T", "duration_target": 60}, "duration_target"),
        ({"photos": ["up_a"], "title": "T", "style": "watercolor"}, "style"),
        ({"photos": ["up_a"], "topic": "Prahlad", "title": "T"}, "photos"),
        ({"topic": "Prahlad", "description": "x"}, "description"),
    ],
)
def test_it_refuses_a_bad_photo_request_with_400(alice_api, body, field):
    answer = alice_api.post("/api/v1/renders", body, format="json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()["errors"]


def test_it_answers_404_for_a_photo_that_is_not_the_callers(alice_api, bob_api):
    mine = upload(alice_api, picture())[0]["id"]
    theirs = upload(bob_api, picture())[0]["id"]
    answer = alice_api.post("/api/v1/renders", {"photos": [mine, theirs], "title": "T"}, format="json")
    assert answer.status_code == 404 and list(answer.json()["errors"]) == ["photos[1]"]
    assert not RenderJob.objects.exists()


def test_it_stores_exif_rotated_photos_upright(alice_api):
    made = upload(alice_api, SimpleUploadedFile("r.jpg", image_bytes(40, 20, orientation=8).getvalue()))[0]
    assert (made["width"], made["height"]) == (20, 40)
    with default_storage.open(Upload.objects.get(pk=made["id"]).name, "rb") as handle:
        assert Image.open(io.BytesIO(handle.read())).size == (20, 40)


def test_it_narrates_photos_with_the_chat_model_and_counts_its_cost(alice_api, openai_settings, openai_standin):
    ids = [item["id"] for item in upload(alice_api, picture(), picture())]
    answer = alice_api.post("/api/v1/renders", {"photos": ids, "title": "Fair", "description": "Lamps."}, format="json")
    assert answer.status_code == 201, answer.json()
    job = RenderJob.objects.get(pk=answer.json()["job_id"])
    assert [scene["narration"] for scene in job.plan["scenes"]] == ["This is photo 1.", "This is photo 2."]
    assert "the chat model, looking at the photos" in job.events.get(step="script").message
    assert job.cost_actual > 0 and len(openai_standin.images_seen) == 2


def test_it_falls_back_to_offline_narration_when_the_chat_model_answers_500(alice_api, openai_settings, openai_standin):
    ids = [item["id"] for item in upload(alice_api, picture())]
    openai_standin.fail("chat/completions", 500, times=5)
    answer = alice_api.post("/api/v1/renders", {"photos": ids, "title": "Fair", "description": "Lamps."}, format="json")
    assert answer.status_code == 201, answer.json()
    job = RenderJob.objects.get(pk=answer.json()["job_id"])
    assert job.plan["scenes"][0]["narration"] == "Fair. Lamps. Thank you for watching."
    note = job.events.get(step="script").message
    assert "could not narrate the photos" in note and "written offline instead" in note
