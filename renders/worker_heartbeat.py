"""Worker processes report themselves: a row per `manage.py run_workers`, beaten every reaper round.

The admin's "Worker heartbeats" page reads these rows: which machines run workers, how many
each, and when each last reported. A process that stops cleanly marks its row stopped; one that
dies leaves its beat to age, and the page calls it stale. Rows of processes gone for a day are
deleted by the next beat of any worker.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from renders.models import WorkerHeartbeat

FORGET_AFTER = timedelta(days=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(*, started_at: object = None) -> None:
    """Record that this process is alive (creating its row on the first beat)."""
    now = timezone.now()
    defaults = {"beat_at": now, "workers": settings.RENDER_WORKERS, "stopped_at": None}
    _, created = WorkerHeartbeat.objects.update_or_create(
        name=worker_name(),
        defaults=defaults,
        create_defaults={
            **defaults,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": started_at or now,
        },
    )
    if created:
        WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()


def stopped() -> None:
    WorkerHeartbeat.objects.filter(name=worker_name()).update(stopped_at=timezone.now())


def is_stale(heartbeat: WorkerHeartbeat) -> bool:
    """No beat for three reaper rounds: the process is gone or hung."""
    limit = timedelta(seconds=3 * settings.REAPER_EVERY_SEC)
    return heartbeat.stopped_at is None and timezone.now() - heartbeat.beat_at > limit
