"""django-q2 tasks for publishing. They take ids and are idempotent; the work lives in services."""

from __future__ import annotations

from publishing import services


def publish_due() -> int:
    """Every minute (bhakti/schedules.py): queue the uploads that are due."""
    return services.enqueue_due_publications()


def upload_publication(publication_id: int) -> str:
    return services.upload_publication(publication_id=publication_id)
