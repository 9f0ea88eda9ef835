"""A topic becomes a render job in one call: its script is written first, then it renders.

With OpenAI configured the chat model writes the scenes to the requested length; offline (or
when that call fails) the topic is matched against the story library and that story is told at
the requested length. A topic nothing can be written for is refused here, before a job exists:
a job never fails later for want of a script.

The script is written at creation (milliseconds offline, one chat call with OpenAI), so the
Idempotency-Key, the start rate, the quotas and the cost guard all cover it, and the job is
stored with its finished plan (shown and duplicable like any other). The job's `script` step
(its timing, its log line) records how it was written.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from renders.costs import estimate_script_cost, estimate_topic_plan_cost
from renders.models import DEFAULT_PRIORITY, RenderJob
from renders.pipeline.plan import PlanError
from renders.script_service import ScriptUnavailable, draft_plan, script_provider
from renders.services import ScriptStep, check_job_allowed, check_priority, job_create, plan_limits
from renders.starting_plans import StoryRef, match_story, plan_from_template_id

logger = logging.getLogger(__name__)

MIN_TARGET_SEC = 15
MAX_TARGET_SEC = 600
# Plan settings a topic request may set; the script decides title, scenes and (offline) style and music.
PLAN_SETTINGS = (
    "voice", "style", "aspect", "resolution", "mode", "music", "watermark", "captions", "subtitles_on_screen",
)  # fmt: skip
# A scene the chat model is asked for lasts about this long: one to three spoken sentences.
TARGET_SCENE_SEC = 6.0


class TopicNotFound(Exception):
    """Offline, no story in the library matches the topic. `closest` are the nearest stories."""

    code = "topic_not_found"

    def __init__(self, topic: str, closest: list[StoryRef]):
        self.topic = topic
        self.closest = closest
        names = ", ".join(f"{story.title_en} ({story.id})" for story in closest)
        self.message = (
            f"No story in the library matches the topic {topic!r}, and no script service is configured "
            f"(OPENAI_API_KEY) to write one. Closest stories: {names}. Use one of their titles, or send a plan."
        )
        super().__init__(self.message)


class ScriptFailed(Exception):
    """The chat model could not write the script and no library story matches the topic."""

    code = "script_failed"

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class TopicRequest:
    topic: str
    language: str = "en"
    duration_target: int = 60
    options: dict[str, str] = field(default_factory=dict)  # any of PLAN_SETTINGS


@dataclass(frozen=True)
class TopicScript:
    plan: dict[str, Any]  # valid plan data
    provider: str  # "openai" or "library"
    story_id: str  # the library story told, "" when the chat model wrote it
    cost: Decimal
    seconds: float
    notes: tuple[str, ...] = ()


def _settings_applied(plan: dict[str, Any], options: dict[str, str]) -> dict[str, Any]:
    return {**plan, **{key: value for key, value in options.items() if key in PLAN_SETTINGS and value}}


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def scene_count_for(duration_target: int) -> int:
    """How many scenes the chat model writes for a video of this length, within the plan limits."""
    longest = float(settings.MAX_SCENE_DURATION_SEC)
    wanted = max(math.ceil(duration_target / longest), round(duration_target / TARGET_SCENE_SEC))
    return max(1, min(settings.MAX_SCENES, wanted))


def _told_from_library(story: StoryRef, request: TopicRequest) -> dict[str, Any]:
    options = request.options
    plan = plan_from_template_id(
        story.id,
        language=request.language,
        voice=options.get("voice") or "female",
        length_sec=float(request.duration_target),
        aspect=options.get("aspect") or "16:9",
        resolution=options.get("resolution") or "1080p",
        mode=options.get("mode") or "final",
        limits=plan_limits(),
    ).plan
    return _settings_applied(plan, options)


def _written_by_openai(request: TopicRequest) -> tuple[dict[str, Any], Decimal, list[str]]:
    """Raises ScriptUnavailable when the chat model fails (after its own retries)."""
    scene_count = scene_count_for(request.duration_target)
    scene_sec = min(request.duration_target / scene_count, float(settings.MAX_SCENE_DURATION_SEC))
    draft = draft_plan(
        topic=request.topic,
        language=request.language,
        scene_count=scene_count,
        scene_sec=scene_sec,
        style=request.options.get("style") or "temple-painting",
        voice=request.options.get("voice") or "female",
        aspect=request.options.get("aspect") or "16:9",
    )
    plan = _settings_applied(draft.plan, request.options)
    for scene in plan["scenes"]:
        scene["duration_sec"] = round(scene_sec, 1)  # a scene still stretches to fit its narration
    return plan, draft.cost, list(draft.notes)


def write_script(*, owner: User, request: TopicRequest) -> TopicScript:
    """The plan for a topic. Raises TopicNotFound (offline, nothing matches), ScriptFailed (the
    chat model failed and nothing matches), QuotaExceeded (before any paid call) or PlanError."""
    started = time.monotonic()
    story, closest = match_story(request.topic)
    notes: list[str] = []
    if script_provider() is not None:
        scene_count = scene_count_for(request.duration_target)
        # The cost guard and the quotas before the paid call, with the script's cost in the estimate.
        check_job_allowed(
            owner=owner,
            cost=estimate_script_cost(scene_count=scene_count)
            + estimate_topic_plan_cost(scene_count=scene_count, duration_sec=request.duration_target),
        )
        try:
            plan, cost, notes = _written_by_openai(request)
        except ScriptUnavailable as error:
            logger.warning("topic script by OpenAI failed: %s", error.message)
            if story is None:
                raise ScriptFailed(
                    f"The script service could not write a script for this topic ({error.message.split('.')[0]}), "
                    "and no library story matches it. Try again later, name a library story, or send a plan."
                ) from error
            notes.append(f"The script service failed; the library story “{story.title_en}” was told instead.")
        else:
            return TopicScript(plan, "openai", "", _money(cost), time.monotonic() - started, tuple(notes))
    elif story is None:
        raise TopicNotFound(request.topic, closest)
    assert story is not None
    try:
        plan = _told_from_library(story, request)
    except ValueError as error:  # a length or setting the story cannot be told at
        raise PlanError({"duration_target": str(error)}) from error
    return TopicScript(plan, "library", story.id, Decimal("0"), time.monotonic() - started, tuple(notes))


def topic_job_create(
    *, owner: User, request: TopicRequest, webhook_url: str = "", priority: int = DEFAULT_PRIORITY
) -> RenderJob:
    """Write the topic's script, then create the job from it (quotas and cost checked again).

    The priority is checked first: a refusal must not come after a paid script call."""
    check_priority(owner=owner, priority=priority)
    script = write_script(owner=owner, request=request)
    if script.provider == "openai":
        note = f"Script: written by the chat model for “{request.topic}”, {len(script.plan['scenes'])} scenes"
    else:
        note = f"Script: the library story “{script.plan['title']}” ({script.story_id}) told for {request.duration_target} s"
    for extra in script.notes:
        note += f". {extra}"
    return job_create(
        owner=owner,
        plan_data=script.plan,
        webhook_url=webhook_url,
        script=ScriptStep(seconds=script.seconds, cost=script.cost, note=note),
        priority=priority,
    )
