"""The upload worker: claim a queued publication and upload what YouTube does not have yet.

Each step's result is stored as it completes (video id, thumbnail, each caption language), so a
retry continues where the last attempt stopped and the video is never uploaded twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts import audit
from publishing.errors import PublishError
from publishing.models import Privacy, Publication, PublicationState, Timing, YouTubeChannel
from publishing.services.channels import channel_credentials, store_refreshed_token
from renders.error_text import public_error_text
from renders.models import AssetKind, JobAsset, JobEvent, RenderJob
from renders.services import log_event

if TYPE_CHECKING:
    from publishing import youtube

logger = logging.getLogger(__name__)

VIDEO_SHARE = 90  # progress: the video file is 90 %, thumbnail and captions the rest


@contextlib.contextmanager
def _local_file(asset: JobAsset) -> Iterator[Path]:
    """A local path for an asset: the file itself on disk storage, a temporary copy from S3."""
    try:
        local: Path | None = Path(default_storage.path(asset.file.name))
    except NotImplementedError:  # remote storage (S3) has no local path
        local = None
    if local is not None and local.is_file():  # some storages name a path without keeping the file there
        yield local
        return
    suffix = Path(asset.file.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        with default_storage.open(asset.file.name, "rb") as source:
            shutil.copyfileobj(source, copy)
        copy.flush()
        yield Path(copy.name)


def _claim(publication_id: int) -> Publication | None:
    now = timezone.now()
    with transaction.atomic():
        publication = Publication.objects.select_for_update().filter(pk=publication_id).first()
        if publication is None or publication.state != PublicationState.QUEUED:
            return None
        publication.state = PublicationState.UPLOADING
        publication.attempts += 1
        publication.heartbeat_at = now
        publication.save(update_fields=["state", "attempts", "heartbeat_at", "updated_at"])
    return publication


def _progress(publication: Publication, pct: int) -> bool:
    """Record progress; False when the creator canceled meanwhile (the row is no longer uploading)."""
    pct = max(0, min(100, pct))
    return bool(
        Publication.objects.filter(pk=publication.pk, state=PublicationState.UPLOADING).update(
            progress_pct=pct, heartbeat_at=timezone.now()
        )
    )


def _status_body(publication: Publication, now: dt.datetime) -> dict[str, object]:
    status: dict[str, object] = {
        "selfDeclaredMadeForKids": publication.made_for_kids,
        "privacyStatus": publication.privacy,
        "containsSyntheticMedia": publication.contains_synthetic_media,
    }
    if publication.timing == Timing.YOUTUBE_PUBLISH_AT and publication.publish_at and publication.publish_at > now:
        status["privacyStatus"] = Privacy.PRIVATE  # publishAt works only on private videos
        status["publishAt"] = publication.publish_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return status


SHORTS_ASPECTS = ("9:16", "1:1")
SHORTS_MAX_SEC = 180  # YouTube counts a square or vertical video of up to three minutes as a Short


def is_short(job: RenderJob) -> bool:
    plan = job.plan if isinstance(job.plan, dict) else {}
    scenes = plan.get("scenes") or []
    duration = sum(float(scene.get("duration_sec") or 0) for scene in scenes if isinstance(scene, dict))
    return plan.get("aspect") in SHORTS_ASPECTS and duration <= SHORTS_MAX_SEC


def _ready_for_thumbnail(creds: youtube.Credentials, publication: Publication) -> bool:
    """A Short's thumbnail is applied only after processing: wait for it, within a bound."""
    from publishing import youtube

    if not is_short(publication.job):
        return True
    try:
        return youtube.wait_until_processed(
            creds,
            publication.youtube_video_id,
            timeout_sec=settings.YOUTUBE_SHORTS_PROCESSING_WAIT_SEC,
            poll_sec=settings.YOUTUBE_PROCESSING_POLL_SEC,
            sleep=time.sleep,
        )
    except Exception as error:  # noqa: BLE001 - becomes a plain message on the publication
        raise youtube.explain(error, "checking that YouTube has processed the Short") from error


