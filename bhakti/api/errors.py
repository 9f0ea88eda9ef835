"""The API's one error shape and the DRF exception handler that produces it.

Every error body is `{"code": <stable identifier>, "message": <sentence for a person>}`, plus
`errors` (field path → message) when fields are at fault, `limit` (the setting's name) when a
quota or limit refused the request, and `retry_after` (seconds) when throttled. Clients branch
on `code`; `message` may be reworded at any time.

The apps' own exceptions (an invalid plan, a quota, an unknown template) are known to this module
only through `translates`: each app's `api/errors.py` registers how its exceptions answer, so
this toolkit imports no app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.urls import reverse
from django.utils.encoding import force_str
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer (documentation; views build it through `error_body`)."""

    code = serializers.CharField(help_text="Stable identifier to branch on, e.g. `invalid_plan`, `throttled`.")
    message = serializers.CharField(help_text="What went wrong and what to do, for a person.")
    errors = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Field path → message, e.g. `scenes[1].duration_sec`.",
    )
    limit = serializers.CharField(required=False, help_text="The limit that refused the request, e.g. `MAX_SCENES`.")
    retry_after = serializers.IntegerField(required=False, help_text="Seconds to wait before trying again.")


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update({key: value for key, value in extra.items() if value is not None})
    return body


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, str]:
    """DRF's nested error detail as {"field.sub[0]": "message message"}."""
    if isinstance(detail, dict):
        flat: dict[str, str] = {}
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, path))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": " ".join(force_str(item) for item in detail)}
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(flatten_errors(item, f"{prefix}[{index}]"))
        return flat
    return {prefix or "non_field_errors": force_str(detail)}


ExceptionT = TypeVar("ExceptionT", bound=Exception)
Translation = Callable[[ExceptionT], Response]

# Exception type → the function that answers it; filled by the apps' api/errors.py at start-up.
_TRANSLATIONS: dict[type[Exception], Callable[[Any], Response]] = {}


def translates(*exception_types: type[ExceptionT]) -> Callable[[Translation[ExceptionT]], Translation[ExceptionT]]:
    """Register the function that turns an app's own exception into an API answer."""

    def register(translate: Translation[ExceptionT]) -> Translation[ExceptionT]:
        for exception_type in exception_types:
            _TRANSLATIONS[exception_type] = translate
        return translate

    return register


@translates(RequestDataTooBig)
def _request_too_large(exc: RequestDataTooBig) -> Response:
    limit_kib = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
    return Response(
        error_body("request_too_large", f"The request body is over {limit_kib} KiB; a plan is far smaller."),
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def _domain_error_response(exc: Exception) -> Response | None:
    """The answer registered for this exception's class, or the nearest base class's."""
    for exception_type in type(exc).__mro__:
        translate = _TRANSLATIONS.get(exception_type)
        if translate is not None:
            return translate(exc)
    return None


def _api_exception_body(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        summary = "; ".join(f"{path}: {message}" for path, message in errors.items())
        return error_body("invalid", f"The request is invalid: {summary}", errors=errors)
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait) if exc.wait is not None else None
        return error_body("throttled", force_str(exc.detail), retry_after=wait)
    if isinstance(exc, exceptions.NotFound):
        return error_body("not_found", force_str(exc.detail))
    if isinstance(exc, exceptions.NotAuthenticated):
        return error_body(
            "not_authenticated",
            "No API key was sent. Send it as `X-API-Key: bk_…` or `Authorization: Bearer bk_…`; "
            f"create one on your Profile page, under API keys ({reverse('accounts:profile')}).",
        )
    code = getattr(exc.detail, "code", None) or exc.default_code
    return error_body(str(code), force_str(exc.detail))


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every handled error becomes the one JSON shape.

    Unknown exceptions still return None, so they surface as real 500s (logged, reported),
    never disguised as a client's fault.
    """
    response = _domain_error_response(exc)
    if response is not None:
        return response
    # DRF's own handler turns Http404/PermissionDenied into API exceptions and sets the
    # WWW-Authenticate and Retry-After headers; only the body is reshaped here.
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        response.data = _api_exception_body(exc)
    elif response.status_code == status.HTTP_404_NOT_FOUND:
        response.data = error_body("not_found", force_str(exc) or "Not found.")
    else:
        response.data = error_body("permission_denied", force_str(exc) or "You may not do this.")
    return response
