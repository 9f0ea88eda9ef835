from __future__ import annotations

import threading

import numpy as np
import pytest

from renders.pipeline.espeak import EspeakSpeech
from renders.pipeline.providers.base import ProviderError

ENGLISH = "Prahlad prayed to Vishnu every day, and he was never afraid."
HINDI = "प्रह्लाद ने विष्णु की प्रार्थना की। वह कभी नहीं डरा।"


def _samples(speech) -> np.ndarray:
    return np.frombuffer(speech.pcm, dtype="<i2").astype(np.float32) / 32768


@pytest.mark.parametrize("language,text", [("en", ENGLISH), ("hi", HINDI)])
@pytest.mark.parametrize("voice", ["male", "female"])
def test_it_speaks_english_and_hindi_in_both_voices(language, text, voice):
    speech = EspeakSpeech().synthesize(text, language, voice)
    samples = _samples(speech)
    assert speech.sample_rate == 22050
    # Plausible length for ~10 words: between 2 and 8 seconds, and clearly audible.
    assert 2.0 < speech.duration_sec < 8.0
    assert float(np.sqrt(np.mean(samples**2))) > 0.02
    assert float(np.abs(samples).max()) > 0.2


def test_it_sounds_different_for_male_and_female():
    male = _samples(EspeakSpeech().synthesize(ENGLISH, "en", "male"))
    female = _samples(EspeakSpeech().synthesize(ENGLISH, "en", "female"))
    assert male.size != female.size or not np.array_equal(male, female)

    def pitch_centre(samples: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(samples))
        freqs = np.fft.rfftfreq(samples.size, 1 / 22050)
        band = freqs < 1000
        return float((spectrum[band] * freqs[band]).sum() / spectrum[band].sum())

    assert pitch_centre(female) > pitch_centre(male)


def test_it_gives_monotonic_word_timings_for_the_input_words():
    speech = EspeakSpeech().synthesize(ENGLISH, "en", "female")
    words = [cue.text for cue in speech.words]
    assert words == ["Prahlad", "prayed", "to", "Vishnu", "every", "day", "and", "he", "was", "never", "afraid"]
    starts = [cue.start for cue in speech.words]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert all(cue.start < cue.end <= speech.duration_sec + 1e-6 for cue in speech.words)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(speech.words, speech.words[1:], strict=False))


def test_it_maps_hindi_word_events_onto_devanagari_words():
    speech = EspeakSpeech().synthesize(HINDI, "hi", "male")
    expected = ["प्रह्लाद", "ने", "विष्णु", "की", "प्रार्थना", "की", "वह", "कभी", "नहीं", "डरा"]
    assert [cue.text for cue in speech.words] == expected
    starts = [cue.start for cue in speech.words]
    assert starts == sorted(starts)
    # The sentence break (danda) makes a longer gap before "वह" than between words inside a sentence.
    gap = speech.words[6].start - speech.words[5].end
    assert gap > 0.1


def test_it_returns_empty_audio_for_blank_text():
    speech = EspeakSpeech().synthesize("   ", "en", "male")
    assert speech.pcm == b"" and speech.words == ()


@pytest.mark.parametrize("language,voice", [("fr", "male"), ("en", "robot"), ("hi", "f9")])
def test_it_refuses_an_unknown_language_or_voice(language, voice):
    with pytest.raises(ProviderError, match="espeak"):
        EspeakSpeech().synthesize("Hello.", language, voice)


def test_it_is_safe_to_call_from_several_threads():
    reference = len(EspeakSpeech().synthesize("Om namah Shivaya.", "en", "male").pcm)
    results: dict[int, bytes] = {}

    def speak(index: int) -> None:
        results[index] = EspeakSpeech().synthesize("Om namah Shivaya.", "en", "male").pcm

    threads = [threading.Thread(target=speak, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One global synthesiser: without the lock, calls steal each other's chunks (empty or doubled
    # audio). espeak's pitch flutter varies a clip by a few milliseconds, never more.
    assert len(results) == 4
    assert all(abs(len(pcm) - reference) < 0.05 * reference for pcm in results.values())
