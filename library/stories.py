"""Story templates: ready-made devotional stories a creator starts from, and the plans they become.

Each template is a JSON file in `library/stories/` (so writers can edit content without touching
code) holding bilingual titles, descriptions, aliases (the names people search by, in both
scripts), narration and a one-sentence short line per scene. `plan_from_template` turns one into
plan data that `renders.pipeline.plan.parse_plan` accepts, in either language and at a requested
length: the full narration when it can be spoken in time, else the short lines, else fewer
scenes. No Django here, so the render CLI and the pipeline can use it as well as the web and API.
The file format is described in docs/stories.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from renders.pipeline.plan import ASPECTS, LANGUAGES, MODES, RESOLUTIONS, STYLES, VOICES, Limits
from renders.pipeline.spoken_length import LEAD_IN_SEC, estimate_speech_sec

STORIES_DIR = Path(__file__).resolve().parent / "stories"
MIN_SCENES = 6
MAX_SCENES = 10
# Durations are rounded to this step (seconds): finer precision means nothing on screen.
DURATION_STEP = 0.5
MIN_SCENE_SEC = 1.0
# spoken_length estimates at the fast end of the offline voice (so it never refuses a scene that
# fits): real speech ran up to 1.18 times the estimate in English and 1.32 in Hindi (medians 1.06
# and 1.15). A telling planned to fit a length allows that much more, so it really fits.
SPEECH_MARGIN = {"en": 1.2, "hi": 1.32}
# A template always has a music bed (plan.MUSIC also allows "none", which a creator may pick).
_TEMPLATE_MUSIC = ("tanpura", "bells")


@dataclass(frozen=True)
class StoryScene:
    image_prompt: str
    narration_en: str
    narration_hi: str
    duration_sec: float
    # One sentence with the scene's gist, for tellings too short for the full narration.
    short_en: str = ""
    short_hi: str = ""

    def narration(self, language: str) -> str:
        return self.narration_hi if language == "hi" else self.narration_en

    def short(self, language: str) -> str:
        return self.short_hi if language == "hi" else self.short_en


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
    # Other names for the story and its main characters: spelling variants in Latin letters, and Devanagari.
    aliases_en: tuple[str, ...] = ()
    aliases_hi: tuple[str, ...] = ()

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


class LengthTooShort(ValueError):
    """The length asked for cannot hold even one scene's short line, spoken."""


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


def _require_text_list(data: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item.strip() for item in value):
        raise TemplateFileError(f"{where}: {key} must be a non-empty list of names")
    return tuple(item.strip() for item in value)


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
        short_en=_require_text(raw, "short_en", where),
        short_hi=_require_text(raw, "short_hi", where),
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
        aliases_en=_require_text_list(data, "aliases_en", where),
        aliases_hi=_require_text_list(data, "aliases_hi", where),
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


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)} (got {value!r})")


@dataclass(frozen=True)
class Telling:
    """Which scenes a plan tells, with which text, for how long each (the same length as scene_indices)."""

    scene_indices: tuple[int, ...]
    short: bool
    durations: tuple[float, ...]


def needed_sec(text: str, language: str, limits: Limits) -> float:
    """The shortest scene (on the 0.5 s grid) in which `text` is spoken, lead-in, padding and margin included."""
    speech = estimate_speech_sec(text, language) * SPEECH_MARGIN[language]
    return max(MIN_SCENE_SEC, _round_up_to_step(LEAD_IN_SEC + speech + limits.narration_padding_sec))


def _round_up_to_step(value: float) -> float:
    return math.ceil(value / DURATION_STEP - 1e-9) * DURATION_STEP


def evenly_spaced(count: int, total: int) -> list[int]:
    """`count` indices out of range(total), the first and last included (for count >= 2), spread evenly."""
    if count >= total:
        return list(range(total))
    if count == 1:
        return [0]
    return [int(index * (total - 1) / (count - 1) + 0.5) for index in range(count)]


