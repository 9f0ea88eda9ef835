"""Shared fixtures. Named actors: alice owns things, bob is another creator, charlie an outsider."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User


@pytest.fixture(autouse=True)
def _isolated_render_dirs(settings, tmp_path: Path) -> None:
    # Each test renders into its own directories; media too, so nothing leaks between tests.
    settings.RENDER_WORK_DIR = tmp_path / "work"
    settings.RENDER_CACHE_DIR = tmp_path / "cache"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROXY_SHORT_SIDE = 144


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice", "alice@example.com", "alice-pass-123")


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user("bob", "bob@example.com", "bob-pass-123")


@pytest.fixture
def charlie(db) -> User:
    return User.objects.create_user("charlie", "charlie@example.com", "charlie-pass-123")


def tiny_plan_data(**overrides: object) -> dict:
    """A valid two-scene proxy plan that renders in a second or two."""
    data: dict = {
        "title": "Prahlad",
        "topic": "Prahlad's devotion",
        "language": "en",
        "voice": "female",
        "style": "temple-painting",
        "aspect": "16:9",
        "resolution": "720p",
        "mode": "proxy",
        "music": "tanpura",
        "watermark": "br",
        "scenes": [
            {"image_prompt": "a child praying by a river at dawn", "narration": "Prahlad prayed.", "duration_sec": 1.5},
            {
                "image_prompt": "a palace at night with fire",
                "narration": "The fire did not burn him.",
                "duration_sec": 1.5,
            },
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def plan_data() -> dict:
    return tiny_plan_data()
