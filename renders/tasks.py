"""django-q2 tasks. They take ids and are idempotent; the work lives in renders.execution."""

from __future__ import annotations

from bhakti.logging import job_context
from renders.execution import execute_render_job


def run_render_job(job_id: str) -> str:
    with job_context(job_id):  # every log line and Sentry event of this job carries its id
        return execute_render_job(job_id)
