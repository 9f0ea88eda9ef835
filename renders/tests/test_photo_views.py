"""The studio's photo flow: photos and music → title and description → review the scenes → render."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from renders.models import RenderJob, Upload
from renders.photo_flow import SESSION_KEY
from renders.pipeline import plan as plan_schema
from renders.uploads import create_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_enqueue(committed_renders) -> list[str]:
    return committed_renders


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def image_bytes(size=(64, 48), image_format="PNG", color=(200, 120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, image_format)
    return buffer.getvalue()


def photo(name="photo.png", image_format="PNG", **kwargs) -> SimpleUploadedFile:
    content_types = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
    return SimpleUploadedFile(name, image_bytes(image_format=image_format, **kwargs), content_types[image_format])


def start(client) -> str:
    response = client.get(reverse("renders:photo_start"))
    assert response.status_code == 302
    match = re.fullmatch(r"/videos/photos/([^/]+)/", response["Location"])
    assert match is not None
    return match.group(1)


def draft_of(client, flow_id: str) -> dict:
    return client.session[SESSION_KEY][flow_id]


def url(view: str, flow_id: str) -> str:
    return reverse(f"renders:{view}", kwargs={"flow_id": flow_id})


def add_photos(client, flow_id: str, files: list, **extra) -> object:
    data = {"action": "add", "music": "tanpura", "files": files, **extra}
    return client.post(url("photo_photos", flow_id), data)


def stored_names(upload_ids: list[str]) -> list[str]:
    names = dict(Upload.objects.filter(pk__in=upload_ids).values_list("pk", "name"))
    return [names[upload_id] for upload_id in upload_ids]


DETAILS = {
    "title": "Hand-painted brass diya",
    "description": "Each diya is painted by hand in Moradabad. The brass is polished to a warm glow. "
    "It makes a festival table shine.",
    "price": "₹450",
    "place": "Moradabad",
    "language": "en",
    "voice": "female",
    "aspect": "9:16",
    "mode": "proxy",
}


def flow_at_review(client, *, photos: int = 3) -> tuple[str, list[str]]:
    flow_id = start(client)
    add_photos(client, flow_id, [photo(f"p{i}.png", color=(40 * i, 90, 160)) for i in range(photos)])
    response = client.post(url("photo_details", flow_id), DETAILS)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == url("photo_review", flow_id)
    return flow_id, draft_of(client, flow_id)["photos"]


# ---- start and step 1 ----------------------------------------------------------------------------


def test_it_asks_to_log_in(client):
    response = client.get(reverse("renders:photo_start"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_starts_a_flow_with_an_empty_photo_step(alice_client):
    flow_id = start(alice_client)
    response = alice_client.get(url("photo_photos", flow_id))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="file"' in page and 'name="files"' in page and "multiple" in page
    assert 'enctype="multipart/form-data"' in page  # works as a plain form without JavaScript
    assert 'name="music"' in page and "js/photo_upload." in page  # hashed on the production settings
    assert draft_of(alice_client, flow_id)["photos"] == []


def test_it_is_404_for_an_unknown_flow(alice_client):
    for view in ("photo_photos", "photo_details", "photo_review"):
        assert alice_client.get(url(view, "nosuchflow")).status_code == 404


def test_it_keeps_another_creators_flow_out_of_reach(alice_client, client, bob):
    flow_id = start(alice_client)
    client.force_login(bob)  # another session
    assert client.get(url("photo_photos", flow_id)).status_code == 404


def test_it_uploads_jpeg_png_and_webp_and_shows_thumbnails(alice_client, alice):
    flow_id = start(alice_client)
    files = [photo("a.png"), photo("b.jpg", "JPEG"), photo("c.webp", "WEBP")]
    response = add_photos(alice_client, flow_id, files, music="bells")
    assert response.status_code == 302 and response["Location"] == url("photo_photos", flow_id)
    draft = draft_of(alice_client, flow_id)
    uploads = [Upload.objects.get(pk=upload_id) for upload_id in draft["photos"]]
    assert [upload.format for upload in uploads] == ["png", "jpeg", "webp"]
    assert all(upload.owner == alice for upload in uploads) and draft["music"] == "bells"
    page = alice_client.get(url("photo_photos", flow_id)).content.decode()
    for upload in uploads:
        assert reverse("renders:photo_file", args=[upload.id]) in page
        assert f'name="photo" value="{upload.id}"' in page
    thumbnail = alice_client.get(reverse("renders:photo_file", args=[uploads[0].id]))
    assert thumbnail.status_code == 200 and b"".join(thumbnail.streaming_content).startswith(b"\x89PNG")
    assert '<option value="bells" selected>' in page


def test_it_refuses_what_is_not_a_picture_or_too_big_and_keeps_the_rest(alice_client, settings, monkeypatch):
    settings.MAX_UPLOAD_IMAGE_BYTES = 4096
    monkeypatch.setattr("renders.uploads.MAX_UPLOAD_PIXELS", 200 * 200)
    flow_id = start(alice_client)
    add_photos(alice_client, flow_id, [photo("first.png")])
    files = [
        SimpleUploadedFile("notes.pdf", b"%PDF-1.4 not a picture", "image/png"),
        SimpleUploadedFile("huge.png", b"\x89PNG" + b"0" * 5000, "image/png"),
        photo("wide.png", size=(400, 300)),  # 120,000 pixels
        photo("second.png", color=(10, 200, 10)),
    ]
    response = add_photos(alice_client, flow_id, files)
    assert response.status_code == 400
    page = response.content.decode()
    assert "notes.pdf: This file is not a readable image" in page
    assert "huge.png: The image is 5 KB; the limit is 4 KB" in page
    assert "wide.png: The image is 400×300 pixels" in page
    assert len(draft_of(alice_client, flow_id)["photos"]) == 2  # the first and the good new one
    assert page.count('name="photo" value="up_') == 2


def test_it_takes_at_most_the_photo_limit(alice_client, settings):
    settings.MAX_SCENES = 3
    flow_id = start(alice_client)
    response = add_photos(alice_client, flow_id, [photo(f"p{i}.png") for i in range(4)])
    assert response.status_code == 400
    assert "p3.png: a video takes at most 3 photos" in response.content.decode()
    assert len(draft_of(alice_client, flow_id)["photos"]) == 3
    page = alice_client.get(url("photo_photos", flow_id)).content.decode()
    assert 'name="files"' not in page and "the most one video takes" in page


def test_it_moves_and_removes_photos(alice_client):
    flow_id = start(alice_client)
    add_photos(alice_client, flow_id, [photo(f"p{i}.png") for i in range(3)])
    a, b, c = draft_of(alice_client, flow_id)["photos"]
    post = {"photo": [a, b, c], "music": "tanpura"}
    alice_client.post(url("photo_photos", flow_id), {**post, "action": "down:0"})
    assert draft_of(alice_client, flow_id)["photos"] == [b, a, c]
    alice_client.post(url("photo_photos", flow_id), {"photo": [b, a, c], "music": "tanpura", "action": "up:2"})
    assert draft_of(alice_client, flow_id)["photos"] == [b, c, a]
    alice_client.post(url("photo_photos", flow_id), {"photo": [b, c, a], "music": "tanpura", "action": "remove:1"})
    assert draft_of(alice_client, flow_id)["photos"] == [b, a]
    # Dragged into a new order on the page: the posted order is saved.
    alice_client.post(url("photo_photos", flow_id), {"photo": [a, b], "music": "tanpura", "action": "order"})
    assert draft_of(alice_client, flow_id)["photos"] == [a, b]
    # The same photo twice counts once.
    alice_client.post(url("photo_photos", flow_id), {"photo": [a, b, a], "music": "tanpura", "action": "order"})
    assert draft_of(alice_client, flow_id)["photos"] == [a, b]
    # A position that does not exist changes nothing.
    alice_client.post(url("photo_photos", flow_id), {"photo": [a, b], "music": "tanpura", "action": "remove:7"})
    assert draft_of(alice_client, flow_id)["photos"] == [a, b]


def test_it_refuses_another_creators_upload_id(alice_client, bob):
    flow_id = start(alice_client)
    add_photos(alice_client, flow_id, [photo()])
    mine = draft_of(alice_client, flow_id)["photos"]
    theirs = create_upload(owner=bob, upload=io.BytesIO(image_bytes()), size=len(image_bytes())).id
    response = alice_client.post(
        url("photo_photos", flow_id), {"photo": [*mine, theirs], "music": "tanpura", "action": "next"}
    )
    assert response.status_code == 404
    assert draft_of(alice_client, flow_id)["photos"] == mine
    assert alice_client.get(reverse("renders:photo_file", args=[theirs])).status_code == 404
    assert alice_client.get(reverse("renders:photo_file", args=["up_nosuchupload"])).status_code == 404


def test_it_needs_a_photo_before_the_next_step(alice_client):
    flow_id = start(alice_client)
    response = alice_client.post(url("photo_photos", flow_id), {"music": "tanpura", "action": "next"})
    assert response.status_code == 400
    assert "Add at least one photo" in response.content.decode()
    response = alice_client.get(url("photo_details", flow_id))
    assert response.status_code == 302 and response["Location"] == url("photo_photos", flow_id)


def test_it_moves_on_to_the_description(alice_client):
    flow_id = start(alice_client)
    add_photos(alice_client, flow_id, [photo()])
    photos = draft_of(alice_client, flow_id)["photos"]
    response = alice_client.post(url("photo_photos", flow_id), {"photo": photos, "music": "none", "action": "next"})
    assert response.status_code == 302 and response["Location"] == url("photo_details", flow_id)
    assert draft_of(alice_client, flow_id)["music"] == "none"


def test_it_swaps_only_the_panel_with_htmx(alice_client):
    flow_id = start(alice_client)
    headers = {"HX-Request": "true"}
    response = alice_client.post(
        url("photo_photos", flow_id),
        {"action": "add", "music": "tanpura", "files": [photo(), SimpleUploadedFile("x.txt", b"text", "text/plain")]},
        headers=headers,
    )
    page = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx: the refusal shows in the panel
    assert page.lstrip().startswith('<form id="photo-panel"') and "<html" not in page
    assert "x.txt: This file is not a readable image" in page and page.count('name="photo" value="up_') == 1
    photos = draft_of(alice_client, flow_id)["photos"]
    response = alice_client.post(
        url("photo_photos", flow_id), {"photo": photos, "music": "tanpura", "action": "next"}, headers=headers
    )
    assert response.status_code == 204 and response["HX-Redirect"] == url("photo_details", flow_id)


# ---- step 2 ----------------------------------------------------------------------------------------


def test_it_keeps_everything_typed_when_the_description_has_errors(alice_client):
    flow_id = start(alice_client)
    add_photos(alice_client, flow_id, [photo()])
    typed = {**DETAILS, "title": "", "description": "Polished brass.", "price": "₹450", "aspect": "1:1"}
    response = alice_client.post(url("photo_details", flow_id), typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page and "Polished brass." in page and 'value="₹450"' in page
    # Back to the photos and forward again: still there.
    alice_client.get(url("photo_photos", flow_id))
    page = alice_client.get(url("photo_details", flow_id)).content.decode()
    assert "Polished brass." in page and 'value="₹450"' in page and '<option value="1:1" selected>' in page


def test_it_refuses_a_description_over_the_limit(alice_client):
    flow_id = start(alice_client)
    add_photos(alice_client, flow_id, [photo()])
    response = alice_client.post(url("photo_details", flow_id), {**DETAILS, "description": "x" * 2001})
    assert response.status_code == 400 and "at most 2000 characters" in response.content.decode()


def test_it_drafts_one_scene_per_photo_in_order(alice_client):
    flow_id, photos = flow_at_review(alice_client, photos=3)
    plan = draft_of(alice_client, flow_id)["plan"]
    assert len(plan["scenes"]) == 3
    assert [scene["image"] for scene in plan["scenes"]] == stored_names(photos)
    assert plan["title"] == DETAILS["title"] and plan["aspect"] == "9:16" and plan["mode"] == "proxy"
    assert plan["music"] == "tanpura"
    spoken = " ".join(scene["narration"] for scene in plan["scenes"])
    assert "450" in spoken and "Moradabad" in spoken


# ---- step 3 ----------------------------------------------------------------------------------------


def test_it_shows_each_scene_with_its_photo(alice_client):
    flow_id, photos = flow_at_review(alice_client, photos=2)
    page = alice_client.get(url("photo_review", flow_id)).content.decode()
    plan = draft_of(alice_client, flow_id)["plan"]
    for index, upload_id in enumerate(photos):
        assert reverse("renders:photo_file", args=[upload_id]) in page
        assert f'name="narration-{index}"' in page
    assert plan["scenes"][0]["narration"] in page.replace("&#x27;", "'")


def test_it_renders_with_the_edited_narration(alice_client, alice, _no_enqueue, django_capture_on_commit_callbacks):
    flow_id, photos = flow_at_review(alice_client, photos=2)
    plan = draft_of(alice_client, flow_id)["plan"]
    edited = {"narration-0": "Our brass diya, painted by hand.", "narration-1": plan["scenes"][1]["narration"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url("photo_review", flow_id), edited)
    job = RenderJob.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == reverse("renders:job_status", args=[job.pk])
    assert job.plan["scenes"][0]["narration"] == "Our brass diya, painted by hand."
    assert len(job.plan["scenes"]) == 2 and _no_enqueue == [str(job.pk)]
    assert all(upload.used_at for upload in Upload.objects.filter(pk__in=photos))  # kept past expiry
    assert flow_id not in alice_client.session[SESSION_KEY]  # the flow is done
    assert alice_client.get(url("photo_review", flow_id)).status_code == 404


def test_it_keeps_edits_when_a_narration_is_too_long(alice_client, alice):
    flow_id, _ = flow_at_review(alice_client, photos=2)
    too_long = "word " * (plan_schema.MAX_NARRATION_CHARS // 5 + 10)
    response = alice_client.post(url("photo_review", flow_id), {"narration-0": "Kept edit.", "narration-1": too_long})
    assert response.status_code == 400
    page = response.content.decode()
    assert f"At most {plan_schema.MAX_NARRATION_CHARS} characters" in page and "Kept edit." in page
    assert not RenderJob.objects.filter(owner=alice).exists()
    assert "Kept edit." in alice_client.get(url("photo_review", flow_id)).content.decode()


def test_it_keeps_narration_edits_when_nothing_changed_on_the_way_back(alice_client):
    flow_id, photos = flow_at_review(alice_client, photos=2)
    scene_count = len(draft_of(alice_client, flow_id)["plan"]["scenes"])
    narrations = {f"narration-{index}": f"Edited {index}." for index in range(scene_count)}
    narrations["narration-0"] = "x" * (plan_schema.MAX_NARRATION_CHARS + 1)  # refused, but saved
    alice_client.post(url("photo_review", flow_id), narrations)
    alice_client.get(url("photo_details", flow_id))
    response = alice_client.post(url("photo_details", flow_id), DETAILS)  # the same details again
    assert response["Location"] == url("photo_review", flow_id)
    assert draft_of(alice_client, flow_id)["plan"]["scenes"][1]["narration"] == "Edited 1."
    # Another photo order makes the drafted scenes stale: the review sends the creator back.
    alice_client.post(url("photo_photos", flow_id), {"photo": photos[::-1], "music": "tanpura", "action": "order"})
    response = alice_client.get(url("photo_review", flow_id))
    assert response.status_code == 302 and response["Location"] == url("photo_details", flow_id)
    alice_client.post(url("photo_details", flow_id), DETAILS)
    plan = draft_of(alice_client, flow_id)["plan"]
    assert [scene["image"] for scene in plan["scenes"]] == stored_names(photos[::-1])


def test_it_says_when_a_photo_expired_before_drafting(alice_client):
    flow_id = start(alice_client)
    add_photos(alice_client, flow_id, [photo(), photo("b.png")])
    first = draft_of(alice_client, flow_id)["photos"][0]
    Upload.objects.filter(pk=first).delete()
    response = alice_client.post(url("photo_details", flow_id), DETAILS)
    assert response.status_code == 400 and "A photo expired" in response.content.decode()
    page = alice_client.get(url("photo_photos", flow_id)).content.decode()
    assert (
        "A photo you added earlier expired unused and was removed" in page
        and len(draft_of(alice_client, flow_id)["photos"]) == 1
    )


def test_the_create_page_and_my_videos_link_to_the_flow(alice_client):
    start_url = reverse("renders:photo_start")
    assert start_url in alice_client.get(reverse("renders:create")).content.decode()
    assert start_url in alice_client.get(reverse("renders:dashboard")).content.decode()


def test_it_keeps_the_edits_when_renders_are_rate_limited(alice_client, alice, settings):
    settings.RATE_LIMIT_PER_MIN = 1
    first, _ = flow_at_review(alice_client, photos=1)
    assert alice_client.post(url("photo_review", first), {}).status_code == 302
    second, _ = flow_at_review(alice_client, photos=1)
    response = alice_client.post(url("photo_review", second), {"narration-0": "Kept while waiting."})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "RATE_LIMIT_PER_MIN" in response.content.decode()
    assert RenderJob.objects.filter(owner=alice).count() == 1
    assert draft_of(alice_client, second)["plan"]["scenes"][0]["narration"] == "Kept while waiting."
