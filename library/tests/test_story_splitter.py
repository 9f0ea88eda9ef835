"""Splitting a pasted story into scenes."""

from __future__ import annotations

import re

import pytest

from library.story_splitter import (
    DEFAULT_PROMPT,
    MOTIFS,
    detect_language,
    estimate_duration_sec,
    split_story,
    suggest_image_prompt,
)
from renders.pipeline.illustrator import found_keywords
from renders.pipeline.plan import MAX_NARRATION_CHARS, parse_plan

ENGLISH_STORY = (
    "Long ago, a little boy named Prahlad lived in a palace. His father, the demon king, hated Lord Vishnu. "
    "The king tried to burn the child in a great fire. But the flames could not touch him. "
    "At dusk, Narasimha burst from a pillar!"
)
HINDI_STORY = (
    "बहुत समय पहले राजा भगीरथ ने हिमालय पर कठोर तपस्या की। गंगा स्वर्ग से उतरीं। "
    "भगवान शिव ने उन्हें अपनी जटाओं में धारण किया। आगे चलकर गंगा ने सगर के पुत्रों को मुक्ति दी॥"
)


def _narrations(scenes: list[dict]) -> list[str]:
    return [scene["narration"] for scene in scenes]


def test_it_splits_an_english_story_two_sentences_a_scene() -> None:
    scenes = split_story(ENGLISH_STORY)

    assert _narrations(scenes) == [
        "Long ago, a little boy named Prahlad lived in a palace. His father, the demon king, hated Lord Vishnu.",
        "The king tried to burn the child in a great fire. But the flames could not touch him.",
        "At dusk, Narasimha burst from a pillar!",
    ]
    assert all(set(scene) == {"image_prompt", "narration", "duration_sec"} for scene in scenes)
    assert "fire" in scenes[1]["image_prompt"]
    assert "Narasimha" in scenes[2]["image_prompt"] and "dusk" in scenes[2]["image_prompt"]


def test_it_splits_a_hindi_story_at_dandas_and_keeps_conjuncts_intact() -> None:
    scenes = split_story(HINDI_STORY)

    assert _narrations(scenes) == [
        "बहुत समय पहले राजा भगीरथ ने हिमालय पर कठोर तपस्या की। गंगा स्वर्ग से उतरीं।",
        "भगवान शिव ने उन्हें अपनी जटाओं में धारण किया। आगे चलकर गंगा ने सगर के पुत्रों को मुक्ति दी॥",
    ]
    assert "Ganga" in scenes[0]["image_prompt"] and "mountains" in scenes[0]["image_prompt"]
    assert "Shiva" in scenes[1]["image_prompt"]
    # Hindi is paced at ~11 characters a second, English at ~14.
    assert scenes[0]["duration_sec"] == estimate_duration_sec(scenes[0]["narration"], "hi")
    assert estimate_duration_sec("क" * 110, "hi") == 10.0
    assert estimate_duration_sec("a" * 140, "en") == 10.0


def test_it_detects_the_language_from_the_script() -> None:
    assert detect_language(HINDI_STORY) == "hi"
    assert detect_language(ENGLISH_STORY) == "en"
    assert detect_language("प्रह्लाद ने कहा, 'Om Namo Narayanaya' और मुस्कुराया।") == "hi"
    assert detect_language("Prahlad chanted 'ॐ' softly and smiled.") == "en"
    assert detect_language("123 ...") == "en"


def test_it_starts_a_new_scene_at_each_paragraph() -> None:
    story = (
        "Dhruva was five.\n\nHe walked into the forest. He met Narada. Narada taught him a mantra.\r\n  \r\nThe end."
    )

    scenes = split_story(story)

    assert _narrations(scenes) == [
        "Dhruva was five.",
        "He walked into the forest. He met Narada.",
        "Narada taught him a mantra.",
        "The end.",
    ]


def test_it_treats_one_sentence_lines_as_paragraphs_but_joins_hard_wrapped_prose() -> None:
    assert len(split_story("Line one is here.\nLine two is here.\nLine three is here.", sentences_per_scene=3)) == 3
    assert _narrations(split_story("A line of prose that\nwraps onto the next. It ends.")) == [
        "A line of prose that wraps onto the next. It ends."
    ]


def test_it_cleans_markdown_and_emoji_as_the_speech_step_would() -> None:
    scenes = split_story("# Shabari\n\n**Shabari** waited for [Rama](https://example.com) 🙏.")

    assert _narrations(scenes) == ["Shabari.", "Shabari waited for Rama."]


