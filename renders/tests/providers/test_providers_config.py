"""Chains built from settings: keys decide, local ends every chain, costs are metered and recorded."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from conftest import tiny_plan_data
from renders.models import RenderJob
from renders.pipeline.providers.base import characters_price
from renders.providers_config import CostMeter, build_providers, record_actual_cost
from renders.services import job_create
from tests.standins.elevenlabs_server import API_KEY as ELEVENLABS_KEY
from tests.standins.openai_server import API_KEY as OPENAI_KEY
from tests.standins.pexels_server import API_KEY as PEXELS_KEY


@pytest.fixture
def cloud_settings(settings, openai_standin, elevenlabs_standin):
    settings.OPENAI_API_KEY = OPENAI_KEY
    settings.OPENAI_BASE_URL = openai_standin.base_url
    settings.ELEVENLABS_API_KEY = ELEVENLABS_KEY
    settings.ELEVENLABS_BASE_URL = elevenlabs_standin.url
    settings.PEXELS_API_KEY = ""
    settings.PROVIDER_BACKOFF_SEC = 0.001
    settings.PROVIDER_MAX_RETRIES = 1
    return settings


def _names(chain) -> list[str]:
    return [provider.name for provider in chain]


def test_it_is_local_only_by_default(settings):
    providers = build_providers()
    assert _names(providers.images) == ["local"] and _names(providers.speech) == ["espeak"]
    assert providers.notes == []


def test_it_skips_a_listed_provider_without_its_key_and_says_so(settings, caplog):
    settings.IMAGE_PROVIDERS = ["pexels", "local"]
    settings.SPEECH_PROVIDERS = ["elevenlabs", "openai", "espeak"]
    settings.PEXELS_API_KEY = settings.ELEVENLABS_API_KEY = settings.OPENAI_API_KEY = ""
    logged = []
    providers = build_providers(log=lambda level, message: logged.append((level, message)))
    assert _names(providers.images) == ["local"] and _names(providers.speech) == ["espeak"]
    assert providers.notes == [
        "IMAGE_PROVIDERS lists pexels, but PEXELS_API_KEY is not set: skipping pexels",
        "SPEECH_PROVIDERS lists elevenlabs, but ELEVENLABS_API_KEY is not set: skipping elevenlabs",
        "SPEECH_PROVIDERS lists openai, but OPENAI_API_KEY is not set: skipping openai",
    ]
    assert logged == [("warning", note) for note in providers.notes]
    assert "skipping pexels" in caplog.text


def test_it_chains_configured_providers_in_order_ending_locally(cloud_settings):
    cloud_settings.IMAGE_PROVIDERS = ["openai"]  # local is appended even when not listed
    cloud_settings.SPEECH_PROVIDERS = ["elevenlabs", "openai", "espeak"]
    providers = build_providers()
    assert _names(providers.images) == ["openai", "local"]
    assert _names(providers.speech) == ["elevenlabs", "openai", "espeak"]


def test_it_refuses_an_unknown_provider_name(settings):
    settings.SPEECH_PROVIDERS = ["elevenlabs", "polly"]
    with pytest.raises(ImproperlyConfigured, match=r"SPEECH_PROVIDERS names unknown providers \['polly'\]"):
        build_providers()


@pytest.mark.django_db
def test_it_meters_cost_and_adds_it_to_the_job_once(cloud_settings, alice, tmp_path, elevenlabs_standin):
    cloud_settings.SPEECH_PROVIDERS = ["elevenlabs", "espeak"]
    providers = build_providers()
    text = "Prahlad prayed by the river."
    providers.speech[0].synthesize(text, "en", "female")
    providers.speech[0].synthesize(text, "en", "female")
    providers.speech[1].synthesize(text, "en", "female")  # espeak: free, still counted as a call
    expected = Decimal(str(round(2 * len(text) / 1000 * 0.30, 4)))
    assert providers.meter.total == expected

    job = job_create(owner=alice, plan_data=tiny_plan_data())
    summary = tmp_path / "job_summary.json"
    summary.write_text(json.dumps({"encoder": "libx264"}))
    assert record_actual_cost(str(job.pk), providers, summary) == expected
    assert record_actual_cost(str(job.pk), providers) == 0  # already recorded: nothing added twice
    assert RenderJob.objects.get(pk=job.pk).cost_actual == expected
    cost = json.loads(summary.read_text())["cost"]
    assert cost["total"] == float(expected)
    assert cost["by_provider"]["speech:elevenlabs"] == {"calls": 2, "units": 2 * len(text), "cost": 0.0168}
    assert cost["by_provider"]["speech:espeak"]["cost"] == 0


def test_it_adds_costs_in_decimal_so_the_summary_shows_no_float_noise(tmp_path):
    meter = CostMeter()
    for _ in range(100):
        # 3 characters at $0.015 per 1,000: 4.4999999999999996e-05 in float arithmetic.
        meter.add("speech", "openai", characters_price(3, 0.015), units=3)
        meter.add("images", "openai", 0.04, units=1)
    summary = json.dumps(meter.summary())
    assert json.loads(summary)["by_provider"] == {
        "speech:openai": {"calls": 100, "units": 300, "cost": 0.0045},
        "images:openai": {"calls": 100, "units": 100, "cost": 4.0},
    }
    assert '"cost": 0.0045' in summary and '"total": 4.0045' in summary
    assert meter.total == Decimal("4.0045")


def test_it_builds_the_footage_provider_from_the_pexels_key_alone(settings, tmp_path, pexels_standin):
    settings.PEXELS_API_KEY = ""
    assert build_providers().footage is None
    settings.IMAGE_PROVIDERS = ["local"]  # footage does not depend on the image chain
    settings.PEXELS_API_KEY, settings.PEXELS_BASE_URL = PEXELS_KEY, pexels_standin.url
    providers = build_providers()
    assert providers.footage is not None and providers.footage.name == "pexels"
    assert _names(providers.images) == ["local"]
    footage = providers.footage.fetch("river dawn", (256, 144), tmp_path / "clip.mp4")
    assert footage.clip.stat().st_size > 0 and footage.video_id == "1000" and footage.author == "Stand-in"
    assert providers.meter.summary()["by_provider"] == {"footage:pexels": {"calls": 1, "units": 1.0, "cost": 0.0}}
