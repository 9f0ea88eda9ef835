"""renders.pipeline.spoken_length: narration counts toward the duration limits, estimated from its text."""

from __future__ import annotations

import pytest

from library.stories import list_templates
from renders.pipeline.audio import pcm16_to_float, sound_bounds
from renders.pipeline.espeak import EspeakSpeech
from renders.pipeline.plan import Limits, PlanError, parse_plan
from renders.pipeline.speech import SENTENCE_PAUSE_SEC
from renders.pipeline.spoken_length import estimate_speech_sec
from renders.pipeline.text import clean_narration, split_sentences

# 1,200 characters, the most a narration may hold.
ENGLISH = ("Prahlad prayed by the river every morning, and the king could not stop him. " * 16)[:1200]
HINDI = ("प्रह्लाद हर सुबह नदी के किनारे प्रार्थना करता था और राजा उसे रोक नहीं सका। " * 18)[:1200]


def _plan(narrations: list[str], language: str = "en", duration: float = 1) -> dict:
    return {
        "title": "Prahlad",
        "language": language,
        "scenes": [{"image_prompt": "a temple", "narration": text, "duration_sec": duration} for text in narrations],
    }


def _spoken_sec(text: str, language: str) -> float:
    """What the speech step measures with the offline voice: each sentence trimmed, plus pauses."""
    voice = EspeakSpeech()
    sentences = split_sentences(clean_narration(text), language)
    total = 0.0
    for sentence in sentences:
        speech = voice.synthesize(sentence, language, "female")
        start, end = sound_bounds(pcm16_to_float(speech.pcm), speech.sample_rate)
        total += (end - start) / speech.sample_rate
    return total + SENTENCE_PAUSE_SEC * (len(sentences) - 1)


@pytest.mark.parametrize(("text", "language"), [(ENGLISH, "en"), (HINDI, "hi")])
def test_it_refuses_a_short_scene_with_a_long_narration_naming_it(text, language):
    with pytest.raises(PlanError) as refused:
        parse_plan(_plan(["Om.", text], language))
    assert set(refused.value.errors) == {"scenes[1].narration"}
    assert "more than the 20 seconds a scene may last" in refused.value.errors["scenes[1].narration"]
    assert refused.value.limit == "MAX_SCENE_DURATION_SEC"


def test_it_refuses_scenes_whose_narration_adds_up_past_the_total_limit():
    narration = ENGLISH[:200]  # about 12 s a scene spoken: each fits, five of them do not fit 60 s
    limits = Limits(max_total_duration_sec=60)
    assert parse_plan(_plan([narration] * 4), limits).requested_duration_sec == 4
    with pytest.raises(PlanError) as refused:
        parse_plan(_plan([narration] * 5), limits)
    assert "with their narration spoken, the scenes last about" in refused.value.errors["scenes"]
    assert refused.value.limit == "MAX_TOTAL_DURATION_SEC"


def test_it_leaves_a_requested_length_that_is_too_long_to_its_own_message():
    with pytest.raises(PlanError) as refused:
        parse_plan(_plan([ENGLISH], duration=25))
    assert set(refused.value.errors) == {"scenes[0].duration_sec"}
    assert refused.value.limit == "MAX_SCENE_DURATION_SEC"  # the API answers plan_limit_exceeded


def test_it_reads_digits_as_the_words_they_are_spoken_as():
    assert estimate_speech_sec("In 1999 and 2024.", "en") > 2 * estimate_speech_sec("In abcd and efgh.", "en")
    assert estimate_speech_sec("", "en") == estimate_speech_sec("*** 🙏", "en") == 0


def test_it_estimates_the_library_stories_close_to_what_the_offline_voice_speaks():
    # At or a little under the real length (never refusing a scene that fits), and not far under.
    ratios = []
    for template in list_templates():
        for scene in template.scenes:
            for language in ("en", "hi"):
                text = scene.narration(language)
                ratios.append(estimate_speech_sec(text, language) / _spoken_sec(text, language))
    assert len(ratios) >= 2 * 46  # every scene of every story, in both languages
    assert 0.7 < min(ratios) and max(ratios) < 1.06
