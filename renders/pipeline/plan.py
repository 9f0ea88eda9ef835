"""The render plan: its dataclasses and its validation. No Django here.

`parse_plan` is the one gate every plan passes (CLI, web form, API). It collects every
problem it finds, keyed by the field's path (`scenes[2].duration_sec`), so a creator sees all
of them at once, and raises `PlanError`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from renders.pipeline.spoken_length import estimate_speech_sec, scene_sec

LANGUAGES = ("en", "hi")
# Each language's name in English and in itself, and its script where that is not Latin: the one
# table the forms, the providers' prompts and the YouTube caption tracks word their labels from.
LANGUAGE_NAMES = {"en": "English", "hi": "Hindi"}
NATIVE_LANGUAGE_NAMES = {"en": "English", "hi": "हिन्दी"}
LANGUAGE_SCRIPTS = {"hi": "Devanagari"}
VOICES = ("male", "female")
ASPECTS = ("16:9", "9:16", "1:1")
RESOLUTIONS = ("720p", "1080p", "4k")
MODES = ("proxy", "final")
MUSIC = ("tanpura", "bells", "none")
WATERMARKS = ("none", "tl", "tr", "bl", "br")
STYLES = (
    "temple-painting", "watercolor", "miniature", "cinematic", "storybook", "warli", "madhubani", "pichwai",
    "shadow-puppet",
)  # fmt: skip
# Burned-in captions: `lines` (sentence cues at the bottom), `words` (2–4 words big and centred,
# the word being spoken highlighted), `none` (nothing burned in; the SRT/VTT files are still made).
CAPTIONS = ("lines", "words", "none")
# Vertical Shorts are watched muted on phones, where word captions are expected; a wide video keeps
# quiet sentence lines; a square one (feeds, often muted too) gets word captions.
DEFAULT_CAPTIONS = {"16:9": "lines", "9:16": "words", "1:1": "words"}
# What the burned captions show: the narration's language (`main`), that plus the other language's
# line smaller beneath (`both`, where scenes have narration_alt), or Hindi also in Roman letters (`roman`).
SUBTITLES_ON_SCREEN = ("main", "both", "roman")

MAX_TITLE_CHARS = 120
MAX_TOPIC_CHARS = 300
MAX_PROMPT_CHARS = 500
MAX_NARRATION_CHARS = 1200

# Short side in pixels for each resolution; the long side follows the aspect.
SHORT_SIDE = {"720p": 720, "1080p": 1080, "4k": 2160}


@dataclass(frozen=True)
class Limits:
    max_scenes: int = 20
    max_scene_duration_sec: float = 20
    max_total_duration_sec: float = 600
    # Not a limit but part of every narrated scene's length (RenderSettings.narration_padding_sec),
    # so the duration limits can be checked against what the narration will really need.
    narration_padding_sec: float = 0.6


@dataclass(frozen=True)
class Scene:
    image_prompt: str
    narration: str
    duration_sec: float
    narration_alt: str = ""
    image: str | None = None
    stock_footage: bool = False  # show a stock clip (searched by the prompt's keywords) instead of a still


@dataclass(frozen=True)
class Plan:
    title: str
    scenes: tuple[Scene, ...]
    topic: str = ""
    language: str = "en"
    voice: str = "female"
    style: str = "temple-painting"
    aspect: str = "16:9"
    resolution: str = "1080p"
    mode: str = "final"
    music: str = "tanpura"
    watermark: str = "none"
    fps: int = 30
    captions: str = "lines"
    subtitles_on_screen: str = "main"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def alt_language(self) -> str:
        return "hi" if self.language == "en" else "en"

    @property
    def requested_duration_sec(self) -> float:
        return sum(scene.duration_sec for scene in self.scenes)

    def frame_size(self, proxy_short_side: int = 360) -> tuple[int, int]:
        """Output width and height (both even) for this plan's aspect, resolution and mode."""
        short = proxy_short_side if self.mode == "proxy" else SHORT_SIDE[self.resolution]
        short -= short % 2
        if self.aspect == "1:1":
            return short, short
        long = round(short * 16 / 9)
        long -= long % 2
        return (long, short) if self.aspect == "16:9" else (short, long)

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data; parse_plan(plan.to_dict()) == plan."""
        data = asdict(self)
        data.pop("extra")
        data["scenes"] = [_scene_dict(scene) for scene in self.scenes]
        return data


def _scene_dict(scene: Scene) -> dict[str, Any]:
    data: dict[str, Any] = {
        "image_prompt": scene.image_prompt,
        "narration": scene.narration,
        "duration_sec": scene.duration_sec,
    }
    if scene.narration_alt:
        data["narration_alt"] = scene.narration_alt
    if scene.image:
        data["image"] = scene.image
    if scene.stock_footage:
        data["stock_footage"] = True
    return data


class PlanError(ValueError):
    """The plan is invalid. `errors` maps a field path to a message a creator can act on.

    `limit` names the setting (MAX_SCENES, MAX_SCENE_DURATION_SEC, MAX_TOTAL_DURATION_SEC) when a
    size limit is why the plan was refused: a requested size first, else a narration's spoken
    length, which the requested durations alone do not show.
    """

    def __init__(self, errors: dict[str, str], *, limit: str | None = None):
        self.errors = errors
        self.limit = limit
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors.items()))


def _choice(data: dict[str, Any], key: str, choices: tuple[str, ...], default: str, errors: dict[str, str]) -> str:
    value = data.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, str) or value not in choices:
        errors[key] = f"must be one of {', '.join(choices)} (got {value!r})"
        return default
    return value


def _text(data: dict[str, Any], key: str, path: str, errors: dict[str, str], *, required: bool, max_chars: int) -> str:
    value: object = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[path] = f"must be text (got {type(value).__name__})"
        return ""
    value = value.strip()
    if required and not value:
        errors[path] = "is required"
    elif len(value) > max_chars:
        errors[path] = f"must be at most {max_chars} characters (got {len(value)})"
    return value


def _scene(raw: object, index: int, limits: Limits, errors: dict[str, str]) -> Scene | None:
    prefix = f"scenes[{index}]"
    if not isinstance(raw, dict):
        errors[prefix] = "must be an object with image_prompt, narration and duration_sec"
        return None
    image = raw.get("image")
    if image is not None and (not isinstance(image, str) or not image.strip()):
        errors[f"{prefix}.image"] = "must be a file path or an uploaded image's name"
        image = None
    prompt = _text(
        raw, "image_prompt", f"{prefix}.image_prompt", errors, required=not image, max_chars=MAX_PROMPT_CHARS
    )
    narration = _text(raw, "narration", f"{prefix}.narration", errors, required=False, max_chars=MAX_NARRATION_CHARS)
    narration_alt = _text(
        raw, "narration_alt", f"{prefix}.narration_alt", errors, required=False, max_chars=MAX_NARRATION_CHARS
    )
    duration = raw.get("duration_sec", 5)
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        errors[f"{prefix}.duration_sec"] = f"must be a number of seconds (got {duration!r})"
        duration = 1
    elif not 1 <= duration <= limits.max_scene_duration_sec:
        errors[f"{prefix}.duration_sec"] = (
            f"must be between 1 and {limits.max_scene_duration_sec:g} seconds (got {duration:g})"
        )
    stock_footage = raw.get("stock_footage", False)
    if stock_footage is None:
        stock_footage = False
    if not isinstance(stock_footage, bool):
        errors[f"{prefix}.stock_footage"] = f"must be true or false (got {stock_footage!r})"
        stock_footage = False
    elif stock_footage and image:
        # Refused rather than silently picking one: the creator asked for two different pictures.
        errors[f"{prefix}.stock_footage"] = (
            "cannot be used with the scene's own picture: remove the picture or turn stock footage off"
        )
    return Scene(
        image_prompt=prompt,
        narration=narration,
        narration_alt=narration_alt,
        duration_sec=float(duration),
        image=image.strip() if image else None,
        stock_footage=stock_footage,
    )


def parse_plan(data: object, limits: Limits | None = None) -> Plan:
    """Validate raw plan data (parsed JSON) and return a Plan, or raise PlanError."""
    limits = limits or Limits()
    if not isinstance(data, dict):
        raise PlanError({"plan": "must be a JSON object with a title and scenes"})
    errors: dict[str, str] = {}
    title = _text(data, "title", "title", errors, required=True, max_chars=MAX_TITLE_CHARS)
    topic = _text(data, "topic", "topic", errors, required=False, max_chars=MAX_TOPIC_CHARS)
    language = _choice(data, "language", LANGUAGES, "en", errors)
    voice = _choice(data, "voice", VOICES, "female", errors)
    style = _choice(data, "style", STYLES, "temple-painting", errors)
    aspect = _choice(data, "aspect", ASPECTS, "16:9", errors)
    resolution = _choice(data, "resolution", RESOLUTIONS, "1080p", errors)
    mode = _choice(data, "mode", MODES, "final", errors)
    music = _choice(data, "music", MUSIC, "tanpura", errors)
    watermark = _choice(data, "watermark", WATERMARKS, "none", errors)
    captions = _choice(data, "captions", CAPTIONS, DEFAULT_CAPTIONS[aspect], errors)
    on_screen = _choice(data, "subtitles_on_screen", SUBTITLES_ON_SCREEN, "main", errors)
    if on_screen == "roman" and language != "hi" and "subtitles_on_screen" not in errors:
        errors["subtitles_on_screen"] = "roman shows Hindi narration in Roman letters, so it needs language hi"
    fps = data.get("fps", 30)
    if isinstance(fps, bool) or not isinstance(fps, int) or fps not in (24, 25, 30):
        errors["fps"] = f"must be 24, 25 or 30 (got {fps!r})"
        fps = 30

    raw_scenes = data.get("scenes")
    scenes: list[Scene] = []
    requested_limit: str | None = None  # the limit the requested sizes broke, if any
    spoken_limit: str | None = None  # the limit a narration's spoken length broke, if any
    if not isinstance(raw_scenes, list) or not raw_scenes:
        errors["scenes"] = f"must be a list of 1 to {limits.max_scenes} scenes"
    elif len(raw_scenes) > limits.max_scenes:
        errors["scenes"] = f"must have at most {limits.max_scenes} scenes (got {len(raw_scenes)})"
        requested_limit = "MAX_SCENES"
    else:
        spoken_total = 0.0
        for index, raw in enumerate(raw_scenes):
            scene = _scene(raw, index, limits, errors)
            if scene is None:
                continue
            scenes.append(scene)
            if scene.duration_sec > limits.max_scene_duration_sec:
                requested_limit = requested_limit or "MAX_SCENE_DURATION_SEC"
            # A scene lasts as long as its narration needs, whatever duration_sec asks for.
            speech = estimate_speech_sec(scene.narration, language)
            spoken = scene_sec(scene.duration_sec, speech, limits.narration_padding_sec)
            spoken_total += spoken
            path = f"scenes[{index}]"
            already_wrong = f"{path}.narration" in errors or f"{path}.duration_sec" in errors
            if spoken > limits.max_scene_duration_sec and not already_wrong:
                errors[f"{path}.narration"] = (
                    f"takes about {speech:.1f} seconds to speak, so the scene would last about {spoken:.1f}, more "
                    f"than the {limits.max_scene_duration_sec:g} seconds a scene may last; shorten it or split it "
                    "over more scenes"
                )
                spoken_limit = spoken_limit or "MAX_SCENE_DURATION_SEC"
        total = sum(scene.duration_sec for scene in scenes)
        if total > limits.max_total_duration_sec:
            errors["scenes"] = (
                f"total duration must be at most {limits.max_total_duration_sec:g} seconds (got {total:g})"
            )
            requested_limit = requested_limit or "MAX_TOTAL_DURATION_SEC"
        elif spoken_total > limits.max_total_duration_sec:
            errors["scenes"] = (
                f"with their narration spoken, the scenes last about {spoken_total:.1f} seconds, more than the "
                f"{limits.max_total_duration_sec:g} seconds a video may last; shorten the narration or use fewer scenes"
            )
            spoken_limit = spoken_limit or "MAX_TOTAL_DURATION_SEC"

    if errors:
        raise PlanError(errors, limit=requested_limit or spoken_limit)
    known = {
        "title", "topic", "language", "voice", "style", "aspect", "resolution", "mode", "music",
        "watermark", "fps", "captions", "subtitles_on_screen", "scenes",
    }  # fmt: skip
    return Plan(
        title=title,
        topic=topic,
        language=language,
        voice=voice,
        style=style,
        aspect=aspect,
        resolution=resolution,
        mode=mode,
        music=music,
        watermark=watermark,
        fps=fps,
        captions=captions,
        subtitles_on_screen=on_screen,
        scenes=tuple(scenes),
        extra={key: value for key, value in data.items() if key not in known},
    )
