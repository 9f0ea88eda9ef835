"""Chains built from settings: keys decide, local ends every chain."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from renders.providers_config import build_providers
from tests.standins.pexels_server import API_KEY as PEXELS_KEY


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
