"""Story templates: their content, and the plans they become."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest

from library.stories import (
    SPEECH_MARGIN,
    StoryTemplate,
    TemplateFileError,
    UnknownTemplate,
    evenly_spaced,
    get_template,
    list_templates,
    plan_from_template,
    telling_for_length,
    template_from_data,
    template_thumbnail_prompt,
)
from renders.pipeline.illustrator import found_keywords
from renders.pipeline.plan import MAX_PROMPT_CHARS, STYLES, Limits, PlanError, parse_plan
from renders.pipeline.spoken_length import LEAD_IN_SEC, estimate_speech_sec

REQUIRED_IDS = {"prahlad", "ganga-avatar", "dhruva"}
DEVANAGARI = re.compile(r"[\u0900-\u097f]")
LATIN = re.compile(r"[A-Za-z]")
VOWEL_SIGNS = set("\u093e\u093f\u0940\u0941\u0942\u0943\u0944\u0945\u0946\u0947\u0948\u0949\u094a\u094b\u094c")


def _all_templates() -> list[StoryTemplate]:
    return list_templates()


def _assert_well_formed_devanagari(text: str, where: str) -> None:
    """Catch the typos a Hindi writer makes: a sign with no letter to sit on, two vowel signs in a row."""
    previous = " "
    for char in text:
        if unicodedata.category(char) in ("Mn", "Mc"):
            assert DEVANAGARI.match(previous), f"{where}: {char!r} does not follow a Devanagari letter in {text!r}"
            assert not (char in VOWEL_SIGNS and previous in VOWEL_SIGNS), f"{where}: two vowel signs in {text!r}"
        previous = char


def test_it_loads_every_template_with_six_to_ten_scenes() -> None:
    templates = _all_templates()
    ids = [template.id for template in templates]

    assert REQUIRED_IDS <= set(ids)
    assert len(templates) >= 5
    assert len(ids) == len(set(ids))
    for template in templates:
        assert 6 <= len(template.scenes) <= 10, template.id
        assert template.style in STYLES
        assert template.music in ("tanpura", "bells")
        assert template.tags and all(tag.islower() for tag in template.tags)
        for scene in template.scenes:
            assert 6 <= scene.duration_sec <= 10, template.id


def test_it_writes_hindi_in_devanagari_and_english_in_plain_ascii() -> None:
    for template in _all_templates():
        texts_hi = [template.title_hi, template.description_hi, *template.aliases_hi]
        texts_hi += [text for scene in template.scenes for text in (scene.narration_hi, scene.short_hi)]
        texts_en = [template.title_en, template.description_en, *template.aliases_en]
        texts_en += [text for scene in template.scenes for text in (scene.narration_en, scene.short_en)]
        for text in texts_hi:
            assert DEVANAGARI.search(text) and not LATIN.search(text), f"{template.id}: {text!r}"
            _assert_well_formed_devanagari(text, template.id)
        for text in texts_en:
            assert text.isascii() and not DEVANAGARI.search(text), f"{template.id}: {text!r}"
        for scene in template.scenes:
            # Hindi sentences end with a danda (or a question mark inside a quotation), never a full stop.
            assert scene.narration_hi.rstrip("'").endswith(("।", "?")), scene.narration_hi
            assert "." not in scene.narration_hi
            assert scene.narration_en.rstrip("'").endswith((".", "?", "!")), scene.narration_en


def test_it_keeps_narration_to_a_few_spoken_sentences() -> None:
    for template in _all_templates():
        for scene in template.scenes:
            sentences = re.split(r"(?<=[.!?।])\s", scene.narration_en)
            assert 1 <= len(sentences) <= 4, scene.narration_en
            # About 8 to 15 s of unhurried speech at ~14 characters a second.
            assert 90 <= len(scene.narration_en) <= 215, scene.narration_en
            assert 90 <= len(scene.narration_hi) <= 215, scene.narration_hi


def test_it_gives_every_scene_a_prompt_the_local_illustrator_can_paint() -> None:
    for template in _all_templates():
        for scene in template.scenes:
            assert len(scene.image_prompt) <= MAX_PROMPT_CHARS
            assert scene.image_prompt.isascii()
            # At least one figure or setting the offline painter knows, so no scene comes out blank.
            assert found_keywords(scene.image_prompt), scene.image_prompt


def test_it_lists_templates_in_gallery_order_and_hands_out_copies() -> None:
    templates = list_templates()
    assert [template.id for template in templates[:3]] == ["prahlad", "ganga-avatar", "dhruva"]

    templates.clear()

    assert len(list_templates()) >= 5


def test_it_gets_a_template_by_id() -> None:
    template = get_template("ganga-avatar")

    assert template.title_en == "The Descent of Ganga"
    assert template.title("hi") == "गंगा अवतरण"
    assert "Shiva" in " ".join(scene.narration_en for scene in template.scenes)


def test_it_reports_an_unknown_template_with_the_valid_ids() -> None:
    with pytest.raises(UnknownTemplate) as caught:
        get_template("ramayana-in-full")

    message = str(caught.value)
    assert isinstance(caught.value, KeyError)
    assert caught.value.template_id == "ramayana-in-full"
    assert "'ramayana-in-full'" in message
    for template_id in ("prahlad", "ganga-avatar", "dhruva"):
        assert template_id in message


@pytest.mark.parametrize("language", ["en", "hi"])
def test_it_builds_a_plan_that_parse_plan_accepts(language: str) -> None:
    other = "hi" if language == "en" else "en"
    for template in _all_templates():
        data = plan_from_template(template, language=language, voice="male", aspect="9:16", mode="proxy")

        plan = parse_plan(data)

        assert plan.title == template.title(language)
        assert plan.topic == template.description(language)
        assert (plan.language, plan.voice, plan.aspect, plan.mode) == (language, "male", "9:16", "proxy")
        assert (plan.style, plan.music, plan.watermark) == (template.style, template.music, "br")
        assert len(plan.scenes) == len(template.scenes)
        for plan_scene, scene in zip(plan.scenes, template.scenes, strict=True):
            assert plan_scene.narration == scene.narration(language)
            assert plan_scene.narration_alt == scene.narration(other)
            assert plan_scene.image_prompt == scene.image_prompt
            assert plan_scene.duration_sec == scene.duration_sec


@pytest.mark.parametrize("length_sec", [30, 45.2, 60, 75.5, 120])
def test_it_scales_scene_durations_to_the_requested_length(length_sec: float) -> None:
    for template in _all_templates():
        plan = parse_plan(plan_from_template(template, length_sec=length_sec))

        durations = [scene.duration_sec for scene in plan.scenes]
        assert abs(sum(durations) - length_sec) <= 0.25, (template.id, durations)
        assert all(duration * 2 == int(duration * 2) for duration in durations)
        assert all(1 <= duration <= Limits().max_scene_duration_sec for duration in durations)


def test_it_keeps_the_story_proportions_when_scaling() -> None:
    template = get_template("shabari")
    original = [scene.duration_sec for scene in template.scenes]

    scaled = [
        scene["duration_sec"] for scene in plan_from_template(template, length_sec=template.duration_sec * 2)["scenes"]
    ]

    assert scaled == [duration * 2 for duration in original]


def test_it_clamps_scenes_it_cannot_stretch_further() -> None:
    template = get_template("prahlad")

    data = plan_from_template(template, length_sec=600)

    assert [scene["duration_sec"] for scene in data["scenes"]] == [20.0] * len(template.scenes)


def test_it_respects_lower_limits_the_caller_runs_with() -> None:
    limits = Limits(max_scene_duration_sec=8)
    template = get_template("dhruva")

    data = plan_from_template(template, limits=limits)

    assert max(scene["duration_sec"] for scene in data["scenes"]) == 8
    # The narration is the story's own: spoken, most scenes need more than 8 s, which the plan's
    # gate counts (a scene lasts as long as its narration), so the caller learns it per scene.
    with pytest.raises(PlanError) as refused:
        parse_plan(data, limits)
    assert refused.value.limit == "MAX_SCENE_DURATION_SEC"
    assert "scenes[0].narration" in refused.value.errors
    roomy = Limits(max_scene_duration_sec=13)
    assert parse_plan(plan_from_template(template, limits=roomy), roomy).scenes


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"language": "fr"}, "language must be one of en, hi (got 'fr')"),
        ({"voice": "child"}, "voice must be one of male, female (got 'child')"),
        ({"aspect": "4:3"}, "aspect must be one of"),
        ({"length_sec": 0}, "length_sec must be more than 0 and at most 600 seconds"),
        ({"length_sec": 601}, "at most 600 seconds"),
        ({"length_sec": float("nan")}, "length_sec must be a number of seconds"),
    ],
)
def test_it_rejects_bad_options_with_a_clear_message(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        plan_from_template(get_template("prahlad"), **options)


def test_it_paints_a_thumbnail_from_the_first_scene() -> None:
    template = get_template("prahlad")

    assert template_thumbnail_prompt(template) == template.scenes[0].image_prompt
    assert "Hiranyakashipu" in template_thumbnail_prompt(template)


def test_it_rejects_a_malformed_template_file() -> None:
    good: dict[str, Any] = {
        "id": "x", "title_en": "X", "title_hi": "क", "description_en": "X", "description_hi": "क",
        "style": "watercolor", "music": "bells", "tags": ["x"], "aliases_en": ["Ex"], "aliases_hi": ["क्ष"],
        "scenes": [{
            "image_prompt": "a river", "narration_en": "A.", "narration_hi": "क।", "duration_sec": 8,
            "short_en": "A.", "short_hi": "क।",
        }] * 6,
    }  # fmt: skip
    assert template_from_data(good).id == "x"

    with pytest.raises(TemplateFileError, match="style must be one of"):
        template_from_data({**good, "style": "anime"})
    with pytest.raises(TemplateFileError, match="6 to 10 scenes"):
        template_from_data({**good, "scenes": good["scenes"][:2]})
    with pytest.raises(TemplateFileError, match=r"scenes\[0\]: narration_hi must be non-empty"):
        template_from_data({**good, "scenes": [{**good["scenes"][0], "narration_hi": " "}] * 6})
    with pytest.raises(TemplateFileError, match=r"scenes\[0\]: short_en must be non-empty"):
        template_from_data({**good, "scenes": [{k: v for k, v in good["scenes"][0].items() if k != "short_en"}] * 6})
    with pytest.raises(TemplateFileError, match="aliases_hi must be a non-empty list of names"):
        template_from_data({**good, "aliases_hi": []})
    with pytest.raises(TemplateFileError, match="aliases_en must be a non-empty list of names"):
        template_from_data({**good, "aliases_en": ["Ex", " "]})


def _spoken_sec(scene: dict, language: str) -> float:
    """How long a plan scene lasts once its narration is spoken (the estimate, with the telling's margin)."""
    speech = estimate_speech_sec(scene["narration"], language) * SPEECH_MARGIN[language]
    return max(scene["duration_sec"], LEAD_IN_SEC + speech + Limits().narration_padding_sec)


@pytest.mark.parametrize("language", ["en", "hi"])
def test_it_tells_a_story_so_it_can_be_spoken_in_the_length_asked(language: str) -> None:
    template = get_template("prahlad")
    for length_sec in range(10, 181, 5):
        data = plan_from_template(template, language=language, length_sec=length_sec)

        spoken = [_spoken_sec(scene, language) for scene in data["scenes"]]
        # Every scene is long enough for its narration, so none stretches and the total is as asked.
        assert spoken == [scene["duration_sec"] for scene in data["scenes"]], (length_sec, data["scenes"])
        assert abs(sum(spoken) - length_sec) <= 0.25, (length_sec, spoken)
        assert parse_plan(data).scenes


def test_it_tells_the_full_narration_when_there_is_time() -> None:
    template = get_template("prahlad")

    data = plan_from_template(template, language="hi", length_sec=180)

    assert [scene["narration"] for scene in data["scenes"]] == [scene.narration_hi for scene in template.scenes]
    assert [scene["narration_alt"] for scene in data["scenes"]] == [scene.narration_en for scene in template.scenes]


def test_it_tells_the_short_lines_when_the_full_narration_would_run_over() -> None:
    template = get_template("prahlad")
    full_sec = sum(_spoken_sec({"narration": scene.narration_en, "duration_sec": 0}, "en") for scene in template.scenes)
    assert full_sec > 60

    data = plan_from_template(template, language="en", length_sec=60)

    assert [scene["narration"] for scene in data["scenes"]] == [scene.short_en for scene in template.scenes]
    assert [scene["narration_alt"] for scene in data["scenes"]] == [scene.short_hi for scene in template.scenes]


def test_it_keeps_the_first_and_last_scenes_and_spaces_the_rest_when_even_short_lines_run_over() -> None:
    template = get_template("prahlad")

    telling = telling_for_length(template, language="hi", length_sec=30)
    data = plan_from_template(template, language="hi", length_sec=30)

    assert telling.short and 2 < len(telling.scene_indices) < len(template.scenes)
    assert telling.scene_indices == tuple(evenly_spaced(len(telling.scene_indices), len(template.scenes)))
    chosen = [template.scenes[index] for index in telling.scene_indices]
    assert [scene["narration"] for scene in data["scenes"]] == [scene.short_hi for scene in chosen]
    assert [scene["image_prompt"] for scene in data["scenes"]] == [scene.image_prompt for scene in chosen]
    assert data["scenes"][0]["image_prompt"] == template.scenes[0].image_prompt
    assert data["scenes"][-1]["image_prompt"] == template.scenes[-1].image_prompt


def test_it_spreads_chosen_scenes_evenly() -> None:
    assert evenly_spaced(10, 10) == list(range(10))
    assert evenly_spaced(5, 10) == [0, 2, 5, 7, 9]
    assert evenly_spaced(2, 9) == [0, 8]
    assert evenly_spaced(1, 9) == [0]
    for total in range(6, 11):
        for count in range(2, total + 1):
            picked = evenly_spaced(count, total)
            assert picked[0] == 0 and picked[-1] == total - 1 and picked == sorted(set(picked)), (count, total)


def test_it_refuses_a_length_too_short_for_even_one_short_line() -> None:
    with pytest.raises(ValueError, match=r"length_sec 2 is too short to tell this story: even one scene needs about"):
        plan_from_template(get_template("prahlad"), language="hi", length_sec=2)
