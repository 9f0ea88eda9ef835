"""Fixed-window counters per client address, for actions a guesser or a spammer repeats.

Used for unknown API keys (accounts.authentication), sign-ups and password-reset e-mails
(accounts.views). Counters live in the default cache (Redis in production, shared by every web
process); a window is aligned to the clock, so its end is the honest Retry-After.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache
from django.http import HttpRequest

from bhakti.client_ip import client_ip


def _window(scope: str, request: HttpRequest, window_sec: int) -> tuple[str, int]:
    now = time.time()
    index = int(now // window_sec)
    return f"address-limit:{scope}:{client_ip(request)}:{index}", max(1, math.ceil((index + 1) * window_sec - now))


def wait_if_over(*, scope: str, request: HttpRequest, limit: int, window_sec: int) -> int | None:
    """Seconds until the window ends when this address has used up `limit`; None while it has not."""
    key, wait = _window(scope, request, window_sec)
    return wait if (cache.get(key) or 0) >= limit else None


def count(*, scope: str, request: HttpRequest, window_sec: int) -> None:
    key, _ = _window(scope, request, window_sec)
    # add() then incr(): atomic on Redis, so concurrent requests from many processes all count.
    cache.add(key, 0, timeout=window_sec)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window_sec)
