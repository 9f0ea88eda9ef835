"""The answer to a login attempt while django-axes holds the account or the address locked."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    """429 with Retry-After: the lock lasts AXES_COOLOFF_TIME from the latest failure.

    Every failure during the lock starts the cool-off again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT),
    so the full cool-off is the honest wait for whoever sees this page.
    """
    wait = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds())
    context = {"minutes": math.ceil(wait / 60), "failure_limit": settings.AXES_FAILURE_LIMIT}
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response
