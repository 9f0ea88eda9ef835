"""Run the reaper once now (it also runs every minute on the schedule)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from renders.reaper import reap_jobs


class Command(BaseCommand):
    help = "Re-queue jobs whose worker died, fail them after the last attempt, re-enqueue orphaned queued jobs."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(reap_jobs()))
