"""ElevenLabs against its stand-in: PCM out, word timing from character alignment, retries, fallback."""

from __future__ import annotations

import pytest

from renders.pipeline.providers.base import ProviderError, with_fallback
from renders.pipeline.providers.elevenlabs_speech import ElevenLabsSpeech, words_from_alignment
from tests.standins.elevenlabs_server import API_KEY, SECONDS_PER_CHAR
from tests.standins.server import Reply

VOICES = {"en-female": "voice-en-f", "hi-male": "voice-hi-m"}


@pytest.fixture
def elevenlabs(elevenlabs_standin, policy) -> ElevenLabsSpeech:
    return ElevenLabsSpeech(
        api_key=API_KEY, base_url=elevenlabs_standin.url, voices=VOICES, policy=policy, price_per_1k_chars=0.30
    )


def test_it_speaks_pcm_with_word_timings_and_records_the_cost(elevenlabs, elevenlabs_standin):
    speech = elevenlabs.synthesize("Prahlad prayed by the river.", "en", "female")
    assert speech.sample_rate == 24_000
    assert len(speech.pcm) % 2 == 0 and speech.duration_sec == pytest.approx(28 * SECONDS_PER_CHAR, abs=0.01)
    assert [word.text for word in speech.words] == ["Prahlad", "prayed", "by", "the", "river."]
    assert speech.words[0].start == 0.0 and speech.words[0].end == pytest.approx(7 * SECONDS_PER_CHAR)
    assert speech.words[1].start == pytest.approx(8 * SECONDS_PER_CHAR)
    assert speech.cost == pytest.approx(28 / 1000 * 0.30)
    (call,) = elevenlabs_standin.calls("/with-timestamps")
    assert call.path == "/v1/text-to-speech/voice-en-f/with-timestamps"
    assert call.query["output_format"] == "pcm_24000"
    assert call.json()["model_id"] == "eleven_multilingual_v2"


def test_it_keeps_devanagari_words_whole(elevenlabs):
    speech = elevenlabs.synthesize("प्रह्लाद ने प्रार्थना की।", "hi", "male")
    assert [word.text for word in speech.words] == ["प्रह्लाद", "ने", "प्रार्थना", "की।"]


def test_it_retries_after_a_429_respecting_retry_after(elevenlabs, elevenlabs_standin, sleeps):
    elevenlabs_standin.fail("/with-timestamps", 429, headers={"Retry-After": "2"})
    speech = elevenlabs.synthesize("Om.", "en", "female")
    assert speech.pcm
    assert len(elevenlabs_standin.calls("/with-timestamps")) == 2
    assert sleeps.waits == [2.0]


def test_it_falls_back_with_the_reason_logged_after_repeated_500s(elevenlabs, elevenlabs_standin, job_log):
    from renders.pipeline.espeak import EspeakSpeech

    elevenlabs_standin.fail("/with-timestamps", 500, times=10)
    provider, speech = with_fallback(
        [elevenlabs, EspeakSpeech()],
        lambda p: p.synthesize("Om namah.", "en", "female"),
        job_log,
        "speech for scene 1",
    )
    assert provider.name == "espeak" and speech.pcm and speech.cost == 0
    assert len(elevenlabs_standin.calls("/with-timestamps")) == 3  # first try + 2 retries
    (warning,) = job_log.warnings()
    assert "elevenlabs failed (ElevenLabs had a server error (HTTP 500)" in warning
    assert "after 3 tries" in warning and "falling back to espeak" in warning


def test_it_rejects_a_malformed_answer(elevenlabs, elevenlabs_standin):
    elevenlabs_standin.script("/with-timestamps", Reply.json({"audio_base64": "!!not base64!!"}))
    with pytest.raises(ProviderError, match="not base64"):
        elevenlabs.synthesize("Om.", "en", "female")
    elevenlabs_standin.script("/with-timestamps", Reply.json({"unexpected": True}))
    with pytest.raises(ProviderError, match="without audio"):
        elevenlabs.synthesize("Om.", "en", "female")


def test_it_does_not_retry_a_bad_key(elevenlabs_standin, policy, sleeps):
    wrong = ElevenLabsSpeech(api_key="wrong", base_url=elevenlabs_standin.url, voices=VOICES, policy=policy)
    with pytest.raises(ProviderError, match=r"refused the API key \(HTTP 401\): Invalid API key"):
        wrong.synthesize("Om.", "en", "female")
    assert sleeps.waits == []


def test_it_says_which_voice_setting_is_missing(elevenlabs, elevenlabs_standin):
    with pytest.raises(ProviderError, match="no voice for hi-female .*ELEVENLABS_VOICES"):
        elevenlabs.synthesize("नमस्ते", "hi", "female")
    assert elevenlabs_standin.requests == []


def test_it_groups_characters_into_words():
    words = words_from_alignment(list("ab  c"), [0, 1, 2, 3, 4], [1, 2, 3, 4, 5])
    assert [(w.text, w.start, w.end) for w in words] == [("ab", 0, 2), ("c", 4, 5)]
    with pytest.raises(ProviderError, match="differ in length"):
        words_from_alignment(["a"], [0, 1], [1])
