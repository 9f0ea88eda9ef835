"""The API's one error shape and the DRF exception handler that produces it.

Every error body is `{"code": <stable identifier>, "message": <sentence for a person>}`, plus
`errors` (field path → message) when fields are at fault, `limit` (the setting's name) when a
quota or limit refused the request, and `retry_after` (seconds) when throttled. Clients branch
on `code`; `message` may be reworded at any time.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.encoding import force_str
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from library.stories import UnknownTemplate
from renders.pipeline.plan import PlanError
from renders.services import JobActionError, QuotaExceeded
from renders.webhooks import WebhookUrlNotAllowed


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


class PlanRejected(Exception):
    """A plan failed validation; `limit` names the setting when a size limit was the reason."""

    def __init__(self, error: PlanError, *, limit: str | None = None):
        self.errors = error.errors
        self.limit = limit
        super().__init__(str(error))


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


def _plan_message(errors: dict[str, str]) -> str:
    problems = "; ".join(f"{path}: {message}" for path, message in errors.items())
    return f"The plan has {len(errors)} problem{'s' if len(errors) != 1 else ''}: {problems}"


def _domain_error_response(exc: Exception) -> Response | None:
    """Responses for the services' own exceptions, which DRF knows nothing about."""
    if isinstance(exc, PlanRejected):
        code = "plan_limit_exceeded" if exc.limit else "invalid_plan"
        body = error_body(code, _plan_message(exc.errors), errors=exc.errors, limit=exc.limit)
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PlanError):
        return Response(
            error_body("invalid_plan", _plan_message(exc.errors), errors=exc.errors), status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, QuotaExceeded):
        return Response(error_body(exc.code, exc.message, limit=exc.limit), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, JobActionError):
        return Response(error_body(exc.code, exc.message), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, UnknownTemplate):
        return Response(error_body("unknown_template", str(exc)), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, RequestDataTooBig):
        limit_kib = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        return Response(
            error_body("request_too_large", f"The request body is over {limit_kib} KiB; a plan is far smaller."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, WebhookUrlNotAllowed):
        return Response(
            error_body("webhook_url_not_allowed", str(exc), errors={"webhook_url": str(exc)}),
            status=status.HTTP_400_BAD_REQUEST,
        )
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
