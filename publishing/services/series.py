"""A series' publications: one per item, made when the series is, before its videos are rendered.

Registered with renders as its `SeriesPublisher` (`PublishingConfig.ready`). Each publication is
`upload_when_due` at its item's instant: the every-minute task (`enqueue_due_publications`) queues
it once it is due *and* its render has succeeded. A render still running at its publish time is
uploaded as soon as it finishes (late, rather than never); a failed render's publication waits
for a retry of the render, and canceling the series withdraws it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from publishing.models import Privacy, Publication, PublicationState, Timing, YouTubeChannel
from publishing.services.scheduling import TITLE_MAX, PublishActionError, publication_cancel
from renders.models import RenderJob, Series
from renders.series_publishing import (
    PublicationsCanceled,
    PublicationView,
    PublishSettings,
    SeriesNotPublishable,
    SeriesPublisher,
)
from renders.services import log_event


def series_check(owner: User) -> None:
    if not YouTubeChannel.objects.filter(owner=owner).exists():
        raise SeriesNotPublishable(
            "not_connected",
            "Connect a YouTube channel first (Publishing → Connect YouTube) to schedule a series, "
            "or leave the schedule out to only render it.",
        )


def series_schedule(
    owner: User, jobs: Sequence[RenderJob], instants: Sequence[dt.datetime], publish: PublishSettings
) -> None:
    """One scheduled publication per job, at its instant. Called inside the series' transaction."""
    if publish.privacy not in Privacy.values:
        raise SeriesNotPublishable("invalid", f"privacy must be one of {', '.join(Privacy.values)}.")
    for job, publish_at in zip(jobs, instants, strict=True):
        # `<` and `>` are refused by YouTube in titles; story titles have none, but a plan could.
        title = job.title.replace("<", "").replace(">", "").strip()[:TITLE_MAX] or "Untitled"
        Publication.objects.create(
            job=job,
            owner=owner,
            title=title,
            category_id=settings.YOUTUBE_CATEGORY_ID,
            privacy=publish.privacy,
            made_for_kids=publish.made_for_kids,
            timing=Timing.UPLOAD_WHEN_DUE,
            publish_at=publish_at.astimezone(dt.UTC),
            upload_after=publish_at.astimezone(dt.UTC),
        )
        log_event(job, f"YouTube: scheduled with its series for {publish_at.isoformat(timespec='minutes')}")


def series_cancel_publications(owner: User, series: Series) -> PublicationsCanceled:
    """Cancel every publication of the series not yet published; published ones stay on YouTube."""
    canceled = kept = 0
    with transaction.atomic():
        for publication in Publication.objects.filter(job__series=series, owner=owner).select_related("job"):
            if publication.state == PublicationState.PUBLISHED:
                kept += 1
                continue
            if publication.state == PublicationState.CANCELED or not publication.is_cancelable:
                continue
            try:
                publication_cancel(owner=owner, job=publication.job)
            except PublishActionError:
                continue  # it changed state meanwhile (e.g. finished uploading)
            canceled += 1
    return PublicationsCanceled(canceled=canceled, kept_published=kept)


def series_publications(series: Series) -> dict[str, PublicationView]:
    return {
        str(publication.job_id): PublicationView(
            state=publication.state,
            state_label=publication.get_state_display(),
            publish_at=publication.publish_at,
            youtube_url=publication.youtube_url,
        )
        for publication in Publication.objects.filter(job__series=series)
    }


SERIES_PUBLISHER = SeriesPublisher(
    check=series_check,
    schedule=series_schedule,
    cancel=series_cancel_publications,
    publications=series_publications,
)
