"""The failure taxonomy: what an automatic retry may fix, and what it never will."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from renders.failures import backoff_seconds, classify_failure
from renders.pipeline.context import InputError, RenderError, TransientRenderError
from renders.pipeline.ffmpeg import FfmpegFailed
from renders.pipeline.plan import PlanError
from renders.pipeline.providers.base import ProviderError, with_fallback
from renders.pipeline.providers.retry import RetryPolicy, call_with_retries, status_error


def _provider_down() -> ProviderError:
    """What a speech chain raises when its only provider answered 503 through all its own retries."""

    def answer_503() -> None:
        raise status_error("OpenAI speech", 503, {})

    policy = RetryPolicy(max_retries=2, sleep=lambda _seconds: None)

    class Provider:
        name = "openai"

    try:
        with_fallback([Provider()], lambda _p: call_with_retries(answer_503, policy), lambda *_: None, "speech")
    except ProviderError as error:
        return error
    raise AssertionError("the chain should have failed")


def _wrapped(cause: BaseException) -> RenderError:
    try:
        raise RenderError("Scene 1's picture could not be made", step="images") from cause
    except RenderError as error:
        return error


def test_it_retries_a_provider_that_stayed_down_through_its_own_retries():
    verdict = classify_failure(_wrapped(_provider_down()))
    assert verdict.transient
    assert verdict.reason == "a provider stayed unavailable: OpenAI speech had a server error (HTTP 503)"


def test_it_does_not_retry_a_provider_that_refused_the_request():
    def answer_401() -> None:
        raise status_error("OpenAI speech", 401, {})

    try:
        call_with_retries(answer_401, RetryPolicy(sleep=lambda _s: None))
    except ProviderError as error:
        assert not classify_failure(_wrapped(error)).transient


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (FfmpegFailed("scene 1 segment failed", step="compose", stderr="", returncode=-11), True),  # SIGSEGV
        (FfmpegFailed("scene 1 segment failed", step="compose", stderr="", returncode=-9), True),  # OOM killer
        (FfmpegFailed("Invalid data found", step="compose", stderr="", returncode=1), False),
        (TransientRenderError("join took longer than 600 s and was stopped", step="compose"), True),
        (ConnectionResetError("connection reset by peer"), True),
        (TimeoutError("timed out"), True),
        (OperationalError("server closed the connection unexpectedly"), True),
        (PlanError({"scenes": "At least one scene."}), False),
        (InputError("The uploaded image a.png is gone from storage.", step="images"), False),
        (RenderError("The joined video lasts 3.00 s instead of 4.00 s.", step="compose"), False),
        (KeyError("scene"), False),  # unknown: a bug fails the same way every time
        (ValueError("compose needs one image per scene"), False),
    ],
)
def test_it_classifies_each_kind_of_failure(error, transient):
    assert classify_failure(error).transient is transient


def test_the_backoff_grows_by_its_factor(settings):
    settings.RETRY_BACKOFF_SEC = 10
    settings.RETRY_BACKOFF_FACTOR = 4
    assert [backoff_seconds(attempt=n) for n in (2, 3, 4)] == [10, 40, 160]
