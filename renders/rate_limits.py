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


def take_render_start(*, user_id: int, scope: str = RENDER_START) -> int | None:
    """Count one start for the user; None when allowed, else seconds to wait (and nothing is counted).

    Not atomic across processes: two requests at the same instant may both see one slot left, as
    with DRF's throttles. The limit bounds abuse; it is not an exact meter.
    """
    now = time.time()
    key = _cache_key(scope, user_id)
    history = [moment for moment in cache.get(key, []) if moment > now - WINDOW_SEC]
    if len(history) >= settings.RATE_LIMIT_PER_MIN:
        return max(1, math.ceil(history[-1] + WINDOW_SEC - now))
    history.insert(0, now)
    cache.set(key, history, WINDOW_SEC)
    return None


def refusal_message(wait: int) -> str:
    return (
        f"You have started {settings.RATE_LIMIT_PER_MIN} renders in the last minute, the most allowed "
        f"(RATE_LIMIT_PER_MIN). Try again in {wait} s."
    )
