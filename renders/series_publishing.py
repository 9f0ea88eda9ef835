"""How a series reaches YouTube: the publishing app registers its scheduler here at start-up.

Series live in renders (a render job names its series), but publications are the publishing
app's, which sits above renders: it registers a `SeriesPublisher` in `PublishingConfig.ready`,
so renders never imports it. Without the publishing app installed, a series cannot be scheduled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from renders.models import RenderJob, Series


class SeriesNotPublishable(Exception):
    """The creator cannot schedule publications now (no channel connected); `message` says what to do."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class PublishSettings:
    """What every publication of a series shares; YouTube requires the made-for-kids answer."""

    made_for_kids: bool
    privacy: str = "public"


@dataclass(frozen=True)
class PublicationView:
    """A series item's publication as renders shows it."""

    state: str  # the publishing app's state value: scheduled, queued, uploading, published, failed, canceled
    state_label: str
    publish_at: dt.datetime | None
    youtube_url: str


@dataclass(frozen=True)
class PublicationsCanceled:
    canceled: int  # scheduled (or queued, failed) publications withdrawn
    kept_published: int  # already on YouTube: left there


@dataclass(frozen=True)
class SeriesPublisher:
    # owner -> None; raises SeriesNotPublishable when this owner cannot publish (checked before any job exists)
    check: Callable[[User], None]
    # owner, jobs (in series order), their publish instants, settings -> None; inside the series' transaction
    schedule: Callable[[User, Sequence[RenderJob], Sequence[dt.datetime], PublishSettings], None]
    # owner, series -> counts; cancels what is not published yet
    cancel: Callable[[User, Series], PublicationsCanceled]
    # series -> {job id: its publication}; jobs without one are absent
    publications: Callable[[Series], dict[str, PublicationView]]


_publishers: list[SeriesPublisher] = []


def register_series_publisher(publisher: SeriesPublisher) -> None:
    if publisher not in _publishers:
        _publishers.append(publisher)


def series_publisher() -> SeriesPublisher | None:
    """The registered publisher, or None when no publishing app is installed."""
    return _publishers[0] if _publishers else None


def publishing_refusal(owner: User) -> str:
    """Why this owner cannot schedule a series now ("" when they can): for the studio's form."""
    publisher = series_publisher()
    if publisher is None:
        return "Publishing is not installed on this server."
    try:
        publisher.check(owner)
    except SeriesNotPublishable as refusal:
        return refusal.message
    return ""