@pytest.mark.parametrize("text", ["", "   \n\t  \n", "*** --- 🙏🙏", "..."])
def test_it_refuses_an_empty_story(text: str) -> None:
    with pytest.raises(ValueError, match="The story is empty"):
        split_story(text)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"language": "fr"}, "language must be one of en, hi"),
        ({"sentences_per_scene": 0}, "sentences_per_scene must be a whole number of at least 1"),
        ({"max_scenes": 0}, "max_scenes must be a whole number of at least 1"),
    ],
)
def test_it_rejects_bad_arguments(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_story(ENGLISH_STORY, **options)


def test_it_caps_a_long_story_at_max_scenes_without_losing_a_sentence() -> None:
    # 90 sentences: as many as 20 scenes can speak within their 20 s each (150 once fitted, when
    # only the characters were counted; spoken, those scenes lasted about 30 s each).
    sentences = [f"Sentence {number} tells of the river and the temple." for number in range(90)]
    paragraphs = [" ".join(sentences[start : start + 10]) for start in range(0, 90, 10)]

    scenes = split_story("\n\n".join(paragraphs), max_scenes=20)

    assert len(scenes) == 20
    assert " ".join(_narrations(scenes)) == " ".join(sentences)
    # Every paragraph still starts a scene: scenes only grew within paragraphs.
    starts = {scene["narration"].split(" tells")[0] for scene in scenes}
    assert {f"Sentence {number}" for number in range(0, 90, 10)} <= starts


def test_it_refuses_a_story_too_long_to_speak_in_max_scenes() -> None:
    sentences = [f"Sentence {number} tells of the river and the temple." for number in range(150)]
    with pytest.raises(ValueError, match=r"scene 1 would last about \d+ seconds spoken \(at most 20\)"):
        split_story(" ".join(sentences), max_scenes=20)


def test_it_merges_paragraphs_when_there_are_more_than_max_scenes() -> None:
    paragraphs = [f"Paragraph {number} has one sentence." for number in range(30)]

    scenes = split_story("\n\n".join(paragraphs), max_scenes=7)

    assert len(scenes) == 7
    assert " ".join(_narrations(scenes)) == " ".join(paragraphs)
    assert max(len(narration) for narration in _narrations(scenes)) < 2 * min(
        len(narration) for narration in _narrations(scenes)
    )


def test_it_refuses_a_story_too_long_for_the_scene_limit() -> None:
    story = " ".join(f"Sentence {number} tells of the river and the temple today." for number in range(200))

    with pytest.raises(ValueError, match=r"The story is too long for 5 scenes"):
        split_story(story, max_scenes=5)


def test_it_keeps_scenes_within_the_plan_limits_and_they_make_a_valid_plan() -> None:
    story = "\n\n".join([ENGLISH_STORY] * 6)

    scenes = split_story(story, sentences_per_scene=40)

    assert all(len(scene["narration"]) <= MAX_NARRATION_CHARS for scene in scenes)
    assert all(3 <= scene["duration_sec"] <= 20 for scene in scenes)
    plan = parse_plan({"title": "Prahlad", "scenes": scenes})
    assert " ".join(scene.narration for scene in plan.scenes) == " ".join([ENGLISH_STORY] * 6)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("गंगा बह रही थी।", "the river Ganga flowing from the Himalaya"),
        ("The Ganges flowed on.", "the river Ganga flowing from the Himalaya"),
        ("चारों ओर आग थी।", "a sacred fire with leaping flames"),
        ("अग्नि की लपटें उठीं।", "a sacred fire with leaping flames"),
        ("The flames rose.", "a sacred fire with leaping flames"),
        ("मंदिर में घंटियाँ बजीं।", "an ancient stone temple"),
        ("एक बालक खड़ा था।", "a young child"),
        ("राजा क्रोधित था।", "a crowned king"),
        ("ऋषि ध्यान में थे।", "a wise sage"),
        ("रात्रि गहरी थी।", "a moonlit night sky"),
        ("सूर्य उग आया।", "golden dawn light"),
        ("तालाब में कमल खिले।", "pink lotus flowers"),
        ("वह पहाड़ पर चढ़ा।", "snow-capped Himalayan mountains"),
        ("वह पहा\u0921\u093c पर चढ़ा।", "snow-capped Himalayan mountains"),  # nukta written as two code points
        ("वह वन में गया।", "a deep green forest"),
        ("Lord Vishnu smiled.", "the blue-skinned deity Vishnu"),
        ("शिव ध्यान में बैठे।", "the deity Shiva"),
        ("नरसिंह प्रकट हुए।", "the fierce lion-headed deity Narasimha"),
    ],
)
def test_it_maps_keywords_to_a_visual_prompt(text: str, expected: str) -> None:
    assert expected.lower() in suggest_image_prompt(text).lower()


def test_it_asks_for_something_the_offline_illustrator_can_paint() -> None:
    for motif in MOTIFS:
        assert found_keywords(motif.phrase), motif.phrase


def test_it_does_not_mistake_words_that_merely_contain_a_keyword() -> None:
    # आगे (ahead) is not आग (fire), जीवन (life) is not वन (forest), दिया (gave) is not a lamp.
    assert suggest_image_prompt("वह आगे बढ़ा। उसका जीवन सुंदर था। उसने कुछ दिया।") == DEFAULT_PROMPT
    assert suggest_image_prompt("The sunny kingdom was firm.") == DEFAULT_PROMPT


def test_it_builds_prompts_in_order_of_mention_and_prefers_a_named_deity() -> None:
    prompt = suggest_image_prompt("At night the Lord Krishna played his flute by the river, near the temple and a cow.")

    assert prompt.startswith("A moonlit night sky, the deity Krishna")
    assert "radiant deity" not in prompt  # the generic "Lord" gives way to Krishna
    assert len(prompt.split(", ")) <= 5  # at most four motifs (one has its own comma)
    assert re.search(r"cow", prompt) is None  # the fifth motif is left out


def test_it_falls_back_to_a_calm_default_prompt() -> None:
    scenes = split_story("Once there was a kind person. Everyone liked her.")

    assert scenes[0]["image_prompt"] == DEFAULT_PROMPT == "A serene devotional scene, soft light"
