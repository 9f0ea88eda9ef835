from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


FINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED})

# A queued job's priority: a free worker claims the highest first (renders.execution._claim).
MIN_PRIORITY = 1
MAX_PRIORITY = 10
DEFAULT_PRIORITY = 5


class Series(models.Model):
    """Several render jobs started together and listed together, optionally published one per interval.

    The schedule is kept as the creator gave it (a local date, a local time, an IANA time zone,
    an interval), not as UTC instants: each item's instant is computed from local wall-clock time
    (`renders.series_times`), so a daily 09:00 series stays at 09:00 across a DST change. With no
    schedule, `start_date` and `local_time` are null. Publishing (YouTube) is the publishing app's,
    reached through `renders.series_publishing`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="render_series")
    title = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    time_zone = models.CharField(max_length=64, blank=True)  # IANA name, e.g. Asia/Kolkata
    start_date = models.DateField(null=True, blank=True)  # local date of the first publication
    local_time = models.TimeField(null=True, blank=True)  # local wall-clock time of each publication
    every_days = models.PositiveSmallIntegerField(default=1)
    every_hours = models.PositiveSmallIntegerField(default=0)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "series"
        indexes = [models.Index(fields=["owner", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True) | models.Q(every_days__gt=0) | models.Q(every_hours__gt=0),
                name="render_series_interval_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True, local_time__isnull=True)
                | (models.Q(start_date__isnull=False, local_time__isnull=False) & ~models.Q(time_zone="")),
                name="render_series_schedule_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_scheduled(self) -> bool:
        return self.start_date is not None


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
    priority = models.PositiveSmallIntegerField(
        default=DEFAULT_PRIORITY,
        validators=[MinValueValidator(MIN_PRIORITY), MaxValueValidator(MAX_PRIORITY)],
        help_text=f"{MIN_PRIORITY}-{MAX_PRIORITY}; a free worker takes the highest queued first.",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # Why the latest attempt failed when the job was queued again for another (a transient
    # failure or a lost worker); kept once the job succeeds, so the page can say what happened.
    last_error = models.TextField(blank=True)
    # A queued job is not claimed before this (the backoff of an automatic retry); null: at once.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
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
    # Set when the creator deletes the video: its files are gone and it is hidden everywhere; the
    # row stays so the day's render quota and the operators' counts still see what was rendered.
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A job started as part of a series, and its place there (0-based: the publication order).
    series = models.ForeignKey(Series, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs")
    series_position = models.PositiveSmallIntegerField(null=True, blank=True)
    # Bumped by database triggers on every change to the job or its events and files
    # (renders/job_version.py); a poller's ETag. Never set it from Python.
    change_seq = models.PositiveBigIntegerField(default=0, editable=False)
    # Versions: every later render of a video ("Make final", "Edit") points at the video's first
    # job, which points at nothing; `version` counts 1, 2, … along that chain and is never reused,
    # even after a version is deleted. SET_NULL: an operator removing the first row from admin
    # leaves the later versions standing (each then reads as a video of its own), never deleted.
    video = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="later_versions", editable=False
    )
    version = models.PositiveSmallIntegerField(default=1, editable=False)
    # From the compose step: how many pieces (video segments and the audio) the segment cache
    # already had. Null until a render has composed.
    pieces_reused = models.PositiveSmallIntegerField(null=True, blank=True)
    pieces_total = models.PositiveSmallIntegerField(null=True, blank=True)
    # The plan's video length and kind of render (renders.eta.plan_work), written with the plan by
    # job_create, so the queue-wait estimate reads a long queue without decoding every plan. Null
    # on rows written some other way: the estimate then reads the plan.
    planned_sec = models.FloatField(null=True, blank=True, editable=False)
    render_kind = models.CharField(max_length=24, blank=True, default="", db_default="", editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["state", "heartbeat_at"]),
            models.Index(fields=["state", "-priority", "created_at"], name="render_job_claim_order"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["video", "version"],
                condition=models.Q(video__isnull=False),
                name="render_job_unique_video_version",
            ),
            models.CheckConstraint(
                # A later version is 2 or more; a first job is 1 (or keeps its number once an
                # operator removed the row it pointed at).
                condition=models.Q(version__gte=1) & (models.Q(video__isnull=True) | models.Q(version__gte=2)),
                name="render_job_version_valid",
            ),
            models.CheckConstraint(condition=models.Q(progress_pct__lte=100), name="render_job_progress_pct_lte_100"),
            models.CheckConstraint(
                condition=models.Q(priority__gte=MIN_PRIORITY, priority__lte=MAX_PRIORITY),
                name="render_job_priority_range",
            ),
            models.CheckConstraint(condition=models.Q(state__in=JobState.values), name="render_job_state_valid"),
            models.UniqueConstraint(fields=["series", "series_position"], name="render_job_unique_series_position"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def video_key(self) -> uuid.UUID:
        """The id every version of this video shares: its first job's."""
        return self.video_id or self.pk


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
    LIVE_PIECE = "live_piece", "Live stream piece"  # MPEG-TS, while the job renders (scene_index: its place)


