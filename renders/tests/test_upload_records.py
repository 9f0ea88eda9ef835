"""renders.uploads: Upload records with opaque ids (create_upload, get_own_upload, resolving ids in plans)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from renders.models import RenderJob, Upload
from renders.pipeline.plan import PlanError
from renders.services import job_create, validate_plan
from renders.uploads import UploadNotFound, UploadRejected, create_upload, get_own_upload, is_own_upload

pytestmark = pytest.mark.django_db


def image_bytes(width: int = 40, height: int = 20, fmt: str = "JPEG", orientation: int | None = None) -> io.BytesIO:
    image = Image.new("RGB", (width, height), (200, 100, 50))
    image.paste((10, 10, 10), (0, 0, width // 4, height))  # a dark band on the left, to see it turn
    buffer = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(buffer, fmt, exif=exif)
    else:
        image.save(buffer, fmt)
    buffer.seek(0)
    return buffer


def test_it_stores_an_upload_with_an_opaque_id_and_its_dimensions(alice):
    data = image_bytes(fmt="PNG")
    upload = create_upload(owner=alice, upload=data, size=len(data.getvalue()))
    assert upload.id.startswith("up_") and len(upload.id) == 25
    assert (upload.width, upload.height, upload.format) == (40, 20, "png")
    assert is_own_upload(owner=alice, name=upload.name) and default_storage.exists(upload.name)
    assert upload.size_bytes == default_storage.size(upload.name)
    assert upload.used_at is None
    assert timedelta(hours=23) < upload.expires_at - timezone.now() <= timedelta(hours=24)


def test_it_turns_a_sideways_photo_upright_by_its_exif_orientation(alice):
    data = image_bytes(40, 20, orientation=6)  # 6: the camera was turned; view rotated 90° clockwise
    upload = create_upload(owner=alice, upload=data, size=len(data.getvalue()))
    assert (upload.width, upload.height) == (20, 40)
    with default_storage.open(upload.name, "rb") as handle, Image.open(handle) as stored:
        assert stored.size == (20, 40)
        assert stored.getexif().get(0x0112, 1) == 1
        assert stored.convert("RGB").getpixel((10, 2))[0] < 60  # the dark band is now on top


def test_it_keeps_an_upright_photo_byte_for_byte(alice):
    data = image_bytes(orientation=1)
    upload = create_upload(owner=alice, upload=data, size=len(data.getvalue()))
    with default_storage.open(upload.name, "rb") as handle:
        assert handle.read() == data.getvalue()


def test_it_refuses_what_is_not_an_image(alice):
    with pytest.raises(UploadRejected, match="not a readable image"):
        create_upload(owner=alice, upload=io.BytesIO(b"%PDF-1.7 not a picture"), size=22)
    assert not Upload.objects.exists()


def test_it_finds_only_the_owners_live_uploads(alice, bob):
    data = image_bytes()
    upload = create_upload(owner=alice, upload=data, size=len(data.getvalue()))
    assert get_own_upload(owner=alice, upload_id=upload.id) == upload
    for owner, upload_id in [(bob, upload.id), (alice, "up_" + "x" * 22), (alice, upload.name), (alice, None)]:
        with pytest.raises(Upload.DoesNotExist):
            get_own_upload(owner=owner, upload_id=upload_id)
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Upload.DoesNotExist):
        get_own_upload(owner=alice, upload_id=upload.id)
    Upload.objects.filter(pk=upload.pk).update(used_at=timezone.now())  # used: kept past its expiry
    assert get_own_upload(owner=alice, upload_id=upload.id) == upload


def test_it_resolves_an_upload_id_in_a_plan_to_its_storage_name(alice, bob):
    data = image_bytes()
    upload = create_upload(owner=alice, upload=data, size=len(data.getvalue()))
    plan_data = {"title": "Photos", "scenes": [{"image": upload.id, "narration": "Hello.", "duration_sec": 3}]}
    assert validate_plan(plan_data=plan_data, owner=alice).scenes[0].image == upload.name
    with pytest.raises(UploadNotFound) as refused:
        validate_plan(plan_data=plan_data, owner=bob)
    assert refused.value.field == "scenes[0].image"


def test_an_unknown_upload_id_is_a_plan_error_that_forms_can_show(alice, bob, monkeypatch):
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)
    data = image_bytes()
    theirs = create_upload(owner=bob, upload=data, size=len(data.getvalue()))
    plan_data = {"title": "T", "scenes": [{"image": theirs.id, "narration": "Hi.", "duration_sec": 3}]}
    with pytest.raises(PlanError) as refused:
        job_create(owner=alice, plan_data=plan_data)
    assert list(refused.value.errors) == ["scenes[0].image"]
    assert "there is no upload" in refused.value.errors["scenes[0].image"]
    assert theirs.id in refused.value.errors["scenes[0].image"]  # the id the caller sent, nothing of bob's
    assert not RenderJob.objects.exists() and Upload.objects.get(pk=theirs.pk).used_at is None
