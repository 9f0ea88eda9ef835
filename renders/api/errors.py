"""How the render services' own exceptions answer over the API (registered with bhakti.api.errors)."""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response

from bhakti.api.errors import error_body, translates
from renders.pipeline.plan import PlanError
from renders.series_publishing import SeriesNotPublishable
from renders.series_service import SeriesError
from renders.services import JobActionError, PriorityNotAllowed, QuotaExceeded
from renders.uploads import UploadNotFound
from renders.webhooks import WebhookUrlNotAllowed


class PlanRejected(Exception):
    """A plan failed validation; `limit` names the setting when a size limit was the reason."""

    def __init__(self, error: PlanError, *, limit: str | None = None):
        self.errors = error.errors
        self.limit = limit
        super().__init__(str(error))


def _plan_message(errors: dict[str, str]) -> str:
    problems = "; ".join(f"{path}: {message}" for path, message in errors.items())
    return f"The plan has {len(errors)} problem{'s' if len(errors) != 1 else ''}: {problems}"


@translates(PlanRejected)
def _plan_rejected(exc: PlanRejected) -> Response:
    code = "plan_limit_exceeded" if exc.limit else "invalid_plan"
    body = error_body(code, _plan_message(exc.errors), errors=exc.errors, limit=exc.limit)
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


@translates(PlanError)
def _plan_error(exc: PlanError) -> Response:
    return Response(
        error_body("invalid_plan", _plan_message(exc.errors), errors=exc.errors), status=status.HTTP_400_BAD_REQUEST
    )


@translates(QuotaExceeded)
def _quota_exceeded(exc: QuotaExceeded) -> Response:
    return Response(error_body(exc.code, exc.message, limit=exc.limit), status=status.HTTP_400_BAD_REQUEST)


@translates(JobActionError)
def _job_action_error(exc: JobActionError) -> Response:
    return Response(error_body(exc.code, exc.message), status=status.HTTP_409_CONFLICT)


@translates(WebhookUrlNotAllowed)
def _webhook_url_not_allowed(exc: WebhookUrlNotAllowed) -> Response:
    return Response(
        error_body("webhook_url_not_allowed", str(exc), errors={"webhook_url": str(exc)}),
        status=status.HTTP_400_BAD_REQUEST,
    )


@translates(SeriesError)
def _series_error(exc: SeriesError) -> Response:
    if exc.code == "already_canceled":
        return Response(error_body(exc.code, exc.message), status=status.HTTP_409_CONFLICT)
    errors = {exc.field: exc.message} if exc.field else None
    body = error_body(exc.code, exc.message, errors=errors) if errors else error_body(exc.code, exc.message)
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


@translates(SeriesNotPublishable)
def _series_not_publishable(exc: SeriesNotPublishable) -> Response:
    body = error_body(exc.code, exc.message, errors={"schedule": exc.message})
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


@translates(UploadNotFound)
def _upload_not_found(exc: UploadNotFound) -> Response:
    return Response(
        error_body(exc.code, exc.message, errors={exc.field: exc.message}), status=status.HTTP_404_NOT_FOUND
    )


@translates(PriorityNotAllowed)
def _priority_not_allowed(exc: PriorityNotAllowed) -> Response:
    return Response(
        error_body(exc.code, exc.message, errors={exc.field: exc.message}), status=status.HTTP_400_BAD_REQUEST
    )
