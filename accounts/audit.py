"""The audit trail: one call, `record(...)`, from services, middleware and signal receivers.

`AuditRefusalsMiddleware` records the refusals (429, and 401 on the API) as requests end.

A record never breaks the operation it describes: a failure to write it is logged and swallowed.
Request details (actor, IP, request id) come from the request being served when none is passed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.signals import user_login_failed
from django.db import DatabaseError, transaction
from django.dispatch import receiver

from accounts.models import AuditEvent
from bhakti.client_ip import client_ip
from bhakti.request_context import current_request_var, scrub_text

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest, HttpResponseBase

logger = logging.getLogger("bhakti.audit")

Action = AuditEvent.Action


def record(
    action: str,
    *,
    actor: AbstractBaseUser | None = None,
    job: Any = None,
    request: HttpRequest | None = None,
    detail: str = "",
    savepoint: bool = True,
) -> AuditEvent | None:
    """Write one audit event; returns it, or None when the database refused it.

    `savepoint=False` for a record written in the same transaction as the change it describes,
    which should stand or fall with it (a savepoint costs two statements on a hot path).
    """
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    request = request if request is not None else current_request_var.get()
    if actor is None and request is not None:
        user = getattr(request, "user", None)  # DRF sets this on the Django request too
        if user is not None and user.is_authenticated:
            actor = user
    event = AuditEvent(
        action=action,
        actor=actor if actor is not None and actor.pk is not None else None,
        actor_name=actor.get_username() if actor is not None else "",
        job_id=getattr(job, "pk", job),
        ip=_client_ip(request),
        request_id=getattr(request, "request_id", "") if request is not None else "",
        detail=scrub_text(detail)[:2000],
    )
    if not savepoint:
        event.save()
        _log(event)
        return event
    try:
        # A savepoint: a failed insert inside the caller's transaction must not poison it.
        with transaction.atomic():
            event.save()
    except DatabaseError:
        logger.exception("could not write audit event %s", action)
        return None
    _log(event)
    return event


def _log(event: AuditEvent) -> None:
    action = event.action
    logger.info(
        "audit %s by %s%s",
        action,
        event.actor_name or "anonymous",
        f" job {event.job_id}" if event.job_id else "",
        extra={"audit_action": action, "actor": event.actor_name, "detail": event.detail},
    )


def _client_ip(request: HttpRequest | None) -> str | None:
    # X-Forwarded-For only as far as TRUSTED_PROXY_COUNT proxies wrote it (bhakti/client_ip.py).
    if request is None:
        return None
    return client_ip(request) or None


@receiver(user_login_failed, dispatch_uid="bhakti-audit-login-failed")
def _record_login_failure(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    """Web login failures. API authentication failures are recorded by the request middleware
    (a 401 on /api/), so failures of HTTP Basic against the API are skipped here to count once."""
    if request is not None and request.path.startswith("/api/"):
        return
    username = str(credentials.get("username", ""))[:150]
    record(Action.AUTH_FAILED, request=request, detail=f"login failed for username {username!r}")


class AuditRefusalsMiddleware:
    """Records the refusals that leave the stack (429, and 401 on the API) in the audit trail.

    Done here, once, where the request ends, rather than in each throttle and authentication
    class: every refusal, whichever view, middleware or throttle produced it, comes out as one of
    these statuses. It sits right below bhakti.logging.RequestIdMiddleware, so the record carries
    the request id.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        _record_refusal(request, response.status_code)
        return response


def _record_refusal(request: HttpRequest, status: int) -> None:
    if status == 429:
        action = Action.RATE_LIMITED
    elif status == 401 and request.path.startswith("/api/") and _presented_credentials(request):
        # A 401 to a request with no credentials at all is "log in first", not a failed attempt;
        # recording those would let any anonymous crawler fill the trail.
        action = Action.AUTH_FAILED
    else:
        return
    record(action, request=request, detail=f"{request.method} {request.path}")


def _presented_credentials(request: HttpRequest) -> bool:
    return bool(request.headers.get("Authorization") or request.headers.get("X-API-Key"))
