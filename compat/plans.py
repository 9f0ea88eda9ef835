"""Plans in the older shape, to ours and back.

Theirs: `{"topic", "language", "voice": "F", "scenes": [{"prompt", "narration", "duration"}]}`
(plus any of our plan settings, passed through). Ours: `renders.pipeline.plan` (`image_prompt`,
`duration_sec`, `voice: "female"`). A plan this module writes in their shape comes back through
`plan_from_legacy` unchanged, so "a complete plan ready to submit" really is.

Their smoke form `{"topic", "images": [...], "duration"}` names pictures by file name: one that
is the caller's own upload (`uploads/<id>/…`) is used, any other is painted from the topic
instead, and the answer's `notes` say so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from compat.mappings import UnknownValue, aspect_for_platform, legacy_voice, our_language, our_voice
from renders.pipeline.plan import LANGUAGES, MAX_TITLE_CHARS, PlanError
from renders.story_splitter import estimate_duration_sec, split_story
from renders.uploads import upload_problem

# Their scene keys → ours; every other scene key is ours already and passes through.
SCENE_KEYS: dict[str, str] = {"prompt": "image_prompt", "duration": "duration_sec"}
LEGACY_SCENE_KEYS: dict[str, str] = {ours: theirs for theirs, ours in SCENE_KEYS.items()}
DEFAULT_TITLE = "Untitled video"


@dataclass
class Translated:
    plan: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _title(given: object, topic: object) -> str:
    for text in (given, topic):
        if isinstance(text, str) and text.strip():
            return text.strip()[:MAX_TITLE_CHARS]
    return DEFAULT_TITLE


def _scene(raw: object) -> object:
    if not isinstance(raw, Mapping):
        return raw  # parse_plan names the scene that is not an object
    return {SCENE_KEYS.get(key, key): value for key, value in raw.items()}


def _fill_durations(scenes: list[Any], language: str) -> None:
    # Their plans may leave a scene's length to the narration; ours always states one.
    for scene in scenes:
        if isinstance(scene, dict) and scene.get("duration_sec") is None:
            narration = scene.get("narration")
            spoken = estimate_duration_sec(narration, language) if isinstance(narration, str) and narration else 3.0
            scene["duration_sec"] = min(spoken, float(settings.MAX_SCENE_DURATION_SEC))


def _translated_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    plan = {key: value for key, value in data.items() if key not in {"scenes", "images", "duration", "webhook_url"}}
    errors: dict[str, str] = {}
    for key, translate in (("voice", our_voice), ("language", our_language)):
        if isinstance(plan.get(key), str):
            try:
                plan[key] = translate(plan[key])
            except UnknownValue as error:
                errors[key] = str(error)
    if errors:
        raise PlanError(errors)
    return plan


def plan_from_legacy(data: Mapping[str, Any], *, owner: User) -> Translated:
    """Our plan data for their plan or smoke form (validated later by the render services)."""
    plan = _translated_settings(data)
    plan["title"] = _title(plan.get("title"), plan.get("topic"))
    language = str(plan["language"]) if plan.get("language") in LANGUAGES else "en"
    if "scenes" in data:
        scenes = [_scene(scene) for scene in data["scenes"]] if isinstance(data["scenes"], list) else data["scenes"]
        if isinstance(scenes, list):
            _fill_durations(scenes, language)
        plan["scenes"] = scenes
        return Translated(plan)
    return _smoke_plan(plan, data, owner=owner)


def _smoke_plan(plan: dict[str, Any], data: Mapping[str, Any], *, owner: User) -> Translated:
    images = data.get("images")
    if not isinstance(images, list) or not images or not all(isinstance(name, str) for name in images):
        raise PlanError({"images": "must be a list of picture file names (or send `scenes`)"})
    if len(images) > settings.MAX_SCENES:
        raise PlanError({"images": f"at most {settings.MAX_SCENES} pictures (one scene each)"}, limit="MAX_SCENES")
    duration = data.get("duration", 10)
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int | float)
        or not math.isfinite(duration)
        or duration <= 0
    ):
        raise PlanError({"duration": "must be a positive number of seconds"})
    topic = str(plan.get("topic") or plan["title"])
    scene_sec = min(float(settings.MAX_SCENE_DURATION_SEC), max(1.0, round(float(duration) / len(images), 1)))
    notes: list[str] = []
    scenes = []
    for name in images:
        scene: dict[str, Any] = {"image_prompt": topic, "narration": topic, "duration_sec": scene_sec}
        if upload_problem(owner=owner, name=name):
            notes.append(f"{name!r} is not one of your uploads; that scene is painted from the topic instead.")
        else:
            scene["image"] = name
        scenes.append(scene)
    plan["scenes"] = scenes
    return Translated(plan, notes)


def legacy_plan(plan: Mapping[str, Any]) -> dict[str, Any]:
    """Our plan data in their shape (`voice: "F"`, scenes with `prompt` and `duration`)."""
    legacy = dict(plan)
    if isinstance(legacy.get("voice"), str):
        legacy["voice"] = legacy_voice(legacy["voice"])
    scenes = legacy.get("scenes")
    if isinstance(scenes, list):
        legacy["scenes"] = [
            {LEGACY_SCENE_KEYS.get(key, key): value for key, value in scene.items()}
            if isinstance(scene, dict)
            else scene
            for scene in scenes
        ]
    return legacy


def legacy_error_path(path: str) -> str:
    """`scenes[0].image_prompt` → `scenes[0].prompt`: plan errors named as the client sent them."""
    head, dot, last = path.rpartition(".")
    return f"{head}{dot}{LEGACY_SCENE_KEYS[last]}" if dot and last in LEGACY_SCENE_KEYS else path


# --- The job queue service's video_request --------------------------------------------------------


def plan_from_video_request(request: Mapping[str, Any]) -> Translated:
    """Our plan for their `video_request`: the script split into scenes, stretched toward `duration`.

    Raises PlanError naming `video_request.<field>`.
    """
    errors: dict[str, str] = {}
    try:
        language = our_language(request.get("language") or "en")
    except UnknownValue as error:
        errors["video_request.language"] = str(error)
        language = "en"
    try:
        aspect = aspect_for_platform(request.get("platform") or "youtube")
    except UnknownValue as error:
        errors["video_request.platform"] = str(error)
        aspect = "16:9"
    try:
        scenes = split_story(request["script_content"], language, max_scenes=settings.MAX_SCENES)
    except ValueError as error:
        errors["video_request.script_content"] = str(error)
        scenes = []
    if errors:
        raise PlanError(errors)
    notes = []
    target = request.get("duration")
    spoken = sum(scene["duration_sec"] for scene in scenes)
    if target and target > spoken:
        # Longer than the narration needs: every scene lingers in proportion (within the scene limit).
        stretch = target / spoken
        for scene in scenes:
            scene["duration_sec"] = min(
                float(settings.MAX_SCENE_DURATION_SEC), round(scene["duration_sec"] * stretch, 1)
            )
    elif target and target < spoken:
        notes.append(f"The script needs about {spoken:.0f} s spoken; the video is that long, not {target} s.")
    if request.get("voice_provider"):
        notes.append("voice_provider is accepted; the server's configured speech provider is used.")
    plan = {
        "title": _title(request.get("title"), request["script_content"].split("\n", 1)[0][:60]),
        "language": language,
        "aspect": aspect,
        "scenes": scenes,
    }
    return Translated(plan, notes)
