from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


FINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED})


class RenderJob(models.Model):
    """One render of one plan. All of a job's state lives here, never in worker memory."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="render_jobs")
    title = models.CharField(max_length=120)
    language = models.CharField(max_length=2, db_index=True)
    plan = models.JSONField()
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    step = models.CharField(max_length=16, blank=True)
    progress_pct = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    error_step = models.CharField(max_length=16, blank=True)
    encoder = models.CharField(max_length=32, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    duration_sec = models.FloatField(null=True, blank=True)
    cost_estimate = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal("0"))
    cost_actual = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal("0"))
    webhook_url = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"]), models.Index(fields=["state", "heartbeat_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress_pct__lte=100), name="render_job_progress_pct_lte_100"),
            models.CheckConstraint(condition=models.Q(state__in=JobState.values), name="render_job_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


class JobEvent(models.Model):
    """A log line of a job, shown live on the status page and in admin."""

    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    job = models.ForeignKey(RenderJob, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    step = models.CharField(max_length=16, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"[{self.level}] {self.message}"


class AssetKind(models.TextChoices):
    VIDEO = "video", "Video"
    THUMBNAIL = "thumbnail", "Thumbnail"
    SUBTITLES_SRT = "srt", "Subtitles (SRT)"
    SUBTITLES_VTT = "vtt", "Subtitles (VTT)"
    NARRATION = "narration", "Narration audio"
    SCENE_IMAGE = "scene_image", "Scene image"
    SUMMARY = "summary", "Job summary"
    UPLOAD = "upload", "Uploaded image"


def asset_upload_to(asset: JobAsset, filename: str) -> str:
    return f"jobs/{asset.job_id}/{filename}"


class JobAsset(models.Model):
    """A file a job produced, saved through Django's storage (local disk or S3)."""

    job = models.ForeignKey(RenderJob, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=16, choices=AssetKind.choices)
    language = models.CharField(max_length=2, blank=True)
    scene_index = models.PositiveSmallIntegerField(default=0)  # 0 for assets not tied to a scene
    file = models.FileField(upload_to=asset_upload_to, max_length=300)
    size_bytes = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "language", "scene_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "kind", "language", "scene_index"],
                name="job_asset_unique_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.job_id}"
