"""/metrics as JSON: ours (renders.metrics) plus the render platform's flat names.

Their dashboards read `jobs_started`, `jobs_completed`, `jobs_failed`, `total_duration_seconds`,
`<step>_errors` (their step names) and `success_rate`; every number comes from the same database
reads as ours, and none of our keys change. Same access rule: METRICS_TOKEN.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bhakti.metrics_access import metrics_token_required
from compat.mappings import LEGACY_STEPS, YOUTUBE_PUBLISH_STEP
from publishing.models import Publication, PublicationState
from renders.metrics import errors_by_step, job_duration_histogram, metrics_snapshot
from renders.models import JobState


def legacy_metrics(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Their flat counters from our snapshot; `jobs_completed` counts succeeded jobs."""
    _, total_seconds, _ = job_duration_histogram()
    step_errors = {f"{step}_errors": 0 for step in dict.fromkeys(LEGACY_STEPS.values())}
    for step, count in errors_by_step().items():
        if step in LEGACY_STEPS:
            step_errors[f"{LEGACY_STEPS[step]}_errors"] += count
    step_errors[f"{YOUTUBE_PUBLISH_STEP}_errors"] = Publication.objects.filter(state=PublicationState.FAILED).count()
    return {
        "jobs_started": snapshot["jobs"]["started"],
        "jobs_completed": snapshot["jobs"]["by_state"][JobState.SUCCEEDED],
        "jobs_failed": snapshot["jobs"]["by_state"][JobState.FAILED],
        "total_duration_seconds": round(total_seconds, 3),
        **step_errors,
        "success_rate": snapshot["success_rate"],
    }


@never_cache
@require_GET
@metrics_token_required
def metrics_json(request: HttpRequest) -> JsonResponse:
    snapshot = metrics_snapshot()
    return JsonResponse({**snapshot, **legacy_metrics(snapshot)})
