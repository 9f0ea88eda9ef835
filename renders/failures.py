"""Which failures of a render are worth another attempt, and when that attempt may start.

The taxonomy, decided once here (renders.execution asks it for every failure):

- Transient, retried automatically: a TransientRenderError anywhere in the cause chain (ffmpeg
  stalled past its time limit), a provider that stayed down through its own retries (a
  RetryableError under the ProviderError: 429, 5xx, timeout, dropped connection), ffmpeg killed
  by a signal (a crash or the out-of-memory killer, FfmpegFailed.crashed), a lost connection
  or timeout of our own (ConnectionError, TimeoutError), and a database that went away
  (OperationalError, InterfaceError). A worker that dies or passes the job time limit is the
  reaper's to re-queue (renders/reaper.py), with the same backoff and attempt count.
- Permanent, never retried: a PlanError or InputError (the plan or an upload is unusable), any
  other RenderError or ProviderError (ffmpeg rejecting its input, a provider refusing the key
  or the request), and every exception nobody classified. An unknown exception is a bug as a
  rule, and a bug fails the same way each time: three attempts would triple the cost and the
  wait for the same message. The creator can still retry by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from renders.pipeline.context import RenderError, TransientRenderError
from renders.pipeline.ffmpeg import FfmpegFailed
from renders.pipeline.plan import PlanError
from renders.pipeline.providers.retry import RetryableError

_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    TransientRenderError,
    RetryableError,
    ConnectionError,
    TimeoutError,
    OperationalError,
    InterfaceError,
)


@dataclass(frozen=True)
class Verdict:
    transient: bool
    reason: str  # what the job's log and `retry_reason` say about the failure


def classify_failure(error: BaseException) -> Verdict:
    """Transient or permanent, with a short reason, looking through `raise ... from` causes."""
    if isinstance(error, PlanError):
        return Verdict(False, "the plan is invalid")
    for cause in _causes(error):
        if isinstance(cause, FfmpegFailed) and cause.crashed:
            return Verdict(True, f"ffmpeg crashed (killed by signal {-cause.returncode})")
        if isinstance(cause, _TRANSIENT_TYPES):
            return Verdict(True, f"{_kind(cause)}: {cause}")
    if isinstance(error, RenderError):
        return Verdict(False, str(error))
    return Verdict(False, f"{type(error).__name__}: {error}")


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        current = current.__cause__
    return chain


def _kind(cause: BaseException) -> str:
    if isinstance(cause, RetryableError):
        return "a provider stayed unavailable"
    if isinstance(cause, (OperationalError, InterfaceError)):
        return "the database connection failed"
    if isinstance(cause, (ConnectionError, TimeoutError)):
        return "a network call failed"
    return "a temporary failure"


def backoff_seconds(*, attempt: int) -> float:
    """The wait before attempt number `attempt` (2, 3, …): RETRY_BACKOFF_SEC × RETRY_BACKOFF_FACTOR^(attempt-2)."""
    return settings.RETRY_BACKOFF_SEC * settings.RETRY_BACKOFF_FACTOR ** max(0, attempt - 2)


def next_attempt_time(*, attempt: int) -> datetime:
    return timezone.now() + timedelta(seconds=backoff_seconds(attempt=attempt))


def wait_text(due: datetime) -> str:
    """How long until `due`, for a log line: "10 s", "0.2 s"."""
    return f"{max(0.0, round((due - timezone.now()).total_seconds(), 1)):g} s"
