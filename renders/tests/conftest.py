"""Fixtures the renders tests share across folders: the OpenAI stand-in, and settings that use it or not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.standins.openai_server import API_KEY as OPENAI_KEY
from tests.standins.openai_server import OpenAIStandin


@pytest.fixture
def openai_standin() -> Iterator[OpenAIStandin]:
    server = OpenAIStandin()
    with server:
        yield server


@pytest.fixture
def openai_settings(settings, openai_standin: OpenAIStandin):
    """The app's settings pointed at the stand-in, with a fast retry policy."""
    settings.OPENAI_API_KEY = OPENAI_KEY
    settings.OPENAI_BASE_URL = openai_standin.base_url
    settings.PROVIDER_BACKOFF_SEC = 0.001
    settings.PROVIDER_MAX_RETRIES = 1
    return settings


@pytest.fixture
def no_openai(settings):
    settings.OPENAI_API_KEY = ""
    return settings
