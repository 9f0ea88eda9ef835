"""A series' publications: made with the series, queued when due *and* rendered, canceled with the series."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from publishing.models import Publication, PublicationState
from publishing.services import enqueue_due_publications, upload_publication
from publishing.tests.conftest import VIDEO_BYTES
from renders.models import AssetKind, JobAsset, JobState, RenderJob
from renders.series_publishing import PublishSettings
from renders.series_service import SeriesItem, SeriesSchedule, series_cancel, series_create

pytestmark = pytest.mark.django_db


def _render(job: RenderJob, *, summary: dict | None = None) -> None:
    """What a worker leaves behind: the job succeeded with its video and thumbnail (and a summary)."""
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED, progress_pct=100, finished_at=timezone.now())
    files = [(AssetKind.VIDEO, "video.mp4", VIDEO_BYTES), (AssetKind.THUMBNAIL, "thumbnail.jpg", b"\xff\xd8\xff")]
    if summary is not None:
        files.append((AssetKind.SUMMARY, "summary.json", json.dumps(summary).encode()))
    for kind, name, data in files:
        asset = JobAsset(job=job, kind=kind, size_bytes=len(data))
        asset.file.save(name, ContentFile(data), save=False)
        asset.save()


@pytest.fixture
def daily_series(alice, channel):
    """Three stories, one a day at 18:30 in Kolkata, starting the day after tomorrow."""
    start = timezone.now().date() + dt.timedelta(days=2)
    return series_create(
        owner=alice,
        title="Evening stories",
        items=[
            SeriesItem(story=story, duration_target=20, options={"mode": "proxy"})
            for story in ("prahlad", "dhruva", "kaliya")
        ],  # fmt: skip
        schedule=SeriesSchedule(
            start_date=start,
            local_time=dt.time(18, 30),
            time_zone="Asia/Kolkata",
            every_days=1,
            publish=PublishSettings(made_for_kids=False, privacy="unlisted"),
        ),  # fmt: skip
    )


def test_it_schedules_one_publication_per_job_at_its_local_time(daily_series):
    publications = list(Publication.objects.filter(job__series=daily_series).order_by("job__series_position"))
    assert len(publications) == 3
    first = dt.datetime.combine(daily_series.start_date, dt.time(13, 0), tzinfo=dt.UTC)  # 18:30 IST
    assert [p.publish_at for p in publications] == [first + dt.timedelta(days=n) for n in range(3)]
    assert {(p.state, p.privacy, p.upload_after == p.publish_at) for p in publications} == {
        (PublicationState.SCHEDULED, "unlisted", True)
    }


def test_it_uploads_a_due_publication_only_once_its_render_has_succeeded(
    daily_series, enqueued, youtube_standin, django_capture_on_commit_callbacks
):
    publication = Publication.objects.get(job__series=daily_series, job__series_position=0)
    due = publication.publish_at + dt.timedelta(seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert enqueue_due_publications(now=due) == 0  # still rendering: it waits, it does not fail
    assert enqueued == [] and Publication.objects.get(pk=publication.pk).state == PublicationState.SCHEDULED

    _render(publication.job, summary={"speech_provider": "openai"})
    with django_capture_on_commit_callbacks(execute=True):
        assert enqueue_due_publications(now=due) == 1  # the later ones are not due yet
    publication.refresh_from_db()
    assert enqueued == [publication.pk] and publication.state == PublicationState.QUEUED
    assert publication.contains_synthetic_media  # an AI voice made it: disclosed, as a creator's schedule does

    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    assert len(youtube_standin.videos) == 1


def test_it_cancels_what_is_not_published_and_keeps_what_is(daily_series, enqueued, youtube_standin):
    jobs = list(daily_series.jobs.order_by("series_position"))
    published = Publication.objects.get(job=jobs[0])
    _render(jobs[0])
    enqueue_due_publications(now=published.publish_at + dt.timedelta(seconds=1))
    assert upload_publication(publication_id=published.pk) == PublicationState.PUBLISHED
    RenderJob.objects.filter(pk=jobs[1].pk).update(state=JobState.RUNNING, started_at=timezone.now())

    result = series_cancel(series=daily_series)

    assert (result.jobs_canceled, result.jobs_left) == (1, 2)
    assert result.publications is not None
    assert (result.publications.canceled, result.publications.kept_published) == (2, 1)
    states = dict(Publication.objects.filter(job__series=daily_series).values_list("job__series_position", "state"))
    assert states == {0: PublicationState.PUBLISHED, 1: PublicationState.CANCELED, 2: PublicationState.CANCELED}
    assert [job.state for job in daily_series.jobs.order_by("series_position")] == [
        JobState.SUCCEEDED, JobState.RUNNING, JobState.CANCELED,
    ]  # fmt: skip
    assert "1 already published stays on YouTube" in result.message
    assert len(youtube_standin.videos) == 1  # nothing was removed from YouTube
