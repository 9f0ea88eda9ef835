"""Jobs and schedules as the older APIs showed them, built from the `/api/v1` representation.

`renders.api.representations.job_detail` is read once and reshaped, so asset URLs, access and
the YouTube link are exactly what `/api/v1/renders/{id}` gives.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework.request import Request

from compat.mappings import LEGACY_STEPS, legacy_state, legacy_step, progress_fraction
from publishing.models import Publication, PublicationState
from renders.api.representations import asset_url, estimated_wait_seconds, job_detail, youtube_url
from renders.eta import render_estimate_seconds
from renders.models import AssetKind, JobState, RenderJob

HISTORY_LINES = 1000
CANCELED_MESSAGE = "Canceled."


def _publication(job: RenderJob) -> Publication | None:
    return getattr(job, "publication", None) if job.state == JobState.SUCCEEDED else None


def _is_publishing(job: RenderJob) -> bool:
    # Due or under way: a publication scheduled for later is not a step the job is in.
    publication = _publication(job)
    return publication is not None and publication.state in (PublicationState.QUEUED, PublicationState.UPLOADING)


def _error(job: RenderJob) -> str | None:
    if job.state == JobState.CANCELED:
        return job.error or CANCELED_MESSAGE
    return job.error or None


def status_url(request: Request, job: RenderJob) -> str:
    return request.build_absolute_uri(reverse("compat-api-status", kwargs={"job_id": str(job.pk)}))


def _log_line(line: dict[str, Any]) -> dict[str, Any]:
    return {**line, "step": LEGACY_STEPS.get(line["step"], line["step"])}


def render_status(request: Request, job: RenderJob, *, include_history: bool = False) -> dict[str, Any]:
    """The render platform's status: state, step, progress, files, logs, error (+ Creator mode's extras)."""
    detail = job_detail(request, job)
    subtitles = {entry["language"]: entry["url"] for entry in detail["subtitles"] if entry["format"] == "srt"}
    body: dict[str, Any] = {
        "job_id": str(job.pk),
        "title": job.title,
        "state": legacy_state(job.state),
        "step": legacy_step(state=job.state, step=job.step, publishing=_is_publishing(job)),
        "progress_pct": detail["progress_pct"],
        "assets": detail["assets"],
        "final_video_url": detail["final_video_url"],
        "thumbnail_url": detail["thumbnail_url"],
        "youtube_url": detail["youtube_url"],
        "dual_subtitles": {"hi_url": subtitles.get("hi"), "en_url": subtitles.get("en")},
        "logs": [_log_line(line) for line in detail["logs"]],
        "error": _error(job),
    }
    if include_history:
        events = job.events.order_by("id")[:HISTORY_LINES]
        body["history"] = [
            _log_line({"id": e.pk, "at": e.at, "level": e.level, "step": e.step, "message": e.message}) for e in events
        ]
    return body


def _result(request: Request, job: RenderJob) -> dict[str, Any] | None:
    if job.state != JobState.SUCCEEDED:
        return None
    detail = job_detail(request, job)
    return {
        "video_url": detail["final_video_url"],
        "thumbnail_url": detail["thumbnail_url"],
        "youtube_url": detail["youtube_url"],
        "duration_sec": job.duration_sec,
        "subtitles": detail["subtitles"],
    }


def _message(job: RenderJob) -> str:
    if job.state in (JobState.FAILED, JobState.CANCELED):
        return _error(job) or ""
    latest = job.events.order_by("-id").values_list("message", flat=True).first()
    return latest or ""


def queue_job_status(request: Request, job: RenderJob) -> dict[str, Any]:
    """The job queue service's status: progress as a fraction, a message, the result when done."""
    return {
        "job_id": str(job.pk),
        "status": legacy_state(job.state),
        "progress": progress_fraction(job.progress_pct),
        "message": _message(job),
        "result": _result(request, job),
    }


def queue_job_summary(job: RenderJob) -> dict[str, Any]:
    return {
        "job_id": str(job.pk),
        "title": job.title,
        "status": legacy_state(job.state),
        "progress": progress_fraction(job.progress_pct),
        "created_at": job.created_at,
    }


def library_entry(request: Request, job: RenderJob) -> dict[str, Any]:
    # Assets and the publication come with the page (prefetched): no query per entry.
    by_kind = {asset.kind: asset for asset in job.assets.all()}
    video, thumbnail = by_kind.get(AssetKind.VIDEO), by_kind.get(AssetKind.THUMBNAIL)
    return {
        "job_id": str(job.pk),
        "title": job.title,
        "state": legacy_state(job.state),
        "final_video_url": asset_url(request, video) if video else None,
        "thumbnail_url": asset_url(request, thumbnail) if thumbnail else None,
        "youtube_url": youtube_url(job),
        "created_at": job.created_at,
    }


def schedule(publication: Publication) -> dict[str, Any]:
    return {
        "job_id": str(publication.job_id),
        "state": publication.state,
        "iso_datetime": publication.publish_at,
        "upload_after": publication.upload_after,
        "title": publication.title,
        "description": publication.description,
        "tags": publication.tags,
        "privacy": publication.privacy,
        "made_for_kids": publication.made_for_kids,
        "progress_pct": publication.progress_pct,
        "youtube_url": publication.youtube_url or None,
        "error": publication.error or None,
    }


def video_status_url(request: Request, job: RenderJob) -> str:
    return request.build_absolute_uri(reverse("compat-video-status", kwargs={"job_id": str(job.pk)}))


def video_estimated_time(job: RenderJob) -> int:
    """The marketplace's `estimatedTime`: seconds in the queue plus the render of this plan here."""
    return (estimated_wait_seconds(job) or 0) + round(render_estimate_seconds(job.plan or {}))


def video_status(request: Request, job: RenderJob) -> dict[str, Any]:
    """The marketplace's status: their state, progress as a fraction, the files once made."""
    detail = job_detail(request, job)
    return {
        "status": legacy_state(job.state),
        "progress": progress_fraction(job.progress_pct),
        "videoUrl": detail["final_video_url"],
        "thumbnailUrl": detail["thumbnail_url"],
        "error": _error(job),
    }
