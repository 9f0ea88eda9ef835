"""Photos sent to the API become a finished video, offline, in one call (script step first)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from accounts.services import api_key_create
from renders.execution import execute_render_job
from renders.models import AssetKind, JobState, RenderJob, Upload
from renders.views import step_timeline

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)


def photo(width: int, height: int, color: tuple[int, int, int]) -> SimpleUploadedFile:
    image = Image.new("RGB", (width, height), color)
    image.paste((250, 250, 250), (width // 3, height // 3, 2 * width // 3, 2 * height // 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_it_renders_photos_and_a_description_offline(alice, settings):
    settings.OPENAI_API_KEY = ""
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=api_key_create(user=alice, name="alice's integration")[1])
    made = api.post(
        "/api/v1/uploads", {"file": [photo(320, 240, (180, 60, 30)), photo(240, 320, (30, 90, 160))]},
        format="multipart",
    )  # fmt: skip
    assert made.status_code == 201, made.json()
    answer = api.post(
        "/api/v1/renders",
        {"photos": [item["id"] for item in made.json()], "title": "Diyas", "description": "Clay lamps. Hand painted.",
         "details": {"price": "50 rupees"}, "mode": "proxy", "resolution": "720p"},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 201, answer.json()
    job_id = answer.json()["job_id"]

    assert execute_render_job(job_id) == JobState.SUCCEEDED
    job = RenderJob.objects.get(pk=job_id)
    assert [step.name for step in step_timeline(job)][0] == "script"
    assert job.assets.filter(kind=AssetKind.VIDEO).exists()
    assert [scene["narration"] for scene in job.plan["scenes"]] == [
        "Diyas. Clay lamps. Hand painted.",
        "Price: 50 rupees. Thank you for watching.",
    ]
    assert job.duration_sec and job.duration_sec >= 6  # two photos, at least 3 s each
    assert Upload.objects.filter(used_at__isnull=False).count() == 2
