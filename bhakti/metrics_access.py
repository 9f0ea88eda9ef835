"""Who may read the deployment's metrics: the holder of METRICS_TOKEN (or anyone, when METRICS_PUBLIC).

Used by the metrics views (renders.metrics, compat.metrics) and by /readyz, which shows its details to the same
token.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


def has_metrics_token(request: HttpRequest) -> bool:
    """Whether the request carries "Authorization: Bearer <METRICS_TOKEN>" (never, when none is set)."""
    token = settings.METRICS_TOKEN
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_token_required(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """METRICS_TOKEN set: require "Authorization: Bearer <token>" (401 otherwise).

    Unset: the metrics are off (404) unless METRICS_PUBLIC is on, since they show deployment-wide
    job counts and failure reasons to whoever asks.
    """

    @wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        if settings.METRICS_TOKEN:
            if not has_metrics_token(request):
                response = JsonResponse(
                    {"code": "unauthorized", "message": "A valid metrics token is required."}, status=401
                )
                response["WWW-Authenticate"] = 'Bearer realm="metrics"'
                return response
        elif not settings.METRICS_PUBLIC:
            return JsonResponse({"code": "not_found", "message": "Not found."}, status=404)
        return view(request)

    return wrapped
