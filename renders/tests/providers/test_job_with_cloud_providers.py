"""A whole render job with cloud providers configured, all against local stand-ins.

Images: OpenAI keeps failing with 500 → the local illustrator paints, and the job's log says
why. Speech: ElevenLabs answers. A listed provider without a key is skipped with a log line.
The job's recorded cost is what ElevenLabs was paid for, in the job and in its summary.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import pytest

from conftest import tiny_plan_data
from renders.execution import execute_render_job
from renders.models import AssetKind, JobState, RenderJob
from renders.services import job_create
from tests.standins.elevenlabs_server import API_KEY as ELEVENLABS_KEY
from tests.standins.openai_server import API_KEY as OPENAI_KEY
from tests.standins.pexels_server import API_KEY as PEXELS_KEY

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)


def test_it_renders_with_cloud_providers_falls_back_and_records_the_cost(
    alice, settings, openai_standin, elevenlabs_standin
):
    settings.IMAGE_PROVIDERS = ["pexels", "openai", "local"]
    settings.SPEECH_PROVIDERS = ["elevenlabs", "espeak"]
    settings.PEXELS_API_KEY = ""
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = OPENAI_KEY, openai_standin.base_url
    settings.ELEVENLABS_API_KEY, settings.ELEVENLABS_BASE_URL = ELEVENLABS_KEY, elevenlabs_standin.url
    settings.PROVIDER_MAX_RETRIES, settings.PROVIDER_BACKOFF_SEC = 1, 0.001
    openai_standin.fail("/images/generations", 500, times=100)

    job = job_create(owner=alice, plan_data=tiny_plan_data())
    assert job.cost_estimate > 0  # estimated with the dearest provider that has a key
    assert execute_render_job(str(job.pk)) == JobState.SUCCEEDED
    job.refresh_from_db()

    messages = list(job.events.values_list("message", flat=True))
    assert "IMAGE_PROVIDERS lists pexels, but PEXELS_API_KEY is not set: skipping pexels" in messages
    fallbacks = [m for m in messages if "openai failed (OpenAI images had a server error (HTTP 500)" in m]
    assert len(fallbacks) == 2 and all(m.endswith("falling back to local") for m in fallbacks)
    assert len(openai_standin.calls("/images/generations")) == 4  # 2 scenes × (1 try + 1 retry)

    spoken = [call.json()["text"] for call in elevenlabs_standin.calls("/with-timestamps")]
    assert spoken and all(
        call.query["output_format"] == "pcm_24000" for call in elevenlabs_standin.calls("/with-timestamps")
    )
    expected = (Decimal(sum(len(text) for text in spoken)) / 1000 * Decimal("0.30")).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )
    assert job.cost_actual == expected > 0

    with job.assets.get(kind=AssetKind.SUMMARY).file.open("rb") as handle:
        summary = json.loads(handle.read())
    assert summary["speech_provider"] == "elevenlabs"
    assert summary["cost"]["total"] == float(expected)
    assert summary["cost"]["by_provider"]["images:local"]["calls"] == 2
    assert "images:openai" not in summary["cost"]["by_provider"]  # failed calls are not billed


def test_it_adds_a_failed_attempts_spend_to_the_job(alice, settings, elevenlabs_standin, monkeypatch):
    settings.SPEECH_PROVIDERS = ["elevenlabs", "espeak"]
    settings.ELEVENLABS_API_KEY, settings.ELEVENLABS_BASE_URL = ELEVENLABS_KEY, elevenlabs_standin.url

    def compose_fails(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("renders.pipeline.compose.compose_video", compose_fails)
    job = job_create(owner=alice, plan_data=tiny_plan_data())
    assert execute_render_job(str(job.pk)) == JobState.FAILED
    assert RenderJob.objects.get(pk=job.pk).cost_actual > 0  # the narration was paid for before compose failed


def test_it_renders_a_stock_footage_scene_and_credits_it(alice, settings, pexels_standin):
    settings.PEXELS_API_KEY, settings.PEXELS_BASE_URL = PEXELS_KEY, pexels_standin.url
    plan = tiny_plan_data(music="none")
    plan["scenes"][0]["stock_footage"] = True
    job = job_create(owner=alice, plan_data=plan)
    assert execute_render_job(str(job.pk)) == JobState.SUCCEEDED
    job.refresh_from_db()

    messages = list(job.events.values_list("message", flat=True))
    assert "scene 1 image: stock footage from pexels" in messages
    with job.assets.get(kind=AssetKind.SUMMARY).file.open("rb") as handle:
        summary = json.loads(handle.read())
    assert summary["footage"] == {
        "1": {
            "provider": "pexels",
            "video_id": "1000",
            "author": "Stand-in",
            "page_url": "https://www.pexels.com/video/1000/",
        }
    }
    assert summary["cost"]["by_provider"]["footage:pexels"]["calls"] == 1
    assert job.cost_actual == 0  # Pexels is free


def test_a_job_with_a_shut_down_image_model_says_why_it_was_painted_offline(alice, settings, openai_standin):
    settings.IMAGE_PROVIDERS = ["openai", "local"]
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = OPENAI_KEY, openai_standin.base_url
    settings.OPENAI_IMAGE_MODEL = "gpt-image-1"  # the old default, shut down on 2026-10-23
    job = job_create(owner=alice, plan_data=tiny_plan_data(music="none"))
    assert execute_render_job(str(job.pk)) == JobState.SUCCEEDED
    messages = list(job.events.values_list("message", flat=True))
    refused = [m for m in messages if "OpenAI images refused the model: gpt-image-1 was shut down on 2026-10-23" in m]
    assert len(refused) == 2 and all(m.endswith("falling back to local") for m in refused)
    assert len(openai_standin.calls("/images/generations")) == 2  # a 404 is not retried
