"""Scheduling: a finished video's YouTube publication scheduled, canceled or retried, and the
every-minute task that queues what is due. The upload itself runs in `uploads`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from publishing.forms import validate_description_bytes
from publishing.models import Privacy, Publication, PublicationState, Timing, YouTubeChannel
from publishing.selectors import synthetic_media_used
from publishing.services.channels import channel_credentials, store_refreshed_token
from renders.models import AssetKind, JobEvent, JobState, RenderJob
from renders.services import log_event

TITLE_MAX = 100
TAGS_MAX_CHARS = 500
# A publishAt this close to now may already be past when YouTube reads it.
MIN_PUBLISH_AT_LEAD = dt.timedelta(minutes=2)


class PublishActionError(Exception):
    """An action not possible now. `code` is stable for the API; `message` is for the creator."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


def footage_credits(job: RenderJob) -> str:
    """Credit lines for the stock clips a video plays (Pexels asks for them), from its summary.

    Offered as the description's start when a creator first schedules the video; empty when it
    plays no stock footage or its summary cannot be read.
    """
    asset = job.assets.filter(kind=AssetKind.SUMMARY).first()
    if asset is None:
        return ""
    try:
        with asset.file.open("rb") as handle:
            footage = json.loads(handle.read()).get("footage") or {}
    except (OSError, ValueError, AttributeError):
        return ""
    lines = []
    for scene, credit in sorted(footage.items(), key=lambda item: int(item[0]) if str(item[0]).isdigit() else 0):
        if not isinstance(credit, dict):
            continue
        author = str(credit.get("author") or "an unnamed creator").replace("<", "").replace(">", "")
        provider = str(credit.get("provider") or "pexels").capitalize()
        page = str(credit.get("page_url") or "").replace("<", "").replace(">", "")
        lines.append(f"Scene {scene}: video by {author} on {provider}" + (f" {page}" if page else ""))
    return "Stock footage:\n" + "\n".join(lines) if lines else ""


def _clean_metadata(title: str, description: str, tags: Sequence[str]) -> tuple[str, str, list[str]]:
    title = title.strip()
    if not title:
        raise PublishActionError("invalid", "A title is required.")
    if len(title) > TITLE_MAX:
        raise PublishActionError(
            "invalid", f"YouTube titles are at most {TITLE_MAX} characters (this one has {len(title)})."
        )
    try:
        validate_description_bytes(description)  # YouTube counts UTF-8 bytes: a Devanagari letter is 3
    except ValidationError as error:
        raise PublishActionError("invalid", error.messages[0]) from error
    if any(char in text for text in (title, description) for char in "<>"):
        raise PublishActionError("invalid", "YouTube does not allow < or > in titles and descriptions.")
    clean_tags = [tag.strip() for tag in tags if tag and tag.strip()]
    if sum(len(tag) + (2 if " " in tag else 0) for tag in clean_tags) + max(0, len(clean_tags) - 1) > TAGS_MAX_CHARS:
        raise PublishActionError("invalid", f"YouTube allows at most {TAGS_MAX_CHARS} characters of tags in total.")
    return title, description, clean_tags


