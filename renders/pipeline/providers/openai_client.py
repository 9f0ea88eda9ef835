"""The OpenAI client shared by the image, speech and script providers, and its error mapping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from renders.pipeline.providers.base import ProviderError
from renders.pipeline.providers.catalog import shutdown_of
from renders.pipeline.providers.retry import (
    DEFAULT_POLICY,
    RetryableError,
    RetryPolicy,
    call_with_retries,
    status_error,
)

if TYPE_CHECKING:  # the SDK (~0.4-1 s, ~40 MB) loads at the first call, not with the web's URLconf
    import openai

T = TypeVar("T")


@dataclass(frozen=True)
class OpenAIAccount:
    api_key: str
    base_url: str = ""  # empty: the SDK's default (api.openai.com); tests point it at a stand-in
    policy: RetryPolicy = DEFAULT_POLICY

    def client(self) -> openai.OpenAI:
        import openai

        # max_retries=0: retries follow our RetryPolicy (one policy for every provider).
        return openai.OpenAI(
            api_key=self.api_key,
            base_url=self.base_url or None,
            timeout=self.policy.timeout_sec,
            max_retries=0,
        )


def _error_detail(error: openai.APIStatusError) -> tuple[str, str]:
    """(message, code) from OpenAI's error body: {"error": {"message", "type", "code"}}."""
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("message") or ""), str(inner.get("code") or "")
    return "", ""


def call_openai(
    what: str, account: OpenAIAccount, request: Callable[[openai.OpenAI], T], *, kind: str = "", model: str = ""
) -> T:
    """Run one OpenAI request under the retry policy; failures become ProviderError.

    With `kind` ("image", "speech", "chat") and `model`, a failure of a model OpenAI has shut
    down says so, with the date and the replacement, so the job's log tells the creator why.
    """
    try:
        return _call(what, account, request)
    except ProviderError as error:
        shutdown = shutdown_of(kind, model) if kind else None
        if shutdown is not None and shutdown.date <= dt.datetime.now(tz=dt.UTC).date():
            raise ProviderError(f"{what} refused the model: {shutdown.notice(dt.date.max)} ({error})") from error
        raise


def _call(what: str, account: OpenAIAccount, request: Callable[[openai.OpenAI], T]) -> T:
    import openai

    client = account.client()

    def attempt() -> T:
        try:
            return request(client)
        except openai.APIStatusError as error:
            message, code = _error_detail(error)
            raise status_error(what, error.status_code, error.response.headers, message, code) from error
        except openai.APITimeoutError as error:
            raise RetryableError(f"{what} timed out after {account.policy.timeout_sec:g} s") from error
        except openai.APIConnectionError as error:
            raise RetryableError(f"{what} could not be reached ({error})") from error
        except openai.APIError as error:
            raise ProviderError(f"{what} sent an answer we could not read ({error})") from error

    try:
        return call_with_retries(attempt, account.policy)
    finally:
        client.close()
