"""Who is being served, and what must never be written down: the lowest module of the project.

The request id, job id and current request live in context variables, so every log line, Sentry
event and audit record written while a request or a render job is handled can name them, whichever
module writes it. The scrubbing rules are shared by the log handler, Sentry's hooks and the audit
trail. This module imports no other module of the project (settings.py imports it through
bhakti.logging), so everything may import it.
"""

from __future__ import annotations

import contextvars
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # settings.py imports this module; keep django.http out of that import
    from django.http import HttpRequest

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
