"""`Idempotency-Key` for API POSTs: a client may resend a request without doing it twice.

Per user and key the first request's fingerprint (the operation and its canonical JSON body)
and, once it has finished, its response are stored (`IdempotencyRecord`, unique on user+key):

- the same key with the same body replays the stored response (`Idempotent-Replayed: true`);
- the same key with another body, or on another operation, is refused with 422;
- the same key while the first request is still running is refused with 409.

Only successful (2xx) responses are kept. A request that failed (validation, quota, conflict)
releases its key, so the client can fix the request and send it again under the same key.
Records expire after IDEMPOTENCY_TTL_SEC (24 h); an in-flight record older than
IN_FLIGHT_STALE_SEC belongs to a request that died with its process and is taken over.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from renders.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 255
# Visible ASCII, inner spaces allowed: what survives every HTTP hop unchanged.
KEY_PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"
IN_FLIGHT_STALE_SEC = 120
REPLAYED_HEADER = "Idempotent-Replayed"
# Response headers worth replaying; the rest (Vary, Allow, …) are rebuilt by the view machinery.
_KEPT_HEADERS = ("Location",)


class InvalidIdempotencyKey(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_idempotency_key"
    default_detail = f"The {HEADER} header must be 1 to {MAX_KEY_CHARS} visible ASCII characters (a UUID is ideal)."


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = (
        f"This {HEADER} was already used with a different request body or endpoint. Use a new key for a new request."
    )


class IdempotentRequestInFlight(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_request_in_flight"
    default_detail = f"A request with this {HEADER} is still being processed; retry in a moment."


def request_fingerprint(*, operation: str, body: bytes) -> str:
    """SHA-256 of the operation and the body; JSON bodies are canonicalised (key order, spacing)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(operation.encode() + b"\n" + canonical).hexdigest()


def claim(*, user: AbstractBaseUser, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """Claim `key` for a new request, or find the finished one to replay.

    Returns (record, replay): replay is True when the record holds a response to send back.
    Raises IdempotencyKeyReused or IdempotentRequestInFlight.
    """
    now = timezone.now()
    for _ in range(2):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user,
                    key=key,
                    request_hash=fingerprint,
                    created_at=now,
                    expires_at=now + timedelta(seconds=settings.IDEMPOTENCY_TTL_SEC),
                )
            return record, False
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is None:
            continue  # released between our insert and our read: try the insert again
        stale_in_flight = record.state == IdempotencyRecord.State.IN_FLIGHT and record.created_at < now - timedelta(
            seconds=IN_FLIGHT_STALE_SEC
        )
        if record.expires_at <= now or stale_in_flight:
            IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).delete()
            continue
        if record.request_hash != fingerprint:
            raise IdempotencyKeyReused()
        if record.state == IdempotencyRecord.State.IN_FLIGHT:
            raise IdempotentRequestInFlight()
        return record, True
    raise IdempotentRequestInFlight()


def complete(*, record: IdempotencyRecord, response: Response) -> None:
    """Store a finished request's response for replay, or release the key if it failed."""
    if not status.is_success(response.status_code):
        release(record=record)
        return
    record.state = IdempotencyRecord.State.DONE
    record.response_status = response.status_code
    # Through the JSON renderer, so what is stored is exactly what the client was sent.
    record.response_body = json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
    record.response_headers = {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)}
    record.save(update_fields=["state", "response_status", "response_body", "response_headers"])


def release(*, record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def purge_expired() -> int:
    """Delete expired records; returns how many. Safe to run from a periodic task."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def _valid_key(raw: str) -> str:
    key = raw.strip()
    if not re.fullmatch(KEY_PATTERN, key):
        raise InvalidIdempotencyKey()
    return key


Handler = Callable[..., Response]


def idempotent(handler: Handler) -> Handler:
    """Decorate an APIView's post() so it honours the Idempotency-Key header (optional)."""

    @functools.wraps(handler)
    def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return handler(view, request, *args, **kwargs)
        key = _valid_key(raw_key)
        # Reading the raw body first keeps it readable for the parser afterwards.
        # The handler, not the view class: an old alias path (/render) shares keys with its new path.
        operation = f"{handler.__module__}.{handler.__qualname__}:{sorted(kwargs.items())}"
        fingerprint = request_fingerprint(operation=operation, body=request.body)
        record, replay = claim(user=request.user, key=key, fingerprint=fingerprint)
        if replay:
            response = Response(record.response_body, status=record.response_status, headers=record.response_headers)
            response[REPLAYED_HEADER] = "true"
            return response
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            release(record=record)
            raise
        complete(record=record, response=response)
        return response

    return wrapper
