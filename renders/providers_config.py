"""Builds the provider chains from settings.

A cloud provider is in a chain when IMAGE_PROVIDERS / SPEECH_PROVIDERS list it AND its key is
set; listed without a key it is skipped with a log line (and a line in the job's log). Every
chain ends with the local, offline provider, whether listed or not. Stock footage (for scenes
that ask for it) comes from Pexels whenever PEXELS_API_KEY is set, whatever IMAGE_PROVIDERS says.

Each provider is wrapped in a meter (`renders.cost_meter`) that adds the cost it reports to the
set's CostMeter.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from renders.cost_meter import CostMeter, MeteredFootage, MeteredImages, MeteredSpeech
from renders.pipeline.providers.base import (
    FootageProvider,
    ImageProvider,
    ProviderSet,
    SpeechProvider,
)
from renders.pipeline.providers.retry import RetryPolicy

if TYPE_CHECKING:
    from renders.pipeline.providers.openai_client import OpenAIAccount
    from renders.pipeline.providers.pexels_stock import PexelsClient

logger = logging.getLogger(__name__)

IMAGE_PROVIDER_NAMES = ("openai", "pexels", "local")
SPEECH_PROVIDER_NAMES = ("elevenlabs", "openai", "espeak")
# The setting that must hold a key for a cloud provider to join a chain; local ones need none.
PROVIDER_KEYS = {"openai": "OPENAI_API_KEY", "elevenlabs": "ELEVENLABS_API_KEY", "pexels": "PEXELS_API_KEY"}


def has_key(name: str) -> bool:
    key_setting = PROVIDER_KEYS.get(name)
    return key_setting is None or bool(getattr(settings, key_setting, ""))


def chain_names(names: list[str], local: str) -> list[str]:
    """The providers a chain will hold, in order: the listed ones with a key, up to and
    including the local one (appended when not listed); nothing after it is ever asked."""
    usable = [name for name in names if has_key(name)]
    if local not in usable:
        usable.append(local)
    return usable[: usable.index(local) + 1]


def retry_policy() -> RetryPolicy:
    return RetryPolicy(
        timeout_sec=settings.PROVIDER_TIMEOUT_SEC,
        max_retries=settings.PROVIDER_MAX_RETRIES,
        backoff_sec=settings.PROVIDER_BACKOFF_SEC,
        max_wait_sec=settings.PROVIDER_MAX_WAIT_SEC,
    )


def openai_account() -> OpenAIAccount | None:
    if not settings.OPENAI_API_KEY:
        return None
    from renders.pipeline.providers.openai_client import OpenAIAccount  # the SDK is slow to import

    return OpenAIAccount(api_key=settings.OPENAI_API_KEY, base_url=settings.OPENAI_BASE_URL, policy=retry_policy())


@dataclass
class ConfiguredProviders(ProviderSet):
    meter: CostMeter = field(default_factory=CostMeter)
    notes: list[str] = field(default_factory=list)  # providers skipped and why, for the job's log


def _check_names(setting: str, names: list[str], known: tuple[str, ...]) -> None:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ImproperlyConfigured(f"{setting} names unknown providers {unknown}; known: {', '.join(known)}")


def _skip(notes: list[str], setting: str, name: str, key: str) -> None:
    note = f"{setting} lists {name}, but {key} is not set: skipping {name}"
    logger.warning(note)
    notes.append(note)


def _image_chain(notes: list[str], local: ImageProvider) -> list[ImageProvider]:
    names = list(settings.IMAGE_PROVIDERS)
    _check_names("IMAGE_PROVIDERS", names, IMAGE_PROVIDER_NAMES)
    chain: list[ImageProvider] = []
    for name in names:
        if not has_key(name):
            _skip(notes, "IMAGE_PROVIDERS", name, PROVIDER_KEYS[name])
        elif name == "local":
            chain.append(local)
        elif name == "openai":
            from renders.pipeline.providers.openai_images import OpenAIImages

            chain.append(
                OpenAIImages(
                    openai_account(),  # type: ignore[arg-type]  # has_key: the key is set
                    model=settings.OPENAI_IMAGE_MODEL,
                    price_per_image=settings.PRICE_PER_IMAGE.get("openai", 0.0),
                )
            )
        elif name == "pexels":
            from renders.pipeline.providers.pexels_stock import PexelsStockImages

            chain.append(PexelsStockImages(_pexels_client()))
    if local not in chain:
        chain.append(local)  # the chain always ends offline
    return chain[: chain.index(local) + 1]


def _pexels_client() -> PexelsClient:
    from renders.pipeline.providers.pexels_stock import PexelsClient

    return PexelsClient(api_key=settings.PEXELS_API_KEY, base_url=settings.PEXELS_BASE_URL, policy=retry_policy())


def footage_provider() -> FootageProvider | None:
    """Pexels when PEXELS_API_KEY is set, else None (scenes that ask for footage are painted)."""
    if not settings.PEXELS_API_KEY:
        return None
    from renders.pipeline.providers.pexels_stock import PexelsFootage

    return PexelsFootage(_pexels_client())


def _speech_chain(notes: list[str], local: SpeechProvider) -> list[SpeechProvider]:
    names = list(settings.SPEECH_PROVIDERS)
    _check_names("SPEECH_PROVIDERS", names, SPEECH_PROVIDER_NAMES)
    prices = settings.PRICE_PER_1K_SPEECH_CHARS
    chain: list[SpeechProvider] = []
    for name in names:
        if not has_key(name):
            _skip(notes, "SPEECH_PROVIDERS", name, PROVIDER_KEYS[name])
        elif name == "espeak":
            chain.append(local)
        elif name == "elevenlabs":
            from renders.pipeline.providers.elevenlabs_speech import ElevenLabsSpeech

            chain.append(
                ElevenLabsSpeech(
                    api_key=settings.ELEVENLABS_API_KEY,
                    base_url=settings.ELEVENLABS_BASE_URL,
                    model=settings.ELEVENLABS_MODEL,
                    voices=settings.ELEVENLABS_VOICES,
                    policy=retry_policy(),
                    price_per_1k_chars=prices.get("elevenlabs", 0.0),
                )
            )
        elif name == "openai":
            from renders.pipeline.providers.openai_speech import OpenAISpeech

            chain.append(
                OpenAISpeech(
                    openai_account(),  # type: ignore[arg-type]  # has_key: the key is set
                    model=settings.OPENAI_TTS_MODEL,
                    voices=settings.OPENAI_TTS_VOICES,
                    price_per_1k_chars=prices.get("openai", 0.0),
                )
            )
    if local not in chain:
        chain.append(local)
    return chain[: chain.index(local) + 1]


def build_providers(log: Callable[[str, str], None] | None = None) -> ConfiguredProviders:
    """The configured chains, each provider metered. `log` gets a warning per skipped provider."""
    from renders.pipeline.providers.local import local_providers

    local = local_providers()
    notes: list[str] = []
    meter = CostMeter()
    images = [MeteredImages(provider, meter) for provider in _image_chain(notes, local.images[0])]
    speech = [MeteredSpeech(provider, meter) for provider in _speech_chain(notes, local.speech[0])]
    footage = footage_provider()
    if log is not None:
        for note in notes:
            log("warning", note)
    return ConfiguredProviders(
        images=images,
        speech=speech,
        footage=MeteredFootage(footage, meter) if footage else None,
        meter=meter,
        notes=notes,
    )


def configuration_warnings(today: dt.date | None = None) -> list[str]:
    """Configured models and voices that a provider has shut down, retired or dated for shutdown.

    Only providers that would be used (listed and with a key) count. Logged at start-up and shown
    in /readyz `warnings`; they never fail the probe, since the chain still ends offline.
    """
    from renders.pipeline.providers.catalog import model_warnings, voice_warnings

    today = today or dt.datetime.now(tz=dt.UTC).date()
    configured: list[tuple[str, str, str]] = []
    if settings.OPENAI_API_KEY:
        if "openai" in settings.IMAGE_PROVIDERS:
            configured.append(("OPENAI_IMAGE_MODEL", "image", settings.OPENAI_IMAGE_MODEL))
        if "openai" in settings.SPEECH_PROVIDERS:
            configured.append(("OPENAI_TTS_MODEL", "speech", settings.OPENAI_TTS_MODEL))
        configured.append(("OPENAI_CHAT_MODEL", "chat", settings.OPENAI_CHAT_MODEL))  # the script writer
    lines = model_warnings(configured, today)
    if settings.ELEVENLABS_API_KEY and "elevenlabs" in settings.SPEECH_PROVIDERS:
        lines += voice_warnings("ELEVENLABS_VOICES", settings.ELEVENLABS_VOICES)
    return lines
