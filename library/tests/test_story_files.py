"""Every story file in library/stories/, checked one by one: a new file is covered the moment it lands.

No rendering here: plans are parsed and texts measured, so the whole library takes about a second.
"""

from __future__ import annotations

import json
import re

import pytest

from library.stories import (
    MAX_SCENES,
    MIN_SCENES,
    SPEECH_MARGIN,
    STORIES_DIR,
    StoryTemplate,
    get_template,
    plan_from_template,
    template_from_data,
)
from renders.pipeline.fonts import font_covers
from renders.pipeline.plan import Limits, parse_plan
from renders.pipeline.spoken_length import LEAD_IN_SEC, estimate_speech_sec

STORY_IDS = sorted(path.stem for path in STORIES_DIR.glob("*.json"))
LENGTHS_SEC = (30, 60, 180)
SHORT_LINE_CHARS = (20, 80)  # "about 30 to 70 characters", with room either side
DEVANAGARI = re.compile(r"[\u0900-\u097f]")
LATIN = re.compile(r"[A-Za-z]")
ALIAS_EN = re.compile(r"[A-Za-z][A-Za-z' -]*")


def _texts(template: StoryTemplate) -> list[str]:
    texts = [template.title_en, template.title_hi, template.description_en, template.description_hi]
    texts += [*template.aliases_en, *template.aliases_hi, *template.tags]
    for scene in template.scenes:
        texts += [scene.narration_en, scene.narration_hi, scene.short_en, scene.short_hi]
    return texts


def test_the_library_holds_the_stories_the_files_hold() -> None:
    assert len(STORY_IDS) >= 5
    assert {"prahlad", "ganga-avatar", "dhruva", "shabari", "sudama"} <= set(STORY_IDS)


@pytest.mark.parametrize("story_id", STORY_IDS)
def test_it_loads_the_file_with_every_field_the_schema_requires(story_id: str) -> None:
    data = json.loads((STORIES_DIR / f"{story_id}.json").read_text(encoding="utf-8"))

    template = template_from_data(data, where=f"{story_id}.json")

    assert template == get_template(story_id)
    assert MIN_SCENES <= len(template.scenes) <= MAX_SCENES
    assert isinstance(data.get("order"), int), "order: the five first stories keep theirs, new ones use 100 and up"


@pytest.mark.parametrize("story_id", STORY_IDS)
@pytest.mark.parametrize("language", ["en", "hi"])
@pytest.mark.parametrize("length_sec", LENGTHS_SEC)
def test_it_parses_as_a_plan_spoken_within_the_length(story_id: str, language: str, length_sec: int) -> None:
    data = plan_from_template(get_template(story_id), language=language, length_sec=length_sec)

    plan = parse_plan(data)

    assert plan.language == language and plan.scenes
    # As long as asked, unless every scene is already as long as a scene may be (8 scenes fill 160 s).
    full = all(scene.duration_sec == Limits().max_scene_duration_sec for scene in plan.scenes)
    assert abs(plan.requested_duration_sec - length_sec) <= 0.25 or full
    padding = Limits().narration_padding_sec
    for scene in plan.scenes:
        speech = estimate_speech_sec(scene.narration, language) * SPEECH_MARGIN[language]
        assert LEAD_IN_SEC + speech + padding <= scene.duration_sec, (scene.narration, scene.duration_sec)
        assert scene.narration_alt


@pytest.mark.parametrize("story_id", STORY_IDS)
@pytest.mark.parametrize("language", ["en", "hi"])
def test_it_tells_every_scene_in_full_at_its_own_pacing_within_the_limits(story_id: str, language: str) -> None:
    template = get_template(story_id)

    plan = parse_plan(plan_from_template(template, language=language))

    # Both tellings have a narration for every scene: the same scene count in each language.
    assert len(plan.scenes) == len(template.scenes)
    for plan_scene, scene in zip(plan.scenes, template.scenes, strict=True):
        assert plan_scene.narration == scene.narration(language)
        assert plan_scene.narration_alt == scene.narration("hi" if language == "en" else "en")


@pytest.mark.parametrize("story_id", STORY_IDS)
def test_every_character_is_in_the_bundled_font(story_id: str) -> None:
    for text in _texts(get_template(story_id)):
        assert font_covers(text) == [], (story_id, text)


@pytest.mark.parametrize("story_id", STORY_IDS)
def test_it_names_the_story_in_both_scripts(story_id: str) -> None:
    template = get_template(story_id)

    assert template.aliases_en and template.aliases_hi
    for alias in template.aliases_en:
        assert ALIAS_EN.fullmatch(alias), (story_id, alias)
    for alias in template.aliases_hi:
        assert DEVANAGARI.search(alias) and not LATIN.search(alias), (story_id, alias)
    assert len({alias.casefold() for alias in template.aliases_en}) == len(template.aliases_en), "duplicate alias"
    assert len(set(template.aliases_hi)) == len(template.aliases_hi), "duplicate alias"


@pytest.mark.parametrize("story_id", STORY_IDS)
def test_it_gives_every_scene_a_short_line_in_each_language(story_id: str) -> None:
    low, high = SHORT_LINE_CHARS
    for scene in get_template(story_id).scenes:
        for short, full in ((scene.short_en, scene.narration_en), (scene.short_hi, scene.narration_hi)):
            assert low <= len(short) <= high, (story_id, short, len(short))
            assert len(short) < len(full), (story_id, short)
        assert scene.short_en.isascii() and scene.short_en.rstrip("'").endswith((".", "?", "!")), scene.short_en
        assert DEVANAGARI.search(scene.short_hi) and not LATIN.search(scene.short_hi), scene.short_hi
        assert scene.short_hi.rstrip("'").endswith(("।", "?", "!")) and "." not in scene.short_hi, scene.short_hi
