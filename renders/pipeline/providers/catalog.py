"""What the providers have retired: OpenAI models with their shutdown dates, ElevenLabs voices.

A model that is configured but shut down makes every call fail and every scene fall back to the
offline provider; one with an announced date will do so from that date. The tables below are
copied from the pinned openai SDK's own texts (the "Deprecated values" docstrings of
`types/image_model.py`, `types/audio/speech_model.py`, `types/shared/chat_model.py`), plus the
image models that OpenAI's deprecations page lists and the SDK does not yet; a test reads those
docstrings so that a new SDK pin cannot leave this table behind. No Django here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

# Current, non-deprecated defaults (the pinned SDK names them; none has a shutdown date).
DEFAULT_IMAGE_MODEL = "gpt-image-2.5-flare"  # the SDK's named replacement for gpt-image-1; the faster of the two
DEFAULT_CHAT_MODEL = "gpt-6-luna"  # OpenAI's named replacement for gpt-4o-mini (deprecations page)
# Every model the Speech API takes has an announced shutdown (2027-01-06); the SDK's replacement is
# the Realtime API, which this project does not speak yet. The default warns until then.
DEFAULT_TTS_MODEL = "gpt-4o-mini-tts"


@dataclass(frozen=True)
class Shutdown:
    model: str
    date: dt.date
    replacement: str

    def notice(self, today: dt.date) -> str:
        if self.date <= today:
            return f"{self.model} was shut down on {self.date.isoformat()}; use {self.replacement}"
        return f"{self.model} shuts down on {self.date.isoformat()} (announced); move to {self.replacement}"


def _table(rows: Iterable[tuple[tuple[str, ...], dt.date, str]]) -> dict[str, Shutdown]:
    return {model: Shutdown(model, date, replacement) for models, date, replacement in rows for model in models}


IMAGE_SHUTDOWNS = _table([
    (("dall-e-2", "dall-e-3"), dt.date(2026, 5, 12), DEFAULT_IMAGE_MODEL),
    (("gpt-image-1",), dt.date(2026, 10, 23), "gpt-image-2.5-flare or gpt-image-2.5-sunburst"),
    # From OpenAI's deprecations page (not yet in the SDK's docstring).
    (("gpt-image-1.5", "gpt-image-1.5-2025-12-16", "gpt-image-1-mini", "chatgpt-image-latest"), dt.date(2026, 12, 1),
     "gpt-image-2.6-flare or gpt-image-2.6-sunburst"),
])  # fmt: skip

SPEECH_SHUTDOWNS = _table([
    (("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15", "gpt-4o-mini-tts-2025-03-20"),
     dt.date(2027, 1, 6), "another speech provider (OpenAI names only its Realtime API)"),
])  # fmt: skip

_CHAT = DEFAULT_CHAT_MODEL
CHAT_SHUTDOWNS = _table([
    (("gpt-3.5-turbo-16k", "gpt-3.5-turbo-0301", "gpt-3.5-turbo-0613", "gpt-3.5-turbo-16k-0613"), dt.date(2024, 9, 13), _CHAT),
    (("gpt-4-vision-preview",), dt.date(2024, 12, 6), _CHAT),
    (("gpt-4-32k", "gpt-4-32k-0314", "gpt-4-32k-0613"), dt.date(2025, 6, 6), _CHAT),
    (("o1-preview", "o1-preview-2024-09-12"), dt.date(2025, 7, 28), _CHAT),
    (("gpt-4o-audio-preview-2024-10-01",), dt.date(2025, 10, 10), _CHAT),
    (("o1-mini", "o1-mini-2024-09-12"), dt.date(2025, 10, 27), _CHAT),
    (("codex-mini-latest",), dt.date(2026, 2, 12), _CHAT),
    (("chatgpt-4o-latest",), dt.date(2026, 2, 17), _CHAT),
    (("gpt-4-0125-preview", "gpt-4-turbo-preview", "gpt-4-0314"), dt.date(2026, 3, 26), _CHAT),
    (("gpt-4o-audio-preview", "gpt-4o-audio-preview-2024-12-17", "gpt-4o-audio-preview-2025-06-03",
      "gpt-4o-mini-audio-preview", "gpt-4o-mini-audio-preview-2024-12-17"), dt.date(2026, 5, 7), _CHAT),
    (("gpt-5.1-codex", "gpt-5.1-chat-latest", "gpt-5-chat-latest", "gpt-4o-search-preview",
      "gpt-4o-mini-search-preview", "gpt-4o-search-preview-2025-03-11", "gpt-4o-mini-search-preview-2025-03-11"),
     dt.date(2026, 7, 23), _CHAT),
    (("gpt-5.3-chat-latest", "gpt-5.2-chat-latest"), dt.date(2026, 8, 10), _CHAT),
    (("gpt-3.5-turbo-1106",), dt.date(2026, 9, 28), _CHAT),
    (("gpt-4.1-nano", "gpt-4.1-nano-2025-04-14", "o4-mini", "o4-mini-2025-04-16", "o3-mini", "o3-mini-2025-01-31",
      "o1", "o1-2024-12-17", "gpt-4o-2024-05-13", "gpt-4-turbo", "gpt-4-turbo-2024-04-09", "gpt-4-1106-preview",
      "gpt-4", "gpt-4-0613", "gpt-3.5-turbo", "gpt-3.5-turbo-0125"), dt.date(2026, 10, 23), _CHAT),
    (("gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5-2025-08-07", "gpt-5-mini-2025-08-07", "gpt-5-nano-2025-08-07",
      "o3", "o3-2025-04-16"), dt.date(2026, 12, 11), _CHAT),
    (("gpt-4.1", "gpt-4.1-mini", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14", "gpt-4o", "gpt-4o-2024-11-20",
      "gpt-4o-2024-08-06", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"), dt.date(2027, 1, 14), _CHAT),
    (("gpt-audio-mini", "gpt-audio-mini-2025-12-15"), dt.date(2027, 1, 20), _CHAT),
    (("gpt-5.4-nano", "gpt-5.4-nano-2026-03-17", "gpt-5.1", "gpt-5.1-2025-11-13"), dt.date(2027, 4, 1), _CHAT),
])  # fmt: skip

SHUTDOWNS = {"image": IMAGE_SHUTDOWNS, "speech": SPEECH_SHUTDOWNS, "chat": CHAT_SHUTDOWNS}

# ElevenLabs voices its API no longer serves (404 voice_not_found) or keeps only as legacy.
RETIRED_ELEVENLABS_VOICES = {
    "21m00Tcm4TlvDq8ikWAM": "Rachel, retired in 2026 (the API answers 404)",
    "pNInz6obpgDQGcFmaJgB": "Adam, a legacy voice",
}
# Current default ("premade") voices: George is the voice of ElevenLabs' quickstart and of the
# pinned SDK's examples; Sarah is a default voice listed by GET /v1/voices.
ELEVENLABS_DEFAULT_VOICES = {"JBFqnCBsd6RMkjVDRZzb": "George", "EXAVITQu4vr4xnSDxMaL": "Sarah"}
# Models that speak Hindi (ElevenLabs' models page): multilingual v2 and flash v2.5.
ELEVENLABS_HINDI_MODELS = ("eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_v3")


def shutdown_of(kind: str, model: str) -> Shutdown | None:
    """The shutdown OpenAI announced for `model` of `kind` ("image", "speech", "chat"), if any."""
    return SHUTDOWNS[kind].get(model)


def is_shut_down(kind: str, model: str, today: dt.date) -> bool:
    shutdown = shutdown_of(kind, model)
    return shutdown is not None and shutdown.date <= today


def model_warnings(configured: Iterable[tuple[str, str, str]], today: dt.date) -> list[str]:
    """One line per (setting, kind, model) whose model is shut down or has a shutdown date."""
    lines = []
    for setting, kind, model in configured:
        shutdown = shutdown_of(kind, model)
        if shutdown is not None:
            lines.append(f"{setting}={model}: {shutdown.notice(today)}")
    return lines


def voice_warnings(setting: str, voices: dict[str, str]) -> list[str]:
    return [
        f"{setting} {slot}={voice_id}: {RETIRED_ELEVENLABS_VOICES[voice_id]}; pick a current voice"
        for slot, voice_id in sorted(voices.items())
        if voice_id in RETIRED_ELEVENLABS_VOICES
    ]
