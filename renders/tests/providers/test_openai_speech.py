"""OpenAI TTS against its stand-in: raw 24 kHz PCM, voices per language and gender, retries, fallback."""

from __future__ import annotations

import pytest

from renders.pipeline.providers.base import ProviderError, with_fallback
from renders.pipeline.providers.openai_speech import OpenAISpeech
from tests.standins.server import Reply

VOICES = {"en-female": "nova", "en-male": "onyx", "hi-female": "shimmer"}


@pytest.fixture
def tts(openai_account) -> OpenAISpeech:
    return OpenAISpeech(openai_account, model="gpt-4o-mini-tts", voices=VOICES, price_per_1k_chars=0.015)


def test_it_speaks_raw_pcm_with_the_configured_voice_and_records_the_cost(tts, openai_standin):
    speech = tts.synthesize("Om namah shivaya.", "en", "male")
    assert speech.sample_rate == 24_000 and speech.words == ()
    assert speech.duration_sec == pytest.approx(0.06 * 17, abs=0.01)
    assert speech.cost == pytest.approx(17 / 1000 * 0.015)
    body = openai_standin.calls("/audio/speech")[0].json()
    assert body["voice"] == "onyx" and body["response_format"] == "pcm" and body["model"] == "gpt-4o-mini-tts"
    assert "English" in body["instructions"]


def test_it_retries_after_a_429(tts, openai_standin, sleeps):
    openai_standin.fail("/audio/speech", 429, headers={"Retry-After": "1"})
    assert tts.synthesize("Om.", "hi", "female").pcm
    assert len(openai_standin.calls("/audio/speech")) == 2 and sleeps.waits == [1.0]


def test_it_falls_back_to_espeak_after_repeated_500s(tts, openai_standin, job_log):
    from renders.pipeline.espeak import EspeakSpeech

    openai_standin.fail("/audio/speech", 502, times=10)
    provider, speech = with_fallback(
        [tts, EspeakSpeech()], lambda p: p.synthesize("Om.", "en", "female"), job_log, "speech for scene 2"
    )
    assert provider.name == "espeak" and speech.pcm
    assert len(openai_standin.calls("/audio/speech")) == 3
    assert "openai failed (OpenAI speech had a server error (HTTP 502)" in job_log.warnings()[0]


def test_it_rejects_an_answer_that_is_not_pcm(tts, openai_standin):
    openai_standin.script("/audio/speech", Reply(200, b"ID3 an mp3", {"Content-Type": "audio/mpeg"}))
    with pytest.raises(ProviderError, match="audio/mpeg instead of raw PCM"):
        tts.synthesize("Om.", "en", "female")
    openai_standin.script("/audio/speech", Reply(200, b"abc", {"Content-Type": "audio/pcm"}))
    with pytest.raises(ProviderError, match="3 bytes"):
        tts.synthesize("Om.", "en", "female")


def test_it_needs_a_voice_for_the_language_and_gender(tts, openai_standin):
    with pytest.raises(ProviderError, match="hi-male .*OPENAI_TTS_VOICES"):
        tts.synthesize("नमस्ते", "hi", "male")
    assert openai_standin.requests == []


def test_the_default_voices_are_ones_openai_offers(openai_account, openai_standin):
    from django.conf import settings

    speech = OpenAISpeech(openai_account, voices=settings.OPENAI_TTS_VOICES)
    for slot in settings.OPENAI_TTS_VOICES:
        language, gender = slot.split("-")
        assert speech.synthesize("Om.", language, gender).pcm


def test_an_unknown_voice_is_refused_with_openais_message(openai_account, openai_standin):
    speech = OpenAISpeech(openai_account, voices={"en-female": "rachel"})
    with pytest.raises(ProviderError, match=r"rejected the request \(HTTP 400\): Invalid value: 'rachel'"):
        speech.synthesize("Om.", "en", "female")
