from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """Per-user role, quotas and webhook settings. Created by accounts.services.ensure_profile."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        CREATOR = "creator", "Creator"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CREATOR)
    # Quotas: null means "use the site-wide setting".
    jobs_per_day = models.PositiveIntegerField(null=True, blank=True)
    max_job_cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    default_webhook_url = models.URLField(blank=True)
    webhook_secret = models.CharField(max_length=64, default=secrets.token_hex)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.user.is_superuser


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    """An API key. Only its SHA-256 is stored; the raw key is shown once at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, db_index=True)  # shown in lists: "bk_1a2b3c4d"
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(models.Model):
    """Who did what, for operators: job actions, API keys, refusals. Written by accounts.audit.record.

    The job is kept as a bare id (not a foreign key) so the trail outlives a deleted job, and the
    actor's name is copied so it outlives a deleted user.
    """

    class Action(models.TextChoices):
        JOB_CREATED = "job_created", "Job created"
        JOB_CANCELED = "job_canceled", "Job canceled"
        JOB_RETRIED = "job_retried", "Job retried"
        JOB_DELETED = "job_deleted", "Job deleted"
        JOB_REQUEUED = "job_requeued", "Job re-queued by the reaper"
        JOB_REAPED = "job_reaped", "Job failed by the reaper"
        KEY_CREATED = "key_created", "API key created"
        KEY_REVOKED = "key_revoked", "API key revoked"
        AUTH_FAILED = "auth_failed", "Authentication failed"
        RATE_LIMITED = "rate_limited", "Rate limit refusal"
        QUOTA_EXCEEDED = "quota_exceeded", "Quota refusal"
        PROVIDER_THROTTLED = "provider_throttled", "A cloud provider answered 429"
        YOUTUBE_FAILED = "youtube_failed", "YouTube upload failed"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    job_id = models.UUIDField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "-at"])]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_name or 'anonymous'} at {self.at:%Y-%m-%d %H:%M:%S}"