@transaction.atomic
def publication_schedule(
    *,
    owner: User,
    job: RenderJob,
    title: str,
    made_for_kids: bool,
    description: str = "",
    tags: Sequence[str] = (),
    category_id: str = "",
    privacy: str = Privacy.PRIVATE,
    publish_at: dt.datetime | None = None,
    timing: str = Timing.UPLOAD_WHEN_DUE,
    contains_synthetic_media: bool | None = None,
) -> Publication:
    """Schedule (or reschedule) a finished video for YouTube. Due now: queued at once, after commit.

    `contains_synthetic_media` None: disclosed when an AI voice or AI art made the render.
    """
    job = RenderJob.objects.select_for_update().get(pk=job.pk)
    if job.owner_id != owner.pk:
        raise PublishActionError("not_found", "No such video.")
    if job.state != JobState.SUCCEEDED:
        raise PublishActionError("not_rendered", f"Only a finished video can be published; this one is {job.state}.")
    if not YouTubeChannel.objects.filter(owner=owner).exists():
        raise PublishActionError("not_connected", "Connect a YouTube channel first (Publishing → Connect YouTube).")
    if not isinstance(made_for_kids, bool):
        raise PublishActionError("invalid", "Say whether the video is made for kids: YouTube requires the answer.")
    if privacy not in Privacy.values:
        raise PublishActionError("invalid", f"privacy must be one of {', '.join(Privacy.values)}.")
    if timing not in Timing.values:
        raise PublishActionError("invalid", f"timing must be one of {', '.join(Timing.values)}.")
    title, description, clean_tags = _clean_metadata(title, description, tags)
    now = timezone.now()
    if publish_at is not None and timezone.is_naive(publish_at):
        raise PublishActionError("invalid", "The publish time needs a time zone (e.g. 2026-12-01T18:00:00+05:30).")
    if timing == Timing.YOUTUBE_PUBLISH_AT:
        if publish_at is None or publish_at < now + MIN_PUBLISH_AT_LEAD:
            raise PublishActionError(
                "invalid", "For YouTube to publish it later, the publish time must be at least 2 minutes ahead."
            )
        privacy = Privacy.PUBLIC  # what publishAt does: private until then, public after
        upload_after = now
    else:
        upload_after = publish_at if publish_at is not None and publish_at > now else now

    publication = Publication.objects.select_for_update().filter(job=job).first()
    if publication is not None and publication.state in (PublicationState.QUEUED, PublicationState.UPLOADING):
        raise PublishActionError("uploading", "This video is being uploaded right now; wait for it to finish.")
    if publication is not None and publication.state == PublicationState.PUBLISHED:
        raise PublishActionError("already_published", f"This video is already on YouTube: {publication.youtube_url}")
    if publication is None:
        publication = Publication(job=job, owner=owner)
    elif publication.youtube_video_id:
        raise PublishActionError(
            "partly_uploaded",
            "The video is already on YouTube (its thumbnail or captions are missing); use Retry instead.",
        )
    publication.title = title
    publication.description = description
    publication.tags = clean_tags
    publication.category_id = category_id or settings.YOUTUBE_CATEGORY_ID
    publication.privacy = privacy
    publication.made_for_kids = made_for_kids
    publication.contains_synthetic_media = (
        synthetic_media_used(job) if contains_synthetic_media is None else bool(contains_synthetic_media)
    )
    publication.timing = timing
    publication.publish_at = publish_at
    publication.upload_after = upload_after
    publication.state = PublicationState.SCHEDULED
    publication.progress_pct = 0
    publication.error = ""
    publication.error_code = ""
    if (note := _testing_token_note(owner, upload_after)) and note not in publication.notes:
        publication.notes = [*publication.notes, note]
    publication.save()
    when = "now" if upload_after <= now else f"at {upload_after.isoformat(timespec='minutes')}"
    log_event(job, f"YouTube: scheduled to upload {when} ({publication.get_timing_display().lower()})")
    if upload_after <= now:
        _queue(publication, now)
    return publication


TESTING_TOKEN_LIFETIME = dt.timedelta(days=7)  # Google's limit for OAuth apps in "Testing"


def _testing_token_note(owner: User, upload_after: dt.datetime) -> str:
    """A warning, when the OAuth app is in Testing and the channel's sign-in ends before the upload."""
    if not settings.GOOGLE_OAUTH_APP_IN_TESTING:
        return ""
    channel = YouTubeChannel.objects.filter(owner=owner).first()
    if channel is None or upload_after < channel.connected_at + TESTING_TOKEN_LIFETIME:
        return ""
    ends = channel.connected_at + TESTING_TOKEN_LIFETIME
    return (
        f"This server's Google sign-in app is in Testing, where Google ends a channel's connection after 7 days: "
        f"yours ends about {ends:%Y-%m-%d %H:%M} UTC, before this upload ({upload_after:%Y-%m-%d %H:%M} UTC). "
        "Reconnect the channel within the 7 days before the upload, or ask the operator to publish the app."
    )


def _queue(publication: Publication, now: dt.datetime) -> bool:
    """SCHEDULED → QUEUED and enqueue after commit. False when someone else queued it first."""
    moved = Publication.objects.filter(pk=publication.pk, state=PublicationState.SCHEDULED).update(
        state=PublicationState.QUEUED, queued_at=now, updated_at=now
    )
    if moved:
        publication.state, publication.queued_at = PublicationState.QUEUED, now
        publication_id = publication.pk
        transaction.on_commit(lambda: enqueue_upload(publication_id=publication_id))
    return bool(moved)


def enqueue_upload(*, publication_id: int) -> None:
    from django_q.tasks import async_task

    async_task(
        "publishing.tasks.upload_publication", publication_id, task_name=f"publish-{publication_id}", group="publish"
    )


