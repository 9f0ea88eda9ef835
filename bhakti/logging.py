"""Structured logs: JSON lines carrying request_id and job_id, with secrets scrubbed out.

The request id and job id live in context variables, so every log line written while a request
or a render job is being handled carries them, whichever module writes it. The scrubbing filter
sits on the handler (not on a logger) so it sees records propagated from every logger.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # settings.py imports this module; keep django.http out of that import
    from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("bhakti_request_id", default="")
job_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("bhakti_job_id", default="")
# The request being served, so audit records written deep inside a service know who and where.
current_request_var: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "bhakti_current_request", default=None
)

REDACTED = "[redacted]"

# Secret-looking values in free text. Each pattern keeps its first group (the name) and
# replaces the value, so a scrubbed line still says *what* was there.
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer xyz / Basic xyz / Token xyz (headers, curl lines, reprs)
    (re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?)(?:bearer|basic|token)?\s*[^\s\"',}]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + REDACTED),
    # key=value / "key": "value" pairs whose name says secret
    (
        re.compile(
            r"(?i)([\"']?\b(?:password|passwd|pwd|secret|client_secret|secret_key|api[_-]?key|x-api-key|"
            r"access[_-]?token|refresh[_-]?token|id_token|token|access_key|sessionid|csrftoken|dsn)\b[\"']?"
            r"\s*[:=]\s*[\"']?)[^\s\"'&,;}]+"
        ),
        r"\1" + REDACTED,
    ),
    # Bare keys of our own and of providers we talk to
    (re.compile(r"\bbk_[A-Za-z0-9_-]{20,}"), "bk_" + REDACTED),  # a whole key; an 8-char prefix stays
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), "sk-" + REDACTED),
    (re.compile(r"\bya29\.[A-Za-z0-9._-]{8,}"), "ya29." + REDACTED),  # Google OAuth access tokens
    (re.compile(r"\b1//[A-Za-z0-9._-]{8,}"), "1//" + REDACTED),  # Google OAuth refresh tokens
    # user:password@host in URLs (DATABASE_URL, REDIS_URL in an error message)
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@"), r"\1" + REDACTED + "@"),
)

SENSITIVE_NAME = re.compile(
    r"(?i)(password|passwd|secret|token|api[_-]?key|authorization|cookie|session|csrf|dsn|signature|credential)"
)


def scrub_text(text: str) -> str:
    """The text with every secret-looking value replaced by [redacted]."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub_value(value: object, *, key: str = "") -> object:
    """Scrub a nested structure: values under a sensitive key go entirely, strings are scrubbed."""
    if key and SENSITIVE_NAME.search(key) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub_value(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(item) for item in value]
    return value


class ScrubSecretsFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with secrets replaced. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: keep what there is
            message = str(record.msg)
        record.msg = scrub_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        return True


class ContextFilter(logging.Filter):
    """Adds request_id and job_id to every record, for the text format too."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", "") or request_id_var.get()
        record.job_id = getattr(record, "job_id", "") or job_id_var.get()
        return True


# LogRecord attributes that are not "extra" fields passed by the caller.
_RECORD_FIELDS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime", "request_id", "job_id"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, job_id, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id_var.get(),
            "job_id": getattr(record, "job_id", "") or job_id_var.get(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_FIELDS and not name.startswith("_"):
                entry[name] = scrub_value(value, key=name) if _is_jsonable(value) else scrub_text(repr(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def _is_jsonable(value: object) -> bool:
    return isinstance(value, str | int | float | bool | list | tuple | dict) or value is None


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s job=%(job_id)s] %(message)s"


def logging_config(*, level: str, json_logs: bool) -> dict[str, object]:
    """The LOGGING dict for settings.py: one console handler, context + scrubbing filters."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "bhakti.logging.ContextFilter"},
            "scrub": {"()": "bhakti.logging.ScrubSecretsFilter"},
        },
        "formatters": {
            "json": {"()": "bhakti.logging.JsonFormatter"},
            "text": {"format": TEXT_FORMAT},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context", "scrub"],
                "formatter": "json" if json_logs else "text",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # django-axes logs every successful login's reset at INFO; failures and lockouts are in
            # the audit trail already, and lockouts are logged by axes at WARNING.
            "axes": {"level": "WARNING"},
            # django-q logs through its own logger with its own handler; route it through ours.
            "django-q": {"handlers": ["console"], "level": level, "propagate": False},
        },
    }


@contextmanager
def job_context(job_id: str) -> Iterator[None]:
    """Tag every log line (and Sentry event) written inside with this job's id."""
    token = job_id_var.set(str(job_id))
    try:
        from bhakti.sentry import tag_job

        tag_job(str(job_id))
        yield
    finally:
        job_id_var.reset(token)


_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
request_logger = logging.getLogger("bhakti.request")


class RequestIdMiddleware:
    """Gives each request an id (the caller's X-Request-ID when it is sane), logs one access line,
    and records refusals (429, and 401 on the API) in the audit trail.

    It sits first in MIDDLEWARE so everything below it logs with the id.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        id_token = request_id_var.set(request_id)
        request_token = current_request_var.set(request)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            elapsed_ms = round((time.monotonic() - started) * 1000, 1)
            _record_refusal(request, response.status_code)
            request_logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                elapsed_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": elapsed_ms,
                },
            )
            return response
        finally:
            current_request_var.reset(request_token)
            request_id_var.reset(id_token)


def _record_refusal(request: HttpRequest, status: int) -> None:
    """Rate-limit refusals and API authentication failures go to the audit trail.

    Done here, once, rather than in each throttle and authentication class: every refusal,
    whichever view or throttle produced it, comes out of the stack as one of these statuses.
    """
    if status == 429:
        action = "rate_limited"
    elif status == 401 and request.path.startswith("/api/") and _presented_credentials(request):
        # A 401 to a request with no credentials at all is "log in first", not a failed attempt;
        # recording those would let any anonymous crawler fill the trail.
        action = "auth_failed"
    else:
        return
    from accounts import audit

    audit.record(action, request=request, detail=f"{request.method} {request.path}")


def _presented_credentials(request: HttpRequest) -> bool:
    return bool(request.headers.get("Authorization") or request.headers.get("X-API-Key"))
