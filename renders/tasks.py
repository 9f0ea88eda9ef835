"""django-q2 tasks. They take ids and are idempotent; the work lives in renders.execution."""

from __future__ import annotations

from renders.execution import execute_render_job


def run_render_job(job_id: str) -> str:
    return execute_render_job(job_id)
