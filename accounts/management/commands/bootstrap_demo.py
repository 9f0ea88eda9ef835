"""Create the demo creator account and the periodic schedules. Safe to run on every start."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.services import ensure_profile

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-bhakti-123"


class Command(BaseCommand):
    help = "Create the demo user (demo / demo-bhakti-123) if missing and ensure periodic schedules."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=DEMO_USERNAME, defaults={"email": "demo@localhost"})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            self.stdout.write(f"Created demo user {DEMO_USERNAME} / {DEMO_PASSWORD}")
        ensure_profile(user)
        from bhakti.schedules import ensure_schedules

        ensure_schedules()
