"""The one filter-list-paginate step of every endpoint that lists the caller's render jobs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rest_framework.request import Request

from bhakti.api.pagination import paginate
from renders.api.serializers import JobFilterQuerySerializer
from renders.models import RenderJob
from renders.selectors import jobs_list


def job_page(
    request: Request,
    *,
    represent: Callable[[RenderJob], dict[str, Any]],
    prefetch: Sequence[str] = (),
) -> dict[str, Any]:
    """One page of the caller's jobs (every job for an admin), filtered by `?state=` and `?language=`;
    one per video (its latest version) unless `?all_versions=true`.

    The query string is validated by JobFilterQuerySerializer (a 400 naming the field);
    `prefetch` names the relations `represent` reads, fetched once for the whole page.
    """
    query = JobFilterQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    jobs = jobs_list(
        user=request.user,
        state=query.validated_data.get("state"),
        language=query.validated_data.get("language"),
        latest_only=not query.validated_data["all_versions"],
    )
    if prefetch:
        jobs = jobs.prefetch_related(*prefetch)
    return paginate(
        request,
        jobs,
        page=query.validated_data["page"],
        page_size=query.validated_data["page_size"],
        represent=represent,
    )
