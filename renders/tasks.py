"""django-q2 tasks. They take ids and are idempotent; the work lives in renders.execution."""

from __future__ import annotations

from bhakti.logging import job_context
from renders import fan_out, worker_shutdown
from renders.execution import execute_render_job


def run_render_job(job_id: str) -> str:
    # busy(): a stop signal asks this render to stop and re-queue, then ends the worker process.
    with job_context(job_id), worker_shutdown.busy():  # job_context: every log line carries the id
        return execute_render_job(job_id)


def render_shared_segments(job_id: str, manifest_name: str, owner_cluster: str) -> int:
    # A helper for another worker's job (renders/fan_out.py); it stops like a render on a stop signal.
    with job_context(job_id), worker_shutdown.busy():
        return fan_out.render_shared_segments(job_id, manifest_name, owner_cluster)
