"""The OpenAI client shared by the image, speech and script providers, and its error mapping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import openai

from renders.pipeline.providers.base import ProviderError
from renders.pipeline.providers.retry import (
    DEFAULT_POLICY,
    RetryableError,
    RetryPolicy,
    call_with_retries,
    status_error,
)

T = TypeVar("T")


@dataclass(frozen=True)
class OpenAIAccount:
    api_key: str
    base_url: str = ""  # empty: the SDK's default (api.openai.com); tests point it at a stand-in
    policy: RetryPolicy = DEFAULT_POLICY

    def client(self) -> openai.OpenAI:
        # max_retries=0: retries follow our RetryPolicy (one policy for every provider).
        return openai.OpenAI(
            api_key=self.api_key,
            base_url=self.base_url or None,
            timeout=self.policy.timeout_sec,
            max_retries=0,
        )


def _error_detail(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return ""


def call_openai(what: str, account: OpenAIAccount, request: Callable[[openai.OpenAI], T]) -> T:
    """Run one OpenAI request under the retry policy; failures become ProviderError."""
    client = account.client()

    def attempt() -> T:
        try:
            return request(client)
        except openai.APIStatusError as error:
            raise status_error(what, error.status_code, error.response.headers, _error_detail(error)) from error
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