@transaction.atomic
def publication_cancel(*, owner: User, job: RenderJob) -> Publication:
    """Stop a scheduled or running upload; withdraw a YouTube publishAt (the video stays private)."""
    publication = Publication.objects.select_for_update().filter(job=job, owner=owner).first()
    if publication is None:
        raise PublishActionError("not_found", "This video is not scheduled for YouTube.")
    if not publication.is_cancelable:
        raise PublishActionError(
            "not_cancelable",
            f"This publication is {publication.get_state_display().lower()}; there is nothing to cancel.",
        )
    if publication.waits_for_youtube_publish_at:
        channel = YouTubeChannel.objects.filter(owner=owner).first()
        if channel is None:
            raise PublishActionError(
                "not_connected", "Reconnect the YouTube channel to withdraw the scheduled publish."
            )
        from publishing import youtube  # the Google libraries load only where a call needs them

        creds = channel_credentials(channel)
        try:
            youtube.keep_private(creds, publication.youtube_video_id, made_for_kids=publication.made_for_kids)
        except Exception as error:  # noqa: BLE001 - shown to the creator as a plain message
            explained = youtube.explain(error, "withdrawing the scheduled publish")
            raise PublishActionError(explained.code, explained.message) from error
        finally:
            store_refreshed_token(channel, creds)
        publication.notes = [
            *publication.notes,
            "The scheduled publish was withdrawn; the video stays private on YouTube.",
        ]
    publication.state = PublicationState.CANCELED
    publication.save(update_fields=["state", "notes", "updated_at"])
    log_event(job, "YouTube: publication canceled", level=JobEvent.Level.WARNING)
    return publication


@transaction.atomic
def publication_retry(*, owner: User, job: RenderJob) -> Publication:
    """Try a failed (or canceled) upload again now; finished steps are not repeated. No re-render."""
    publication = Publication.objects.select_for_update().filter(job=job, owner=owner).first()
    if publication is None:
        raise PublishActionError("not_found", "This video is not scheduled for YouTube.")
    if publication.state not in (PublicationState.FAILED, PublicationState.CANCELED):
        raise PublishActionError(
            "not_retryable", f"Only a failed or canceled upload can be retried; this one is {publication.state}."
        )
    if publication.youtube_video_id and publication.state == PublicationState.CANCELED:
        raise PublishActionError(
            "not_retryable",
            "This video is already on YouTube and its publish was withdrawn; manage it in YouTube Studio.",
        )
    now = timezone.now()
    publication.state = PublicationState.SCHEDULED
    publication.upload_after = now
    publication.error = ""
    publication.error_code = ""
    if publication.timing == Timing.YOUTUBE_PUBLISH_AT and (publication.publish_at or now) < now + MIN_PUBLISH_AT_LEAD:
        publication.timing = Timing.UPLOAD_WHEN_DUE  # the publish time has passed: publish on upload
    publication.save(update_fields=["state", "upload_after", "error", "error_code", "timing", "updated_at"])
    log_event(job, "YouTube: retry requested; finished steps are kept")
    _queue(publication, now)
    return publication


# --- The every-minute task --------------------------------------------------------------------------


def enqueue_due_publications(*, now: dt.datetime | None = None) -> int:
    """Queue what is due; re-queue queued ones whose task was lost; fail uploads whose worker died."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.PUBLISH_STALE_SEC)
    queued = 0
    with transaction.atomic():
        # Only finished renders: a series schedules its publications before its videos exist, and a
        # render still going at its publish time is uploaded as soon as it succeeds.
        for publication in Publication.objects.filter(
            state=PublicationState.SCHEDULED, upload_after__lte=now, job__state=JobState.SUCCEEDED
        ).select_related("job"):
            if publication.job.series_id is not None and not publication.contains_synthetic_media:
                # Made before the render: disclose AI voice or art now that its summary says which was used.
                if synthetic_media_used(publication.job):
                    publication.contains_synthetic_media = True
                    publication.save(update_fields=["contains_synthetic_media", "updated_at"])
            queued += _queue(publication, now)
        # A lost task (broker restart) leaves a row queued: enqueue it again; the claim in
        # upload_publication makes a duplicate delivery a no-op.
        for publication_id in Publication.objects.filter(
            state=PublicationState.QUEUED, queued_at__lt=stale
        ).values_list("pk", flat=True):
            Publication.objects.filter(pk=publication_id).update(queued_at=now)
            transaction.on_commit(partial(enqueue_upload, publication_id=publication_id))
            queued += 1
        Publication.objects.filter(state=PublicationState.UPLOADING, heartbeat_at__lt=stale).update(
            state=PublicationState.FAILED,
            error_code="interrupted",
            error="The upload was interrupted (its worker stopped). Press Retry; it continues where it stopped.",
            updated_at=now,
        )
    return queued
