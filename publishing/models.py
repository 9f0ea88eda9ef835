from __future__ import annotations

from django.conf import settings
from django.db import models

from renders.models import RenderJob


class YouTubeChannel(models.Model):
    """A creator's connected YouTube channel. Tokens are Fernet-encrypted (publishing.token_cipher)."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="youtube_channel")
    channel_id = models.CharField(max_length=64)
    title = models.CharField(max_length=200, blank=True)
    refresh_token = models.TextField()  # encrypted
    access_token = models.TextField(blank=True)  # encrypted; refreshed on demand
    access_token_expiry = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "YouTube channel"
        verbose_name_plural = "YouTube channels"

    def __str__(self) -> str:
        return f"{self.title or self.channel_id} ({self.owner})"


class PublicationState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"  # waits for upload_after
    QUEUED = "queued", "Queued"  # handed to a worker
    UPLOADING = "uploading", "Uploading"
    PUBLISHED = "published", "Uploaded"  # on YouTube (public, or private until publishAt)
    FAILED = "failed", "Failed"  # error says why; retry continues where it stopped
    CANCELED = "canceled", "Canceled"


class Privacy(models.TextChoices):
    PRIVATE = "private", "Private"
    UNLISTED = "unlisted", "Unlisted"
    PUBLIC = "public", "Public"


class Timing(models.TextChoices):
    # Bhakti keeps the video until publish_at, then uploads it with the chosen privacy.
    UPLOAD_WHEN_DUE = "upload_when_due", "Upload at the scheduled time"
    # Bhakti uploads now as private with status.publishAt; YouTube makes it public at publish_at.
    YOUTUBE_PUBLISH_AT = "youtube_publish_at", "Upload now, YouTube publishes at the scheduled time"


class Publication(models.Model):
    """Putting one rendered video on YouTube: what, when, and how far the upload got.

    The upload is split into steps that each record their result (video id, thumbnail, caption
    languages), so a retry after a quota or network error continues where it stopped and never
    uploads the video twice.
    """

    job = models.OneToOneField(RenderJob, on_delete=models.CASCADE, related_name="publication")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="publications")
    title = models.CharField(max_length=100)  # YouTube's limit
    description = models.TextField(blank=True, max_length=5000)
    tags = models.JSONField(default=list, blank=True)
    category_id = models.CharField(max_length=4, default="22")
    privacy = models.CharField(max_length=10, choices=Privacy.choices, default=Privacy.PRIVATE)
    made_for_kids = models.BooleanField()  # no default: the creator must answer (YouTube requires it)
    # YouTube's status.containsSyntheticMedia: realistic altered or synthetic content (AI voice or art).
    contains_synthetic_media = models.BooleanField(default=False)
    timing = models.CharField(max_length=20, choices=Timing.choices, default=Timing.UPLOAD_WHEN_DUE)
    publish_at = models.DateTimeField(null=True, blank=True)  # null: as soon as possible
    upload_after = models.DateTimeField(db_index=True)
    state = models.CharField(
        max_length=12, choices=PublicationState.choices, default=PublicationState.SCHEDULED, db_index=True
    )
    progress_pct = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    notes = models.JSONField(default=list, blank=True)  # non-fatal problems, e.g. thumbnail refused
    attempts = models.PositiveSmallIntegerField(default=0)
    youtube_video_id = models.CharField(max_length=32, blank=True)
    thumbnail_set = models.BooleanField(default=False)
    caption_languages = models.JSONField(default=list, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "upload_after"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress_pct__lte=100), name="publication_progress_pct_lte_100"),
            models.CheckConstraint(
                condition=models.Q(state__in=PublicationState.values), name="publication_state_valid"
            ),
            models.CheckConstraint(condition=models.Q(privacy__in=Privacy.values), name="publication_privacy_valid"),
            models.CheckConstraint(
                condition=~models.Q(timing=Timing.YOUTUBE_PUBLISH_AT) | models.Q(publish_at__isnull=False),
                name="publication_publish_at_needs_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.state})"

    @property
    def youtube_url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.youtube_video_id}" if self.youtube_video_id else ""

    @property
    def is_cancelable(self) -> bool:
        if self.state in (PublicationState.SCHEDULED, PublicationState.QUEUED, PublicationState.FAILED):
            return True
        return self.state == PublicationState.UPLOADING or self.waits_for_youtube_publish_at

    @property
    def waits_for_youtube_publish_at(self) -> bool:
        """Uploaded as private; YouTube has yet to make it public at publish_at."""
        from django.utils import timezone

        return (
            self.state == PublicationState.PUBLISHED
            and self.timing == Timing.YOUTUBE_PUBLISH_AT
            and self.publish_at is not None
            and self.publish_at > timezone.now()
        )
