"""ElevenLabs against its stand-in: PCM out, word timing from character alignment, retries, fallback."""

from __future__ import annotations

import pytest

from renders.pipeline.providers.base import ProviderError, with_fallback
from renders.pipeline.providers.elevenlabs_speech import ElevenLabsSpeech, words_from_alignment
from tests.standins.elevenlabs_server import (
    API_KEY,
    SECONDS_PER_CHAR,
    quota_exceeded,
    too_many_concurrent_requests,
)
from tests.standins.server import Reply

VOICES = {"en-female": "EXAVITQu4vr4xnSDxMaL", "hi-male": "JBFqnCBsd6RMkjVDRZzb"}


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
    assert call.path == "/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL/with-timestamps"
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


def test_it_works_with_the_default_voices_and_model():
    from django.conf import settings

    from renders.pipeline.providers.catalog import ELEVENLABS_HINDI_MODELS, RETIRED_ELEVENLABS_VOICES
    from tests.standins.elevenlabs_server import VOICES as SERVED

    assert settings.ELEVENLABS_MODEL in ELEVENLABS_HINDI_MODELS
    for slot in ("en-female", "en-male", "hi-female", "hi-male"):
        voice_id = settings.ELEVENLABS_VOICES[slot]
        assert voice_id in SERVED and voice_id not in RETIRED_ELEVENLABS_VOICES


def test_it_names_a_retired_voice_and_does_not_retry(elevenlabs_standin, policy, sleeps):
    rachel = ElevenLabsSpeech(
        api_key=API_KEY, base_url=elevenlabs_standin.url, voices={"en-female": "21m00Tcm4TlvDq8ikWAM"}, policy=policy
    )
    with pytest.raises(ProviderError, match=r"does not know that voice \(voice_not_found\) \(HTTP 404\)"):
        rachel.synthesize("Om.", "en", "female")
    assert sleeps.waits == []


def test_it_says_the_quota_is_used_up_rather_than_blaming_the_key(elevenlabs, elevenlabs_standin, sleeps):
    elevenlabs_standin.script("/with-timestamps", quota_exceeded())
    with pytest.raises(ProviderError) as raised:
        elevenlabs.synthesize("Om.", "en", "female")
    assert "quota is used up (quota_exceeded)" in str(raised.value)
    assert "API key" not in str(raised.value)
    assert sleeps.waits == [] and len(elevenlabs_standin.calls("/with-timestamps")) == 1


def test_it_retries_too_many_concurrent_requests(elevenlabs, elevenlabs_standin, sleeps):
    elevenlabs_standin.script("/with-timestamps", too_many_concurrent_requests())
    assert elevenlabs.synthesize("Om.", "en", "female").pcm
    assert len(elevenlabs_standin.calls("/with-timestamps")) == 2 and len(sleeps.waits) == 1


def test_it_refuses_an_unknown_model(elevenlabs_standin, policy):
    old = ElevenLabsSpeech(
        api_key=API_KEY, base_url=elevenlabs_standin.url, voices=VOICES, policy=policy, model="eleven_monolingual_v0"
    )
    with pytest.raises(ProviderError, match="HTTP 400"):
        old.synthesize("Om.", "en", "female")
