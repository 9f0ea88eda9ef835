"""OpenAPI building blocks shared by every app's API views: error responses, Retry-After."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from bhakti.api.errors import ErrorSerializer

_ERROR_DESCRIPTIONS = {
    400: "Invalid request: `invalid` (fields), `invalid_plan` / `plan_limit_exceeded` (plan, with `errors` per "
    "field and `limit`), `cost_limit_exceeded` / `daily_quota_exceeded` (with `limit`), "
    "`webhook_url_not_allowed`, `parse_error` (malformed JSON, or nested deeper than 32 levels), `invalid_idempotency_key`; a NUL or a lone "
    "surrogate in any text is `invalid`, naming the field.",
    401: "No credentials, or an API key that is unknown or revoked (`not_authenticated`, `invalid_api_key`).",
    403: "Not allowed (`permission_denied`), e.g. a session request without its CSRF token.",
    404: "No such job for you (`not_found`: someone else's job is not found either) or template (`unknown_template`); "
    "an upload id that is not one of your live uploads (`not_found`, or `upload_not_found` naming the field, "
    "e.g. `scenes[2].image` or `photos[0]`).",
    409: "The job's state does not allow this (`not_cancelable`, `not_retryable`), or a request with the "
    "same Idempotency-Key is still running (`idempotency_request_in_flight`).",
    415: "The body is not JSON, or for an upload not multipart (`unsupported_media_type`).",
    416: "The `Range` asks for bytes past the end of the file (`range_not_satisfiable`); `Content-Range` "
    "gives the size.",
    422: "The Idempotency-Key was used with a different body (`idempotency_key_reused`).",
    429: "Too many renders started this minute by this user, or too many unknown API keys from this address "
    "(`throttled`); see Retry-After.",
}

# Every operation checks credentials, so every one can answer these; 429 too, since an address that
# presented too many unknown keys is refused before its key is looked at.
AUTH_ERRORS = (401, 403, 429)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[code])
        for code in sorted({*statuses, *AUTH_ERRORS})
    }


RETRY_AFTER_PARAMETER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    description="Seconds to wait before trying again.",
    response=[429],
)
