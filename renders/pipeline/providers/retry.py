"""Timeouts and retries for calls to cloud providers. No Django here.

Every cloud provider funnels its HTTP calls through `call_with_retries`: a 429 or a 5xx (and a
dropped connection or a timeout) is tried again after an exponential backoff, or after the
server's Retry-After when it asks for longer; anything else fails at once. After the last try
the provider raises ProviderError, and `with_fallback` moves on to the next provider in the chain.
The SDKs' own retry loops are switched off (max_retries=0) so there is exactly one policy.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from renders.pipeline.providers.base import ProviderError

T = TypeVar("T")


class RetryableError(ProviderError):
    """A failure worth trying again: rate limited, a server error, a timeout, a dropped connection.

    `status` is the HTTP status when there was one; `provider` names who answered ("OpenAI",
    "ElevenLabs", "Pexels"), for the operators' count of rate-limit answers per provider.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, status: int | None = None, provider: str = ""
    ):
        self.retry_after = retry_after
        self.status = status
        self.provider = provider
        super().__init__(message)


# Called with the provider's name on every 429 a provider answers (each try, not each job), so
# operators can see a rate-limit storm before jobs fall back. The Django side registers the
# recorder (renders/apps.py); this module stays free of Django.
_rate_limit_observers: list[Callable[[str], None]] = []


def observe_rate_limits(observer: Callable[[str], None]) -> None:
    if observer not in _rate_limit_observers:
        _rate_limit_observers.append(observer)


def provider_label(what: str) -> str:
    """ "OpenAI images" -> "openai": the provider, not the product, is what a 429 storm is about."""
    return (what.split() or ["unknown"])[0].lower()


def _notify_rate_limited(error: RetryableError) -> None:
    if error.status != 429:
        return
    for observer in list(_rate_limit_observers):
        with contextlib.suppress(Exception):  # counting must never break the call it counts
            observer(provider_label(error.provider))


@dataclass(frozen=True)
class RetryPolicy:
    timeout_sec: float = 60.0
    max_retries: int = 3  # tries after the first one
    backoff_sec: float = 1.0  # first wait; doubles after each failure
    max_wait_sec: float = 60.0  # a Retry-After longer than this is cut to it
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def wait_before(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `retry` (0-based)."""
        backoff = self.backoff_sec * (2.0**retry)
        wanted = max(backoff, retry_after or 0.0)
        return min(wanted, self.max_wait_sec)


DEFAULT_POLICY = RetryPolicy()


def is_retryable_status(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date (RFC 9110)."""
    if not headers:
        return None
    raw = None
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value
            break
    if raw is None:
        return None
    raw = str(raw).strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


# Error codes in a provider's answer that say more than its status: a 429 `insufficient_quota`
# (OpenAI) will not pass on a retry, unlike `rate_limit_exceeded`; ElevenLabs answers a used-up
# character quota with 401 `quota_exceeded`, which is not a bad key.
FINAL_CODES = {
    "insufficient_quota": "has no credit left on this account (insufficient_quota): add credit or raise the usage limit",
    "billing_hard_limit_reached": "reached the account's spending limit (billing_hard_limit_reached)",
    "quota_exceeded": "says the account's quota is used up (quota_exceeded): wait for the next period or upgrade",
    "model_not_found": "does not know that model (model_not_found)",
    "voice_not_found": "does not know that voice (voice_not_found)",
}


def status_error(
    what: str, status: int, headers: Mapping[str, str] | None, detail: str = "", code: str = ""
) -> ProviderError:
    """The error for an HTTP status: retryable for 429/5xx, final for everything else and for the
    codes in FINAL_CODES whatever their status."""
    if code in FINAL_CODES:
        message = f"{what} {FINAL_CODES[code]} (HTTP {status})"
        return ProviderError(f"{message}: {detail[:200]}" if detail else message)
    reason = {
        400: "rejected the request",
        401: "refused the API key",
        403: "denied access",
        404: "does not know that model or voice",
        413: "says the request is too large",
        422: "rejected the request",
        429: "is rate limiting us",
    }.get(status, "had a server error" if status >= 500 else "answered with an error")
    message = f"{what} {reason} (HTTP {status})"
    if detail:
        message += f": {detail[:200]}"
    if is_retryable_status(status):
        return RetryableError(message, retry_after=parse_retry_after(headers), status=status, provider=what)
    return ProviderError(message)


def call_with_retries(attempt: Callable[[], T], policy: RetryPolicy) -> T:
    """Run `attempt` until it succeeds, raises a final ProviderError, or runs out of retries.

    `attempt` must translate its transport's failures into RetryableError (try again) or
    ProviderError (give up now). The last RetryableError is re-raised as a plain ProviderError
    saying how many tries were made, which is what the job's log shows on fallback.
    """
    tries = policy.max_retries + 1
    for retry in range(tries):
        try:
            return attempt()
        except RetryableError as error:
            _notify_rate_limited(error)
            if retry + 1 >= tries:
                raise ProviderError(f"{error} after {tries} tries") from error
            policy.sleep(policy.wait_before(retry, error.retry_after))
    raise AssertionError("unreachable")  # the loop either returns or raises