def asset_upload_to(asset: JobAsset, filename: str) -> str:
    return f"jobs/{asset.job_id}/{filename}"


class JobAsset(models.Model):
    """A file a job produced, saved through Django's storage (local disk or S3)."""

    job = models.ForeignKey(RenderJob, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=16, choices=AssetKind.choices)
    # A plan language ("en", "hi") or a script variant of one ("hi-Latn": Hindi in Roman letters).
    language = models.CharField(max_length=8, blank=True)
    scene_index = models.PositiveSmallIntegerField(default=0)  # 0 for assets not tied to a scene
    file = models.FileField(upload_to=asset_upload_to, max_length=300)
    size_bytes = models.PositiveBigIntegerField(default=0)
    duration_sec = models.FloatField(default=0)  # a live stream piece's length; 0 for other files
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


class IdempotencyRecord(models.Model):
    """One `Idempotency-Key` a user sent with a POST, and the response it got.

    The unique constraint is what makes two concurrent requests with the same key safe: only one
    of them can insert the in-flight record; the other sees it and answers 409.
    """

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        DONE = "done", "Done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)  # SHA-256 of the operation and its canonical body
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_record_unique_user_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"


class WebhookDelivery(models.Model):
    """One attempt to POST a job's state change to its webhook URL. Retries are new rows.

    A row is created `pending` before its attempt is queued; the task fills in the outcome. The
    body is stored as sent so every retry signs and sends exactly the same bytes.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"  # a non-2xx answer or a network error; retried while attempts last
        REFUSED = "refused", "Refused"  # the URL resolves to a private address; never retried

    job = models.ForeignKey(RenderJob, on_delete=models.CASCADE, related_name="webhook_deliveries")
    event_id = models.UUIDField(db_index=True)
    event_state = models.CharField(max_length=16)
    url = models.URLField(max_length=200)
    attempt = models.PositiveSmallIntegerField(default=1)
    body = models.TextField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    scheduled_for = models.DateTimeField()
    at = models.DateTimeField(null=True, blank=True)  # when the attempt was made
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "attempt"], name="webhook_delivery_unique_event_attempt")
        ]

    def __str__(self) -> str:
        return f"{self.event_state} → {self.url} (attempt {self.attempt}, {self.outcome})"


class WorkerHeartbeat(models.Model):
    """One render-worker process (`manage.py run_workers`), as operators see it in the admin.

    Written by the process itself every REAPER_EVERY_SEC, in the database every web process
    reads, so the admin lists the workers of every machine (django-q2's own cluster stats live
    in the cache, which the embedded default does not share between processes).
    """

    name = models.CharField(max_length=200, unique=True)  # host:pid
    host = models.CharField(max_length=150)
    pid = models.PositiveIntegerField()
    workers = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-beat_at"]

    def __str__(self) -> str:
        return self.name


UPLOAD_ID_PREFIX = "up_"


def new_upload_id() -> str:
    """`up_` and 22 URL-safe random characters (about 131 bits): unguessable, and says what it is."""
    return UPLOAD_ID_PREFIX + secrets.token_urlsafe(16)[:22]


class Upload(models.Model):
    """A picture a creator uploaded, named in plans and API calls by its opaque id.

    The id, not the storage name, is what a person sends back: it reveals nothing about where the
    file lives and is looked up only among the caller's own uploads (`uploads.get_own_upload`).
    An upload no job has used expires at `expires_at` and housekeeping deletes it with its file;
    one a job used (`used_at` set) is kept while a job's plan refers to its storage name.
    """

    id = models.CharField(primary_key=True, max_length=25, default=new_upload_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    name = models.CharField(max_length=300, unique=True)  # the storage name, uploads/<owner id>/<file>
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveBigIntegerField()
    format = models.CharField(max_length=8)  # jpeg | png | webp
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["owner", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(format__in=["jpeg", "png", "webp"]), name="upload_format_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.width}×{self.height} {self.format})"


def new_share_token() -> str:
    # 24 random bytes: 32 URL-safe characters, unguessable, and short enough for a chat message.
    return secrets.token_urlsafe(24)


class ShareLink(models.Model):
    """A link that plays one finished video to anyone holding it, without logging in.

    Revoking keeps the row (revoked_at set) so an old link stays dead and the owner can see when
    it was shared; deleting the video revokes its links (renders/deletion.py).
    """

    job = models.ForeignKey(RenderJob, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True, default=new_share_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["job", "revoked_at"])]

    def __str__(self) -> str:
        return f"share of {self.job_id}{' (revoked)' if self.revoked_at else ''}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None
