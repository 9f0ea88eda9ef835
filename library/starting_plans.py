"""The story templates as starting plans for renders (registered by LibraryConfig.ready)."""

from __future__ import annotations

from typing import Any

from library.stories import UnknownTemplate, get_template, plan_from_template
from renders.starting_plans import StartingPlan, UnknownStartingPlan


def plan_from_story_template(template_id: str, **options: Any) -> StartingPlan:
    try:
        template = get_template(template_id)
    except UnknownTemplate as error:
        raise UnknownStartingPlan(str(error)) from None
    plan = plan_from_template(template, **options)
    return StartingPlan(plan=plan, title=template.title(plan["language"]))