def _run_upload(publication: Publication) -> bool:
    """Upload what is not yet on YouTube. False when the creator canceled during the upload."""
    from publishing import youtube  # the Google libraries load only where a call needs them

    channel = YouTubeChannel.objects.filter(owner=publication.owner_id).first()
    if channel is None:
        raise PublishError("not_connected", "No YouTube channel is connected. Connect one, then press Retry.")
    job = publication.job
    assets = {(asset.kind, asset.language): asset for asset in job.assets.all()}
    creds = channel_credentials(channel)
    try:
        if not publication.youtube_video_id:
            video = assets.get((AssetKind.VIDEO, ""))
            if video is None:
                raise PublishError("no_video", "The rendered video file is missing; render the job again.")
            snippet = {
                "title": publication.title,
                "description": publication.description,
                "tags": publication.tags,
                "categoryId": publication.category_id,
                "defaultLanguage": job.language,
                "defaultAudioLanguage": job.language,
            }
            with _local_file(video) as path:
                try:
                    video_id = youtube.upload_video(
                        creds,
                        path,
                        snippet=snippet,
                        status=_status_body(publication, timezone.now()),
                        on_progress=lambda fraction: _progress(publication, int(fraction * VIDEO_SHARE)),
                    )
                except Exception as error:  # noqa: BLE001 - becomes a plain message on the publication
                    raise youtube.explain(error, "the video upload") from error
            if not video_id:
                return False
            publication.youtube_video_id = video_id
            publication.save(update_fields=["youtube_video_id", "updated_at"])
            log_event(job, f"YouTube: video uploaded ({publication.youtube_url})")
        _progress(publication, VIDEO_SHARE)

        thumbnail = assets.get((AssetKind.THUMBNAIL, ""))
        if not publication.thumbnail_set and thumbnail is not None and not _ready_for_thumbnail(creds, publication):
            publication.notes = [
                *publication.notes,
                f"YouTube was still processing this Short after {settings.YOUTUBE_SHORTS_PROCESSING_WAIT_SEC} s, "
                "and a Short takes a custom thumbnail only once processed: set it in YouTube Studio.",
            ]
            publication.save(update_fields=["notes", "updated_at"])
        elif not publication.thumbnail_set and thumbnail is not None:
            try:
                with _local_file(thumbnail) as path:
                    youtube.set_thumbnail(creds, publication.youtube_video_id, path)
                publication.thumbnail_set = True
                publication.save(update_fields=["thumbnail_set", "updated_at"])
            except Exception as error:  # noqa: BLE001 - quota and auth stop the upload; the rest is a note
                explained = youtube.explain(error, "setting the thumbnail")
                if explained.code in {
                    "quota_exceeded",
                    "rate_limited",
                    "auth_error",
                    "network_error",
                    "youtube_unavailable",
                }:
                    raise explained from error
                # Custom thumbnails need a verified channel; the video is fine without one.
                publication.notes = [*publication.notes, explained.message]
                publication.thumbnail_set = True
                publication.save(update_fields=["notes", "thumbnail_set", "updated_at"])
        _progress(publication, VIDEO_SHARE + 3)

        for (kind, language), asset in sorted(assets.items()):
            if kind != AssetKind.SUBTITLES_SRT or language in publication.caption_languages:
                continue
            with _local_file(asset) as path:
                try:
                    youtube.insert_caption(creds, publication.youtube_video_id, language, path)
                except Exception as error:  # noqa: BLE001
                    raise youtube.explain(error, f"adding the {language} captions") from error
            publication.caption_languages = [*publication.caption_languages, language]
            publication.save(update_fields=["caption_languages", "updated_at"])
    finally:
        store_refreshed_token(channel, creds)
    return True


def upload_publication(*, publication_id: int) -> str:
    """The worker's entry point: claim the queued publication and upload it. Idempotent."""
    publication = _claim(publication_id)
    if publication is None:
        state = Publication.objects.filter(pk=publication_id).values_list("state", flat=True).first()
        return state or "missing"
    try:
        finished = _run_upload(publication)
    except PublishError as error:
        shown = public_error_text(error.message, job=publication.job)  # it may quote an OSError's file name
        Publication.objects.filter(pk=publication.pk, state=PublicationState.UPLOADING).update(
            state=PublicationState.FAILED, error=shown, error_code=error.code, updated_at=timezone.now()
        )
        log_event(publication.job, f"YouTube: {shown}", level=JobEvent.Level.ERROR)
        audit.record(audit.Action.YOUTUBE_FAILED, job=publication.job, detail=error.code)
        if error.code == "rate_limited":
            audit.record(audit.Action.PROVIDER_THROTTLED, job=publication.job, detail="youtube")
        return PublicationState.FAILED
    except Exception as error:
        logger.exception("publication %s failed", publication_id)
        message = public_error_text(
            f"The upload failed unexpectedly ({type(error).__name__}: {error}). "
            "Press Retry; if it fails again, tell the operator.",
            job=publication.job,
        )
        Publication.objects.filter(pk=publication.pk, state=PublicationState.UPLOADING).update(
            state=PublicationState.FAILED, error=message, error_code="internal", updated_at=timezone.now()
        )
        log_event(publication.job, f"YouTube: {message}", level=JobEvent.Level.ERROR)
        audit.record(audit.Action.YOUTUBE_FAILED, job=publication.job, detail="internal")
        return PublicationState.FAILED
    if not finished:
        return PublicationState.CANCELED
    now = timezone.now()
    Publication.objects.filter(pk=publication.pk, state=PublicationState.UPLOADING).update(
        state=PublicationState.PUBLISHED, progress_pct=100, uploaded_at=now, updated_at=now
    )
    publication.refresh_from_db()
    log_event(publication.job, f"YouTube: published {publication.youtube_url}")
    return publication.state
