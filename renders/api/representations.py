"""A render job as the API shows it: absolute asset URLs, logs, queue estimate, YouTube link.

Asset URLs point at the API's download endpoint (which checks access and accepts API keys);
with S3 storage they are the storage's own presigned URLs (`asset.file.url`), so large files
never pass through the web process.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from rest_framework.request import Request

from renders.eta import eta_seconds
from renders.models import AssetKind, JobAsset, JobState, RenderJob
from renders.queue_estimate import estimated_wait_seconds
from renders.selectors import LOG_LINES, job_files, job_log_lines, published_video_url

__all__ = ["LOG_LINES", "asset_url", "estimated_wait_seconds", "job_detail", "job_summary", "job_url"]


def asset_url(request: Request, asset: JobAsset, *, prefix: str | None = None) -> str:
    """Where a client fetches this file: the storage's presigned URL on S3, else the API's download.

    The API's own endpoint (not the web app's page) because it accepts API keys; the web view
    requires a browser session. `prefix` (from `asset_url_prefix`) saves a `reverse()` per file.
    """
    if not isinstance(default_storage, FileSystemStorage):
        return asset.file.url  # presigned by the storage (S3 querystring auth)
    return (prefix or asset_url_prefix(request, asset.job_id)) + str(asset.pk)


def asset_url_prefix(request: Request, job_id: Any) -> str:
    """The absolute download URL of this job's files without the file's id (which ends it)."""
    url = reverse("api_v1:render-asset", kwargs={"job_id": str(job_id), "asset_id": "0"})
    return request.build_absolute_uri(url)[:-1]


def job_url(request: Request, job: RenderJob) -> str:
    return request.build_absolute_uri(reverse("api_v1:render-detail", kwargs={"job_id": str(job.pk)}))


def youtube_url(job: RenderJob) -> str | None:
    # The publishing app adds a one-to-one `publication`; a job without one has no YouTube link.
    # Only a finished video can be published: polls of unfinished jobs skip the lookup.
    if job.state != JobState.SUCCEEDED:
        return None
    return published_video_url(job=job)


def job_summary(request: Request, job: RenderJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "title": job.title,
        "video_id": job.video_key,
        "version": job.version,
        "language": job.language,
        "state": job.state,
        "step": job.step,
        "progress_pct": job.progress_pct,
        "error": job.error,
        "priority": job.priority,
        "attempt": job.attempts,
        "max_attempts": settings.JOB_MAX_ATTEMPTS,
        "next_attempt_at": job.next_attempt_at,
        "cost_estimate": job.cost_estimate,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "url": job_url(request, job),
    }


def job_detail(
    request: Request, job: RenderJob, *, since_event: int | None = None, wait: int | None = None
) -> dict[str, Any]:
    """The job as GET /renders/{id} shows it. `wait`: the queue estimate, when the caller has it.

    `since_event`: only log lines after that event id (the oldest LOG_LINES of them), so a poller
    fetches each line once; without it, the newest LOG_LINES.
    """
    assets = [asset for asset in job_files(job=job) if asset.kind != AssetKind.UPLOAD]
    prefix = asset_url_prefix(request, job.pk) if assets else ""
    urls = {asset.pk: asset_url(request, asset, prefix=prefix) for asset in assets}
    video = next((asset for asset in assets if asset.kind == AssetKind.VIDEO), None)
    thumbnail = next((asset for asset in assets if asset.kind == AssetKind.THUMBNAIL), None)
    subtitle_formats = {AssetKind.SUBTITLES_SRT: "srt", AssetKind.SUBTITLES_VTT: "vtt"}
    logs = job_log_lines(job=job, since_event=since_event)
    return {
        "id": job.pk,
        "title": job.title,
        "video_id": job.video_key,
        "version": job.version,
        "language": job.language,
        "state": job.state,
        "is_final": job.is_final,
        "step": job.step,
        "progress_pct": job.progress_pct,
        "estimated_wait_seconds": wait if wait is not None else estimated_wait_seconds(job),
        "eta_seconds": eta_seconds(job),
        "assets": [
            {
                "kind": asset.kind,
                "language": asset.language,
                "scene_index": asset.scene_index,
                "size_bytes": asset.size_bytes,
                "url": urls[asset.pk],
            }
            for asset in assets
        ],
        "final_video_url": urls[video.pk] if video else None,
        "thumbnail_url": urls[thumbnail.pk] if thumbnail else None,
        "subtitles": [
            {"language": asset.language, "format": subtitle_formats[asset.kind], "url": urls[asset.pk]}
            for asset in assets
            if asset.kind in subtitle_formats
        ],
        "youtube_url": youtube_url(job),
        "logs": logs,
        "error": job.error,
        "error_step": job.error_step,
        "priority": job.priority,
        "attempt": job.attempts,
        "attempts": job.attempts,
        "max_attempts": settings.JOB_MAX_ATTEMPTS,
        "last_error": job.last_error,
        "retry_reason": job.last_error,
        "next_attempt_at": job.next_attempt_at if job.state == JobState.QUEUED else None,
        "encoder": job.encoder,
        "timings": job.timings or {},
        "duration_sec": job.duration_sec,
        "cost_estimate": job.cost_estimate,
        "cost_actual": job.cost_actual,
        "webhook_url": job.webhook_url,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
