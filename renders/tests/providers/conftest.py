"""Stand-in servers and a fast retry policy for the provider tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from renders.pipeline.providers.openai_client import OpenAIAccount
from renders.pipeline.providers.retry import RetryPolicy
from tests.standins.elevenlabs_server import API_KEY as ELEVENLABS_KEY
from tests.standins.elevenlabs_server import ElevenLabsStandin
from tests.standins.openai_server import API_KEY as OPENAI_KEY
from tests.standins.openai_server import OpenAIStandin
from tests.standins.pexels_server import PexelsStandin


class SleepLog:
    """Stands in for time.sleep: records the waits instead of sleeping them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepLog:
    return SleepLog()


@pytest.fixture
def policy(sleeps: SleepLog) -> RetryPolicy:
    return RetryPolicy(timeout_sec=5, max_retries=2, backoff_sec=0.01, max_wait_sec=30, sleep=sleeps)


@pytest.fixture
def openai_account(openai_standin: OpenAIStandin, policy: RetryPolicy) -> OpenAIAccount:
    return OpenAIAccount(api_key=OPENAI_KEY, base_url=openai_standin.base_url, policy=policy)


@pytest.fixture
def elevenlabs_standin() -> Iterator[ElevenLabsStandin]:
    with ElevenLabsStandin() as server:
        yield server


@pytest.fixture
def pexels_standin() -> Iterator[PexelsStandin]:
    with PexelsStandin() as server:
        yield server


class JobLog:
    """Collects what a pipeline step would write to the job's log."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __call__(self, level: str, message: str) -> None:
        self.lines.append((level, message))

    def warnings(self) -> list[str]:
        return [message for level, message in self.lines if level == "warning"]


@pytest.fixture
def job_log() -> JobLog:
    return JobLog()


@pytest.fixture
def cloud_settings(settings, openai_standin, elevenlabs_standin):
    """OpenAI and ElevenLabs keyed to their stand-ins, no Pexels, retries fast."""
    settings.OPENAI_API_KEY = OPENAI_KEY
    settings.OPENAI_BASE_URL = openai_standin.base_url
    settings.ELEVENLABS_API_KEY = ELEVENLABS_KEY
    settings.ELEVENLABS_BASE_URL = elevenlabs_standin.url
    settings.PEXELS_API_KEY = ""
    settings.PROVIDER_BACKOFF_SEC = 0.001
    settings.PROVIDER_MAX_RETRIES = 1
    return settings
