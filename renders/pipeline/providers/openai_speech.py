"""Narration from OpenAI's text-to-speech API, asked for raw 24 kHz s16le PCM (no timestamps)."""

from __future__ import annotations

from collections.abc import Mapping

from renders.pipeline.providers.base import ProviderError, Speech, characters_price
from renders.pipeline.providers.catalog import DEFAULT_TTS_MODEL
from renders.pipeline.providers.openai_client import OpenAIAccount, call_openai

PCM_SAMPLE_RATE = 24_000  # response_format="pcm" is always 24 kHz mono signed 16-bit little-endian
LANGUAGE_NAMES = {"en": "English", "hi": "Hindi"}


def voice_for(voices: Mapping[str, str], language: str, gender: str, provider: str, setting: str) -> str:
    """The configured voice for e.g. "hi-female", or ProviderError naming the setting to fix."""
    voice = voices.get(f"{language}-{gender}")
    if not voice:
        raise ProviderError(
            f"{provider} has no voice for {language}-{gender} (set {setting}, e.g. {language}-{gender}=...)"
        )
    return voice


def check_pcm(pcm: bytes, content_type: str, what: str) -> bytes:
    kind = content_type.split(";")[0].strip().lower()
    if kind.startswith(("application/json", "text/", "audio/mpeg", "audio/mp3")):
        raise ProviderError(f"{what} answered with {kind or 'no content type'} instead of raw PCM audio")
    if not pcm or len(pcm) % 2:
        raise ProviderError(f"{what} answered with {len(pcm)} bytes, not 16-bit PCM audio")
    return pcm


class OpenAISpeech:
    name = "openai"

    def __init__(
        self,
        account: OpenAIAccount,
        *,
        model: str = DEFAULT_TTS_MODEL,
        voices: Mapping[str, str],
        price_per_1k_chars: float = 0.0,
    ):
        self.account = account
        self.model = model
        self.voices = dict(voices)
        self.price_per_1k_chars = price_per_1k_chars

    def synthesize(self, text: str, language: str, voice: str) -> Speech:
        params: dict[str, object] = {
            "model": self.model,
            "voice": voice_for(self.voices, language, voice, "OpenAI speech", "OPENAI_TTS_VOICES"),
            "input": text,
            "response_format": "pcm",
        }
        if self.model.startswith("gpt-4o"):
            # The older tts-1 models reject `instructions`; the gpt-4o ones use it to pick the language's accent.
            params["instructions"] = f"Narrate warmly and clearly in {LANGUAGE_NAMES.get(language, language)}."
        answer = call_openai(
            "OpenAI speech",
            self.account,
            lambda client: client.audio.speech.create(**params),
            kind="speech",
            model=self.model,
        )
        content_type = answer.response.headers.get("content-type", "")
        pcm = check_pcm(answer.content, content_type, "OpenAI speech")
        return Speech(pcm=pcm, sample_rate=PCM_SAMPLE_RATE, cost=characters_price(len(text), self.price_per_1k_chars))
