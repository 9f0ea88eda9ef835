"""Small display filters for the studio templates."""

from __future__ import annotations

import math

from django import template

register = template.Library()


@register.filter
def clock(seconds: float | None) -> str:
    """142.7 -> "2:22": a video's length as the browsers' own players show it (Chromium and
    Safari drop the fraction of a second), so the page and the player agree; "" when unknown."""
    if seconds is None:
        return ""
    whole = math.floor(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


# More scenes than this and the scene editor folds each scene to its heading and first words.
LONG_PLAN_SCENES = 6


@register.filter
def is_long_plan(scene_count: int) -> bool:
    return scene_count > LONG_PLAN_SCENES


@register.filter
def filesize_short(size: int | None) -> str:
    if not size:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key, "")
