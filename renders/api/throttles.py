"""Rate limit on starting renders: RATE_LIMIT_PER_MIN per user, whichever key or session starts them.

The counting is renders.rate_limits', which the web forms use too; this class only lets DRF
refuse with its usual 429 and Retry-After.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from renders import rate_limits


class RenderStartRateThrottle(BaseThrottle):
    scope = rate_limits.RENDER_START

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return True  # the view's permission refuses anonymous requests before throttles run
        self._wait = rate_limits.take_render_start(user_id=request.user.pk, scope=self.scope)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
