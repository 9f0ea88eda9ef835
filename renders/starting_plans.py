"""Plans to start from by a story template's id (the create page's `?template=`, `render --template`),
and the story a free-text topic names (a render created from a topic, offline).

The story templates belong to the library app, which sits above renders: it registers its
planner here at start-up (`LibraryConfig.ready`), so renders never imports it. Without the
library app installed, every id is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class UnknownStartingPlan(LookupError):
    """No template has this id; the message, for a person, lists the ids there are."""


@dataclass(frozen=True)
class StartingPlan:
    plan: dict[str, Any]  # plan data, the shape parse_plan accepts
    title: str  # the story's title in the plan's language


# (template_id, **options) -> StartingPlan; raises UnknownStartingPlan, or ValueError for bad options.
TemplatePlanner = Callable[..., StartingPlan]

_planners: list[TemplatePlanner] = []


def register_template_planner(planner: TemplatePlanner) -> None:
    if planner not in _planners:
        _planners.append(planner)


def plan_from_template_id(template_id: str, **options: Any) -> StartingPlan:
    """The template's plan with `options` (language, voice, length_sec, aspect, resolution, mode, limits)."""
    if not _planners:
        raise UnknownStartingPlan(f"Unknown story template {template_id!r}: no story templates are installed")
    return _planners[0](template_id, **options)


@dataclass(frozen=True)
class StoryRef:
    """A library story as renders sees it: enough to name it, suggest it, or plan it by id."""

    id: str
    title_en: str
    title_hi: str


# topic -> (the story it names or None, the closest stories when none)
TopicMatcher = Callable[[str], tuple[StoryRef | None, list[StoryRef]]]

_matchers: list[TopicMatcher] = []


def register_topic_matcher(matcher: TopicMatcher) -> None:
    if matcher not in _matchers:
        _matchers.append(matcher)


def match_story(topic: str) -> tuple[StoryRef | None, list[StoryRef]]:
    """The story a topic names (titles and aliases, both scripts), else None and the closest stories."""
    if not _matchers:
        return None, []
    return _matchers[0](topic)
