"""Create or update the periodic django-q2 schedules (reaper, retention, publishing). Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bhakti.schedules import SCHEDULES, ensure_schedules


class Command(BaseCommand):
    help = "Create or update the periodic schedules; safe to run on every deploy."

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_schedules()
        self.stdout.write(f"{len(SCHEDULES)} schedules in place: {', '.join(SCHEDULES)}")
