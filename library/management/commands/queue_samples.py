"""Queue the front page's sample videos if they are missing (library.samples). Safe on every start."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from library.samples import ensure_sample_jobs


class Command(BaseCommand):
    help = "Queue the sample videos the front page shows, unless they exist (SAMPLE_VIDEOS=0 turns this off)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SAMPLE_VIDEOS:
            return
        queued = ensure_sample_jobs()
        if queued:
            self.stdout.write(f"Queued {queued} sample videos for the front page; the workers render them now.")
