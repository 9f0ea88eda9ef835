"""Structured logs: JSON lines carrying request_id and job_id, with secrets scrubbed out.

The request id and job id live in context variables (bhakti.request_context), so every log line
written while a request or a render job is being handled carries them, whichever module writes
it. The scrubbing filter sits on the handler (not on a logger) so it sees records propagated
from every logger.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bhakti.request_context import current_request_var, job_id_var, request_id_var, scrub_text, scrub_value
from bhakti.sentry import tag_job

if TYPE_CHECKING:  # settings.py imports this module; keep django.http out of that import
    from django.http import HttpRequest, HttpResponse


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
        tag_job(str(job_id))
        yield
    finally:
        job_id_var.reset(token)


_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
request_logger = logging.getLogger("bhakti.request")


class RequestIdMiddleware:
    """Gives each request an id (the caller's X-Request-ID when it is sane) and logs one access line.

    It sits first in MIDDLEWARE so everything below it logs with the id and sees the request in
    `current_request_var` (the audit trail takes its actor and address from there).
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
