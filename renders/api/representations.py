"""A render job as the API shows it: absolute asset URLs, logs, queue estimate, YouTube link.

Asset URLs point at the API's download endpoint (which checks access and accepts API keys);
with S3 storage they are the storage's own presigned URLs (`asset.file.url`), so large files
never pass through the web process.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db.models import Count, Q
from django.urls import reverse
from rest_framework.request import Request

from renders.eta import eta_seconds
from renders.models import AssetKind, JobAsset, JobState, RenderJob

LOG_LINES = 50
# Used for the queue estimate until some jobs have finished to learn from.
DEFAULT_TYPICAL_RENDER_SEC = 60
TYPICAL_SAMPLE = 20


def asset_url(request: Request, asset: JobAsset) -> str:
    """Where a client fetches this file: the storage's presigned URL on S3, else the API's download.

    The API's own endpoint (not the web app's page) because it accepts API keys; the web view
    requires a browser session.
    """
    if not isinstance(default_storage, FileSystemStorage):
        return asset.file.url  # presigned by the storage (S3 querystring auth)
    return request.build_absolute_uri(
        reverse("api_v1:render-asset", kwargs={"job_id": str(asset.job_id), "asset_id": str(asset.pk)})
    )


def job_url(request: Request, job: RenderJob) -> str:
    return request.build_absolute_uri(reverse("api_v1:render-detail", kwargs={"job_id": str(job.pk)}))


def typical_render_seconds() -> float:
    """Mean wall time of the last TYPICAL_SAMPLE successful jobs, or DEFAULT_TYPICAL_RENDER_SEC."""
    recent = (
        RenderJob.objects.filter(state=JobState.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[:TYPICAL_SAMPLE]
    )
    spans = [(finished - started).total_seconds() for started, finished in recent]
    return sum(spans) / len(spans) if spans else DEFAULT_TYPICAL_RENDER_SEC


def estimated_wait_seconds(job: RenderJob) -> int | None:
    """Rough wait before a worker takes this queued job; None once it is no longer queued.

    (jobs queued before it + jobs running) × typical render time ÷ RENDER_WORKERS. Jobs of every
    user count: they share the workers.
    """
    if job.state != JobState.QUEUED:
        return None
    counts = RenderJob.objects.aggregate(
        ahead=Count("pk", filter=Q(state=JobState.QUEUED, created_at__lt=job.created_at)),
        running=Count("pk", filter=Q(state=JobState.RUNNING)),
    )
    busy = counts["ahead"] + counts["running"]
    if busy == 0:
        return 0
    return round(busy * typical_render_seconds() / settings.RENDER_WORKERS)


def youtube_url(job: RenderJob) -> str | None:
    # The publishing app adds a one-to-one `publication`; a job without one has no YouTube link.
    # Only a finished video can be published: polls of unfinished jobs skip the lookup.
    if job.state != JobState.SUCCEEDED:
        return None
    publication = getattr(job, "publication", None)
    return getattr(publication, "youtube_url", "") or None


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
        "cost_estimate": job.cost_estimate,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "url": job_url(request, job),
    }


def job_detail(request: Request, job: RenderJob) -> dict[str, Any]:
    assets = [asset for asset in job.assets.all() if asset.kind != AssetKind.UPLOAD]
    urls = {asset.pk: asset_url(request, asset) for asset in assets}
    video = next((asset for asset in assets if asset.kind == AssetKind.VIDEO), None)
    thumbnail = next((asset for asset in assets if asset.kind == AssetKind.THUMBNAIL), None)
    subtitle_formats = {AssetKind.SUBTITLES_SRT: "srt", AssetKind.SUBTITLES_VTT: "vtt"}
    logs = list(job.events.order_by("-id")[:LOG_LINES])
    logs.reverse()
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
        "estimated_wait_seconds": estimated_wait_seconds(job),
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
        "logs": [{"at": e.at, "level": e.level, "step": e.step, "message": e.message} for e in logs],
        "error": job.error,
        "error_step": job.error_step,
        "attempts": job.attempts,
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
