"""Story templates: ready-made devotional stories a creator starts from, and the plans they become.

Each template is a JSON file in `library/stories/` (so writers can edit content without touching
code) holding bilingual titles, descriptions and narration. `plan_from_template` turns one into
plan data that `renders.pipeline.plan.parse_plan` accepts, in either language. No Django here, so
the render CLI and the pipeline can use it as well as the web and API.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from renders.pipeline.plan import ASPECTS, LANGUAGES, MODES, RESOLUTIONS, STYLES, VOICES, Limits

STORIES_DIR = Path(__file__).resolve().parent / "stories"
MIN_SCENES = 6
MAX_SCENES = 10
# Durations are rounded to this step (seconds): finer precision means nothing on screen.
DURATION_STEP = 0.5
MIN_SCENE_SEC = 1.0
# A template always has a music bed (plan.MUSIC also allows "none", which a creator may pick).
_TEMPLATE_MUSIC = ("tanpura", "bells")


@dataclass(frozen=True)
class StoryScene:
    image_prompt: str
    narration_en: str
    narration_hi: str
    duration_sec: float

    def narration(self, language: str) -> str:
        return self.narration_hi if language == "hi" else self.narration_en


@dataclass(frozen=True)
class StoryTemplate:
    id: str
    title_en: str
    title_hi: str
    description_en: str
    description_hi: str
    style: str
    music: str
    tags: tuple[str, ...]
    scenes: tuple[StoryScene, ...]
    order: int = 1000

    def title(self, language: str) -> str:
        return self.title_hi if language == "hi" else self.title_en

    def description(self, language: str) -> str:
        return self.description_hi if language == "hi" else self.description_en

    @property
    def duration_sec(self) -> float:
        return sum(scene.duration_sec for scene in self.scenes)


class UnknownTemplate(KeyError):
    """No story template has this id. The message lists the ids there are."""

    def __init__(self, template_id: str, valid_ids: tuple[str, ...] | None = None):
        super().__init__(template_id)
        self.template_id = template_id
        self.valid_ids = valid_ids if valid_ids is not None else tuple(t.id for t in list_templates())

    def __str__(self) -> str:
        # KeyError's own __str__ would print the repr of its argument; a person reads this one.
        return f"Unknown story template {self.template_id!r}; choose one of: {', '.join(self.valid_ids)}"


class TemplateFileError(ValueError):
    """A story template file is malformed: a content bug, caught by the tests, never a user error."""


def _require_text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TemplateFileError(f"{where}: {key} must be non-empty text")
    return value.strip()


def _require_choice(data: dict[str, Any], key: str, choices: tuple[str, ...], where: str) -> str:
    value = data.get(key)
    if value not in choices:
        raise TemplateFileError(f"{where}: {key} must be one of {', '.join(choices)} (got {value!r})")
    return str(value)


def _scene_from_data(raw: object, where: str) -> StoryScene:
    if not isinstance(raw, dict):
        raise TemplateFileError(f"{where}: must be an object")
    duration = raw.get("duration_sec")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 1 <= duration <= 20:
        raise TemplateFileError(f"{where}: duration_sec must be a number of seconds (got {duration!r})")
    return StoryScene(
        image_prompt=_require_text(raw, "image_prompt", where),
        narration_en=_require_text(raw, "narration_en", where),
        narration_hi=_require_text(raw, "narration_hi", where),
        duration_sec=float(duration),
    )


def template_from_data(data: object, where: str = "template") -> StoryTemplate:
    """Build a StoryTemplate from a template file's parsed JSON, or raise TemplateFileError."""
    if not isinstance(data, dict):
        raise TemplateFileError(f"{where}: must be a JSON object")
    raw_scenes = data.get("scenes")
    if not isinstance(raw_scenes, list) or not MIN_SCENES <= len(raw_scenes) <= MAX_SCENES:
        raise TemplateFileError(f"{where}: scenes must be a list of {MIN_SCENES} to {MAX_SCENES} scenes")
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag for tag in tags):
        raise TemplateFileError(f"{where}: tags must be a list of words")
    order = data.get("order", 1000)
    if isinstance(order, bool) or not isinstance(order, int):
        raise TemplateFileError(f"{where}: order must be a whole number")
    return StoryTemplate(
        id=_require_text(data, "id", where),
        title_en=_require_text(data, "title_en", where),
        title_hi=_require_text(data, "title_hi", where),
        description_en=_require_text(data, "description_en", where),
        description_hi=_require_text(data, "description_hi", where),
        style=_require_choice(data, "style", STYLES, where),
        music=_require_choice(data, "music", _TEMPLATE_MUSIC, where),
        tags=tuple(tags),
        scenes=tuple(_scene_from_data(raw, f"{where} scenes[{index}]") for index, raw in enumerate(raw_scenes)),
        order=order,
    )


