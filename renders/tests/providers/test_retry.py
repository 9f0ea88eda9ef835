"""The retry policy: backoff doubles, Retry-After wins when longer, final errors do not retry."""

from __future__ import annotations

import email.utils
import time

import pytest

from renders.pipeline.providers.base import ProviderError
from renders.pipeline.providers.retry import (
    RetryableError,
    RetryPolicy,
    call_with_retries,
    parse_retry_after,
    status_error,
)


def test_it_retries_with_doubling_backoff_then_succeeds(sleeps):
    policy = RetryPolicy(max_retries=3, backoff_sec=0.5, sleep=sleeps)
    outcomes = [RetryableError("busy"), RetryableError("busy"), "ok"]

    def attempt() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert call_with_retries(attempt, policy) == "ok"
    assert sleeps.waits == [0.5, 1.0]


def test_it_waits_as_long_as_retry_after_asks_but_no_longer_than_the_cap(sleeps):
    policy = RetryPolicy(max_retries=2, backoff_sec=0.01, max_wait_sec=10, sleep=sleeps)
    errors = [RetryableError("slow down", retry_after=3), RetryableError("slow down", retry_after=99)]

    def attempt() -> str:
        if errors:
            raise errors.pop(0)
        return "ok"

    assert call_with_retries(attempt, policy) == "ok"
    assert sleeps.waits == [3, 10]


def test_it_gives_up_after_the_last_retry_saying_how_many_tries(sleeps):
    policy = RetryPolicy(max_retries=2, backoff_sec=0.01, sleep=sleeps)
    calls = []

    def attempt() -> str:
        calls.append(1)
        raise RetryableError("server error (HTTP 500)")

    with pytest.raises(ProviderError, match=r"HTTP 500\) after 3 tries") as caught:
        call_with_retries(attempt, policy)
    assert not isinstance(caught.value, RetryableError)
    assert len(calls) == 3 and len(sleeps.waits) == 2


def test_it_does_not_retry_a_final_error(sleeps):
    calls = []

    def attempt() -> str:
        calls.append(1)
        raise ProviderError("bad key")

    with pytest.raises(ProviderError, match="bad key"):
        call_with_retries(attempt, RetryPolicy(max_retries=3, sleep=sleeps))
    assert calls == [1] and sleeps.waits == []


def test_it_reads_retry_after_as_seconds_or_as_a_date():
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    assert parse_retry_after({"retry-after": "garbage"}) is None
    assert parse_retry_after({}) is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after({"Retry-After": future}) <= 31


def test_it_classifies_statuses():
    assert isinstance(status_error("X", 429, {"Retry-After": "2"}), RetryableError)
    assert status_error("X", 429, {"Retry-After": "2"}).retry_after == 2.0
    assert isinstance(status_error("X", 503, {}), RetryableError)
    final = status_error("X", 401, {}, "Incorrect API key")
    assert not isinstance(final, RetryableError)
    assert str(final) == "X refused the API key (HTTP 401): Incorrect API key"
