"""OpenAPI parameters of the render endpoints: a job's id, the Idempotency-Key headers."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from renders.idempotency import HEADER as IDEMPOTENCY_HEADER
from renders.idempotency import KEY_PATTERN, MAX_KEY_CHARS, REPLAYED_HEADER

JOB_ID_PARAMETER = OpenApiParameter(
    "job_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The job's id (a UUID)."
)
IDEMPOTENCY_PARAMETERS = [
    OpenApiParameter(
        IDEMPOTENCY_HEADER,
        {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS, "pattern": KEY_PATTERN},
        OpenApiParameter.HEADER,
        description="Optional. A unique key (e.g. a UUID) per intended request: resending the same body with "
        "the same key within 24 h returns the first response instead of acting twice.",
    ),
    OpenApiParameter(
        REPLAYED_HEADER,
        str,
        OpenApiParameter.HEADER,
        description="`true` when this response is a replay of an earlier request with the same Idempotency-Key.",
        response=[200, 201, 202],
    ),
]