def _fill_durations(needed: list[float], weights: list[float], total_sec: float, max_scene_sec: float) -> list[float]:
    """Each scene at least its need, the rest of total_sec shared in proportion to weights, step by step.

    Proportional targets when every scene's share covers its need (the story keeps its pacing);
    otherwise the scenes that need more get it and the others share what is left. A scene never
    goes past max_scene_sec, so the sum falls short of total_sec only when every scene is full.
    """
    durations = list(needed)
    targets = [weight * total_sec / sum(weights) for weight in weights]
    slack = total_sec - sum(durations)
    while slack >= DURATION_STEP - 1e-9:
        room = [i for i, duration in enumerate(durations) if duration + DURATION_STEP <= max_scene_sec + 1e-9]
        if not room:
            break
        chosen = max(room, key=lambda i: (targets[i] - durations[i], -i))
        durations[chosen] += DURATION_STEP
        slack -= DURATION_STEP
    return durations


def telling_for_length(
    template: StoryTemplate, *, language: str, length_sec: float, limits: Limits | None = None
) -> Telling:
    """How to tell `template` in `language` so its narration can be spoken within length_sec.

    The full narration when every scene's estimated speech fits its share; otherwise the short
    lines; otherwise the short lines of fewer scenes (the first and last kept, the others evenly
    spaced). Raises LengthTooShort (a ValueError) when even one short line cannot be spoken in length_sec.
    """
    limits = limits or Limits()
    total_sec = _round_to_step(length_sec)
    if total_sec > limits.max_total_duration_sec:
        total_sec = _round_down_to_step(limits.max_total_duration_sec)
    max_scene_sec = _round_down_to_step(limits.max_scene_duration_sec)
    scenes = template.scenes
    candidates: list[tuple[list[int], bool]] = [(list(range(len(scenes))), False)]
    candidates += [(evenly_spaced(count, len(scenes)), True) for count in range(len(scenes), 0, -1)]
    shortest = math.inf
    for indices, short in candidates:
        texts = [scenes[i].short(language) if short else scenes[i].narration(language) for i in indices]
        needed = [needed_sec(text, language, limits) for text in texts]
        shortest = min(shortest, sum(needed))
        if sum(needed) <= total_sec and max(needed) <= max_scene_sec:
            weights = [scenes[i].duration_sec for i in indices]
            durations = _fill_durations(needed, weights, total_sec, max_scene_sec)
            return Telling(scene_indices=tuple(indices), short=short, durations=tuple(durations))
    raise LengthTooShort(
        f"length_sec {length_sec:g} is too short to tell this story: even one scene needs about {shortest:g} seconds"
    )


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
    second voice track can use it. Without length_sec the story is told in full at its own pacing.
    With it (positive, within the total-duration limit of `limits`, the plan defaults unless the
    caller runs with other limits), the story is told so that it can be spoken in that time
    (`telling_for_length`): all of it, its short lines, or the short lines of fewer scenes.
    """
    _check_choice("language", language, LANGUAGES)
    _check_choice("voice", voice, VOICES)
    _check_choice("aspect", aspect, ASPECTS)
    _check_choice("resolution", resolution, RESOLUTIONS)
    _check_choice("mode", mode, MODES)
    limits = limits or Limits()
    if length_sec is None:
        longest = _round_down_to_step(limits.max_scene_duration_sec)
        telling = Telling(
            scene_indices=tuple(range(len(template.scenes))),
            short=False,
            durations=tuple(min(scene.duration_sec, longest) for scene in template.scenes),
        )
    else:
        if isinstance(length_sec, bool) or not isinstance(length_sec, (int, float)) or not math.isfinite(length_sec):
            raise ValueError(f"length_sec must be a number of seconds (got {length_sec!r})")
        if not 0 < length_sec <= limits.max_total_duration_sec:
            raise ValueError(
                f"length_sec must be more than 0 and at most {limits.max_total_duration_sec:g} seconds "
                f"(got {length_sec:g})"
            )
        telling = telling_for_length(template, language=language, length_sec=float(length_sec), limits=limits)
    alt_language = "hi" if language == "en" else "en"

    def text(scene: StoryScene, in_language: str) -> str:
        return scene.short(in_language) if telling.short else scene.narration(in_language)

    chosen = [template.scenes[index] for index in telling.scene_indices]
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
                "narration": text(scene, language),
                "narration_alt": text(scene, alt_language),
                "duration_sec": duration,
            }
            for scene, duration in zip(chosen, telling.durations, strict=True)
        ],
    }
