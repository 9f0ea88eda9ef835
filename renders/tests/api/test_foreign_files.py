"""No plan or draft reaches another creator's files or the server's: every path trick, both storages.

alice tries to name bob's upload and bob's job file through POST /renders and
POST /scripts/draft; each try is a 400 naming the field, and nothing is created or queued.
"""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from conftest import tiny_plan_data
from renders.models import AssetKind, JobAsset, RenderJob
from renders.tests.api.conftest import make_job
from renders.tests.path_tricks import foreign_file_names

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, settings) -> object:
    """Media on local disk, then on the S3 stand-in (a backend that normalises keys itself)."""
    settings.RATE_LIMIT_PER_MIN = 10_000  # every trick is one create; the throttle is not under test
    if request.param == "s3":
        return request.getfixturevalue("s3_storage")
    return default_storage


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def tricks(storage, alice, bob) -> list[str]:
    their_upload = default_storage.save(f"uploads/{bob.pk}/{'c' * 32}.png", ContentFile(png_bytes()))
    their_job = make_job(bob)
    asset = JobAsset(job=their_job, kind=AssetKind.SCENE_IMAGE, size_bytes=3)
    asset.file.save("scene_00.jpg", ContentFile(b"jpg"), save=False)
    asset.save()
    assert default_storage.exists(their_upload) and default_storage.exists(asset.file.name)
    return foreign_file_names(
        me=alice.pk, their_upload=their_upload, their_job_file=asset.file.name, media_root=settings.MEDIA_ROOT
    )


def test_it_refuses_every_way_of_naming_someone_elses_file_as_a_scene_image(alice, alice_api, tricks):
    accepted = {}
    for name in tricks:
        plan = tiny_plan_data()
        plan["scenes"][1]["image"] = name
        answer = alice_api.post("/api/v1/renders", {"plan": plan}, format="json")
        body = answer.json()
        # The plan check names `scenes[1].image`; the JSON parser, which refuses a NUL before any
        # plan check runs, names the same field from the body's root (`plan.scenes[1].image`).
        named = [field for field in body.get("errors", {}) if field in ("scenes[1].image", "plan.scenes[1].image")]
        if answer.status_code != 400 or not named:
            accepted[name] = (answer.status_code, body)
        elif str(settings.MEDIA_ROOT) in answer.content.decode():
            accepted[name] = ("leaks the media root", body)
    assert accepted == {}
    assert not RenderJob.objects.filter(owner=alice).exists()


def test_it_says_where_pictures_come_from_when_the_image_is_not_an_upload(alice, alice_api):
    plan = tiny_plan_data()
    plan["scenes"][0]["image"] = "/srv/pictures/lamp.png"
    answer = alice_api.post("/api/v1/renders", {"plan": plan}, format="json")
    message = answer.json()["errors"]["scenes[0].image"]
    assert answer.status_code == 400
    assert f"uploads/{alice.pk}/" in message and "New video page" in message and "uploads API" not in message


def test_it_accepts_my_own_upload_and_refuses_it_once_it_is_gone(alice, alice_api, storage):
    mine = default_storage.save(f"uploads/{alice.pk}/{'a' * 32}.png", ContentFile(png_bytes()))
    plan = tiny_plan_data()
    plan["scenes"][0]["image"] = mine
    answer = alice_api.post("/api/v1/renders", {"plan": plan}, format="json")
    assert answer.status_code == 201, answer.json()
    assert RenderJob.objects.get(pk=answer.json()["job_id"]).plan["scenes"][0]["image"] == mine
    default_storage.delete(mine)
    answer = alice_api.post("/api/v1/renders", {"plan": plan}, format="json")
    assert answer.status_code == 400
    assert "no longer stored" in answer.json()["errors"]["scenes[0].image"]
    assert RenderJob.objects.filter(owner=alice).count() == 1


def test_it_refuses_every_way_of_naming_someone_elses_file_as_a_draft_picture(alice_api, tricks):
    accepted = {}
    for name in tricks:
        answer = alice_api.post(
            "/api/v1/scripts/draft",
            {"story": "Prahlad prayed. The fire did not burn him.", "pictures": [name]},
            format="json",
        )
        body = answer.json()
        # The serializer itself refuses some (NUL, over 300 characters), as `pictures.0`.
        if answer.status_code != 400 or not {"pictures[0]", "pictures.0"} & set(body.get("errors", {})):
            accepted[name] = (answer.status_code, body)
    assert accepted == {}
