"""API-key authentication for DRF: `X-API-Key: bk_…` or `Authorization: Bearer bk_…`.

Keys are hashed at rest (accounts.models.ApiKey); `api_key_authenticate` compares hashes. A
request that presents a key which is unknown or revoked is refused outright (401) rather than
falling through to session auth: a client that sent a key means to be that key.

Guessing is throttled per client address: after API_KEY_FAILURES_PER_WINDOW unknown keys within
API_KEY_FAILURE_WINDOW_SEC, every key from that address is refused with 429 until the window ends
(a valid key too: the address is the unit, since a guesser holds no key of its own).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts import address_limits
from accounts.models import ApiKey
from accounts.services import api_key_authenticate

API_KEY_HEADER = "X-API-Key"


def raw_key_from_request(request: Request | HttpRequest) -> str | None:
    """The key the client presented, or None when it presented none (Basic auth etc. is not ours)."""
    header_key = request.headers.get(API_KEY_HEADER)
    if header_key is not None:
        return header_key.strip()
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    return None


def api_key_locked_out(request: HttpRequest) -> bool:
    """Whether this address is locked out for presenting too many keys that are not valid."""
    return (
        address_limits.wait_if_over(
            scope="api-key-failures",
            request=request,
            limit=settings.API_KEY_FAILURES_PER_WINDOW,
            window_sec=settings.API_KEY_FAILURE_WINDOW_SEC,
        )
        is not None
    )


class ApiKeyAuthentication(BaseAuthentication):
    """Sets request.user to the key's owner and request.auth to the ApiKey row."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw_key = raw_key_from_request(request)
        if raw_key is None:
            return None
        window = settings.API_KEY_FAILURE_WINDOW_SEC
        limit = settings.API_KEY_FAILURES_PER_WINDOW
        wait = address_limits.wait_if_over(
            scope="api-key-failures", request=request._request, limit=limit, window_sec=window
        )
        if wait is not None:
            raise exceptions.Throttled(
                wait=wait,
                detail=(
                    "Too many requests from this address presented an API key that is not valid; "
                    f"try again in {wait} s."
                ),
            )
        key = api_key_authenticate(raw_key) if raw_key else None
        if key is None:
            address_limits.count(scope="api-key-failures", request=request._request, window_sec=window)
            raise exceptions.AuthenticationFailed(
                "This API key is not valid: it may be mistyped or revoked. Create a new one on your Profile page, "
                f"under API keys ({reverse('accounts:profile')}).",
                code="invalid_api_key",
            )
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents both ways of sending a key as OpenAPI security schemes (either one suffices)."""

    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = ["ApiKeyHeader", "BearerKey"]
    priority = 1

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        # Separate requirement objects: either header works (one object would mean both at once).
        return [{"ApiKeyHeader": []}, {"BearerKey": []}]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": API_KEY_HEADER,
                "description": "An API key (bk_…) from your Profile page, under API keys.",
            },
            {
                "type": "http",
                "scheme": "bearer",
                "description": "The same API key sent as `Authorization: Bearer bk_…`.",
            },
        ]
