"""Small display filters for the studio templates."""

from __future__ import annotations

import math

from django import template

register = template.Library()


@register.filter
def clock(seconds: float | None) -> str:
    """142.3 -> "2:23" (a video's length as players show it); "" when unknown."""
    if seconds is None:
        return ""
    whole = math.ceil(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


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
