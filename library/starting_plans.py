"""The story templates as starting plans for renders (registered by LibraryConfig.ready)."""

from __future__ import annotations

from typing import Any

from library.stories import StoryTemplate, UnknownTemplate, get_template, plan_from_template
from library.topic_match import match_topic
from renders.starting_plans import StartingPlan, StoryRef, UnknownStartingPlan


def plan_from_story_template(template_id: str, **options: Any) -> StartingPlan:
    try:
        template = get_template(template_id)
    except UnknownTemplate as error:
        raise UnknownStartingPlan(str(error)) from None
    plan = plan_from_template(template, **options)
    return StartingPlan(plan=plan, title=template.title(plan["language"]))


def _ref(story: StoryTemplate) -> StoryRef:
    return StoryRef(id=story.id, title_en=story.title_en, title_hi=story.title_hi)


def story_for_topic(topic: str) -> tuple[StoryRef | None, list[StoryRef]]:
    match = match_topic(topic)
    return (_ref(match.story) if match.story else None), [_ref(story) for story in match.closest]