@cache
def _load_templates() -> tuple[StoryTemplate, ...]:
    templates: list[StoryTemplate] = []
    for path in sorted(STORIES_DIR.glob("*.json")):
        template = template_from_data(json.loads(path.read_text(encoding="utf-8")), where=path.name)
        if template.id != path.stem:
            raise TemplateFileError(f"{path.name}: id {template.id!r} must match the file name")
        templates.append(template)
    # The curated order first (the best-known stories lead the gallery), then by title.
    return tuple(sorted(templates, key=lambda template: (template.order, template.title_en)))


def list_templates() -> list[StoryTemplate]:
    """Every story template, in gallery order. Loaded once per process."""
    return list(_load_templates())


def get_template(template_id: str) -> StoryTemplate:
    """The template with this id, or raise UnknownTemplate listing the valid ids."""
    templates = _load_templates()
    for template in templates:
        if template.id == template_id:
            return template
    raise UnknownTemplate(template_id, tuple(template.id for template in templates))


def template_thumbnail_prompt(template: StoryTemplate) -> str:
    """The prompt a gallery card's thumbnail is painted from: the story's opening image."""
    return template.scenes[0].image_prompt


def _round_to_step(value: float) -> float:
    return round(value / DURATION_STEP) * DURATION_STEP


def _round_down_to_step(value: float) -> float:
    return math.floor(value / DURATION_STEP) * DURATION_STEP


def scaled_durations(durations: list[float], length_sec: float, max_scene_sec: float) -> list[float]:
    """Scene durations scaled so they add up to length_sec, each on the 0.5 s grid.

    Rounds the running total rather than each scene, so rounding errors do not pile up: the sum
    lands within half a step of length_sec unless the per-scene clamp (MIN_SCENE_SEC to
    max_scene_sec) makes that impossible, e.g. 100 s asked of 3 scenes capped at 20 s.
    """
    factor = length_sec / sum(durations)
    scaled: list[float] = []
    running = 0.0
    placed = 0.0
    for duration in durations:
        running += duration * factor
        boundary = _round_to_step(running)
        scaled.append(boundary - placed)
        placed = boundary
    return [min(max(duration, MIN_SCENE_SEC), _round_down_to_step(max_scene_sec)) for duration in scaled]


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)} (got {value!r})")


def plan_from_template(
    template: StoryTemplate,
    *,
    language: str = "en",
    voice: str = "female",
    length_sec: float | None = None,
    aspect: str = "16:9",
    resolution: str = "1080p",
    mode: str = "final",
    limits: Limits | None = None,
) -> dict[str, Any]:
    """Plan data (the JSON shape parse_plan accepts) telling this story in `language`.

    Each scene carries the other language's narration as narration_alt, so subtitles or a
    second voice track can use it. length_sec, when given, scales the scene durations
    proportionally; it must be positive and within the plan's total-duration limit (`limits`,
    the plan defaults unless the caller runs with other limits).
    """
    _check_choice("language", language, LANGUAGES)
    _check_choice("voice", voice, VOICES)
    _check_choice("aspect", aspect, ASPECTS)
    _check_choice("resolution", resolution, RESOLUTIONS)
    _check_choice("mode", mode, MODES)
    limits = limits or Limits()
    durations = [scene.duration_sec for scene in template.scenes]
    if length_sec is not None:
        if isinstance(length_sec, bool) or not isinstance(length_sec, (int, float)) or not math.isfinite(length_sec):
            raise ValueError(f"length_sec must be a number of seconds (got {length_sec!r})")
        if not 0 < length_sec <= limits.max_total_duration_sec:
            raise ValueError(
                f"length_sec must be more than 0 and at most {limits.max_total_duration_sec:g} seconds "
                f"(got {length_sec:g})"
            )
        durations = scaled_durations(durations, float(length_sec), limits.max_scene_duration_sec)
    else:
        longest = _round_down_to_step(limits.max_scene_duration_sec)
        durations = [min(duration, longest) for duration in durations]
    alt_language = "hi" if language == "en" else "en"
    return {
        "title": template.title(language),
        "topic": template.description(language),
        "language": language,
        "voice": voice,
        "style": template.style,
        "aspect": aspect,
        "resolution": resolution,
        "mode": mode,
        "music": template.music,
        "watermark": "br",
        "scenes": [
            {
                "image_prompt": scene.image_prompt,
                "narration": scene.narration(language),
                "narration_alt": scene.narration(alt_language),
                "duration_sec": duration,
            }
            for scene, duration in zip(template.scenes, durations, strict=True)
        ],
    }
