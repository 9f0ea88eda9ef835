"""Periodic django-q2 schedules, created idempotently (Schedule.name is not unique)."""

from __future__ import annotations

from django_q.models import Schedule

# name -> (function path, minutes between runs)
SCHEDULES: dict[str, tuple[str, int]] = {
    "publishing.publish_due": ("publishing.tasks.publish_due", 1),  # uploads what is due to YouTube
    "renders.reap_jobs": ("renders.reaper.reap_jobs", 1),  # re-queues jobs whose worker died
    "renders.apply_retention": ("renders.retention.apply_retention", 60),  # work dirs, cache, old intermediates
    "renders.purge_idempotency_keys": ("renders.idempotency.purge_expired", 60),  # API Idempotency-Keys past 24 h
}


def ensure_schedules() -> None:
    for name, (func, minutes) in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1}
        )
