"""What a higher app adds to the job page's polled region, registered at start-up.

The region is rendered without the request's context processors (they would load the session and
the user that a poll spares itself: renders/views.py, job_progress). A context processor whose value
the region uses registers the same rule here, as a function of whether the viewer is staff: the
publishing app's `youtube_offered` (its panel on a finished video).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PollContextSource = Callable[[bool], dict[str, Any]]  # is_staff -> template variables

_sources: list[PollContextSource] = []


def register_poll_context(source: PollContextSource) -> None:
    if source not in _sources:
        _sources.append(source)


def poll_context(*, is_staff: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for source in _sources:
        values.update(source(is_staff))
    return values
