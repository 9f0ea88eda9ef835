"""The admin index warns staff about a configured model that is shut down or a retired voice."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_it_warns_staff_on_the_admin_index(admin_client, settings):
    settings.OPENAI_API_KEY = "sk-configured"
    settings.IMAGE_PROVIDERS = ["openai", "local"]
    settings.OPENAI_IMAGE_MODEL = "dall-e-3"
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Provider configuration: OPENAI_IMAGE_MODEL=dall-e-3: dall-e-3 was shut down on 2026-05-12" in page
    assert "Site administration" in page  # the usual index is still there


@pytest.mark.django_db
def test_it_shows_nothing_when_the_configuration_is_current(admin_client, settings):
    settings.OPENAI_API_KEY = "sk-configured"
    settings.IMAGE_PROVIDERS = ["openai", "local"]
    response = admin_client.get("/admin/")
    assert response.status_code == 200 and b"provider-warnings" not in response.content


def test_it_logs_the_warnings_at_start_up(settings, caplog):
    from django.apps import apps

    settings.ELEVENLABS_API_KEY = "el-configured"
    settings.SPEECH_PROVIDERS = ["elevenlabs", "espeak"]
    settings.ELEVENLABS_VOICES = {"hi-male": "pNInz6obpgDQGcFmaJgB"}
    with caplog.at_level("WARNING", logger="renders"):
        apps.get_app_config("renders").ready()
    assert "provider configuration: ELEVENLABS_VOICES hi-male=pNInz6obpgDQGcFmaJgB: Adam, a legacy voice" in caplog.text
