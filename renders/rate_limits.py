"""Per-user rate limits on starting renders, shared by the API (every key, and sessions) and the web forms.

One allowance per user, not per API key: eight keys must not give eight times the limit, and the
studio's create and retry forms draw on the same allowance as the API. History lives in the
default cache (Redis in production, so every web process shares it): the start times within the
last window, newest first, as DRF's own throttles keep them.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

RENDER_START = "render_start"
SCRIPT_DRAFT = "script_draft"  # drafting calls a paid chat model: the same rate, its own bucket
WINDOW_SEC = 60


def _cache_key(scope: str, user_id: int) -> str:
    return f"rate:{scope}:user:{user_id}"


def take_render_start(*, user_id: int, scope: str = RENDER_START, count: int = 1) -> int | None:
    """Count `count` starts for the user (a series starts several at once, all or none); None when
    allowed, else seconds to wait (and nothing is counted).

    Not atomic across processes: two requests at the same instant may both see one slot left, as
    with DRF's throttles. The limit bounds abuse; it is not an exact meter.
    """
    now = time.time()
    key = _cache_key(scope, user_id)
    history = [moment for moment in cache.get(key, []) if moment > now - WINDOW_SEC]
    if len(history) + count > settings.RATE_LIMIT_PER_MIN:
        if count > settings.RATE_LIMIT_PER_MIN:
            return WINDOW_SEC  # never fits; the caller's message says why
        # Wait until enough of the oldest starts have left the window to make room for `count`.
        freed_by = history[settings.RATE_LIMIT_PER_MIN - count] if history else now
        return max(1, math.ceil(freed_by + WINDOW_SEC - now))
    history[:0] = [now] * count
    cache.set(key, history, WINDOW_SEC)
    return None


def refusal_message(wait: int) -> str:
    return (
        f"You have started {settings.RATE_LIMIT_PER_MIN} renders in the last minute, the most allowed "
        f"(RATE_LIMIT_PER_MIN). Try again in {wait} s."
    )


def series_refusal_message(wait: int, count: int) -> str:
    if count > settings.RATE_LIMIT_PER_MIN:
        return (
            f"A series of {count} videos starts more renders at once than the {settings.RATE_LIMIT_PER_MIN} a "
            "minute allowed (RATE_LIMIT_PER_MIN): make a shorter series. Nothing was created."
        )
    return (
        f"A series of {count} videos would go over the {settings.RATE_LIMIT_PER_MIN} renders a minute allowed "
        f"(RATE_LIMIT_PER_MIN). Try again in {wait} s. Nothing was created."
    )
