"""Narration from ElevenLabs with character timestamps, turned into word timings for subtitles."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence

import httpx
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError

from renders.pipeline.context import Cue
from renders.pipeline.providers.base import ProviderError, Speech, characters_price
from renders.pipeline.providers.openai_speech import check_pcm, voice_for
from renders.pipeline.providers.retry import (
    DEFAULT_POLICY,
    RetryableError,
    RetryPolicy,
    call_with_retries,
    status_error,
)

OUTPUT_FORMAT = "pcm_24000"  # raw mono s16le at 24 kHz, available on every paid tier
SAMPLE_RATE = 24_000


def words_from_alignment(characters: Sequence[str], starts: Sequence[float], ends: Sequence[float]) -> tuple[Cue, ...]:
    """Group character timings into word cues: a word is a run of characters between spaces."""
    if not (len(characters) == len(starts) == len(ends)):
        raise ProviderError("ElevenLabs sent an alignment whose lists differ in length")
    words: list[Cue] = []
    text, start, end = "", 0.0, 0.0
    for char, char_start, char_end in zip(characters, starts, ends, strict=True):
        if char.isspace():
            if text:
                words.append(Cue(start=start, end=end, text=text))
            text = ""
            continue
        if not text:
            start = float(char_start)
        text += char
        end = float(char_end)
    if text:
        words.append(Cue(start=start, end=end, text=text))
    return tuple(words)


class ElevenLabsSpeech:
    name = "elevenlabs"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "",
        model: str = "eleven_multilingual_v2",
        voices: Mapping[str, str],
        policy: RetryPolicy = DEFAULT_POLICY,
        price_per_1k_chars: float = 0.0,
    ):
        self.api_key = api_key
        self.base_url = base_url
        self.model = model
        self.voices = dict(voices)
        self.policy = policy
        self.price_per_1k_chars = price_per_1k_chars

    def synthesize(self, text: str, language: str, voice: str) -> Speech:
        voice_id = voice_for(self.voices, language, voice, "ElevenLabs", "ELEVENLABS_VOICES")
        # api_key passed explicitly: the SDK otherwise reads ELEVENLABS_API_KEY from the environment.
        client = ElevenLabs(api_key=self.api_key, base_url=self.base_url or None, timeout=self.policy.timeout_sec)
        extra: dict[str, object] = {}
        if "v2_5" in self.model or "v3" in self.model:
            extra["language_code"] = language  # multilingual_v2 rejects language_code; newer models honour it

        def attempt() -> object:
            try:
                return client.text_to_speech.convert_with_timestamps(
                    voice_id,
                    text=text,
                    model_id=self.model,
                    output_format=OUTPUT_FORMAT,
                    request_options={"max_retries": 0, "timeout_in_seconds": max(1, int(self.policy.timeout_sec))},
                    **extra,
                )
            except ApiError as error:
                status = error.status_code or 0
                message, code = _detail(error.body)
                raise status_error("ElevenLabs", status, error.headers, message, code) from error
            except httpx.TimeoutException as error:
                raise RetryableError(f"ElevenLabs timed out after {self.policy.timeout_sec:g} s") from error
            except httpx.TransportError as error:
                raise RetryableError(f"ElevenLabs could not be reached ({error})") from error
            except ValueError as error:  # JSON that is not JSON
                raise ProviderError(f"ElevenLabs sent an answer we could not read ({error})") from error

        answer = call_with_retries(attempt, self.policy)
        pcm = _decode_audio(getattr(answer, "audio_base_64", None))
        alignment = getattr(answer, "alignment", None)
        words: tuple[Cue, ...] = ()
        if alignment is not None:
            words = words_from_alignment(
                list(getattr(alignment, "characters", None) or []),
                list(getattr(alignment, "character_start_times_seconds", None) or []),
                list(getattr(alignment, "character_end_times_seconds", None) or []),
            )
        return Speech(
            pcm=pcm, sample_rate=SAMPLE_RATE, words=words, cost=characters_price(len(text), self.price_per_1k_chars)
        )


def _detail(body: object) -> tuple[str, str]:
    """(message, code) from ElevenLabs' error body: {"detail": {"status": CODE, "message": ...}}."""
    if isinstance(body, dict):
        detail = body.get("detail", body)
        if isinstance(detail, dict):
            code = str(detail.get("status") or detail.get("code") or "")
            return str(detail.get("message") or code), code
        return str(detail), ""
    return str(body or ""), ""


def _decode_audio(b64: object) -> bytes:
    if not isinstance(b64, str) or not b64:
        raise ProviderError("ElevenLabs answered without audio")
    try:
        pcm = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ProviderError(f"ElevenLabs sent audio that is not base64 ({error})") from error
    return check_pcm(pcm, "audio/pcm", "ElevenLabs")
