"""Rate limit on starting renders: RATE_LIMIT_PER_MIN per API key, or per user for sessions.

DRF's stock throttles key on the user, else the client IP; integrations behind one NAT or one
user with several keys need the key's own bucket. History lives in the default cache, which is
Redis in production so every web process shares it (local memory on one machine).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.models import ApiKey


class RenderStartRateThrottle(SimpleRateThrottle):
    scope = "render_start"

    def get_rate(self) -> str:
        # Read per request, so a changed setting (or a test's override) applies at once.
        return f"{settings.RATE_LIMIT_PER_MIN}/min"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
