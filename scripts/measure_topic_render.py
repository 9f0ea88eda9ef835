#!/usr/bin/env python
"""Measure topic → finished proxy preview, offline, in one API call. Not a test.

In a throwaway data directory (SQLite, media, work dir, segment cache all fresh): one
`POST /api/v1/renders` with `{"topic", "language", "duration_target", "mode": "proxy"}`, then the
job run inline the way a worker runs it (`execute_render_job`). Prints the wall time of the API
call, of the render, and of the two together, and how much of it the `script` step took.

    .venv/bin/python scripts/measure_topic_render.py                      # Prahlad, Hindi, 60 s
    .venv/bin/python scripts/measure_topic_render.py --topic Shabari --language en --seconds 30
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scratch_deployment import start_scratch_deployment  # noqa: E402  (beside this script)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topic", default="प्रह्लाद")
    parser.add_argument("--language", default="hi", choices=["en", "hi"])
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()

    # offline: the story library writes the script
    data_dir, user = start_scratch_deployment("bhakti-topic-", OPENAI_API_KEY="")
    from rest_framework.test import APIClient

    from accounts.services import api_key_create
    from renders.execution import execute_render_job
    from renders.models import RenderJob

    api = APIClient()
    api.credentials(HTTP_X_API_KEY=api_key_create(user=user, name="measure")[1])
    api.get("/api/v1/renders/stats")  # untimed: the first request imports and builds what later ones reuse
    body = {"topic": args.topic, "language": args.language, "duration_target": args.seconds, "mode": "proxy"}

    started = time.monotonic()
    answer = api.post("/api/v1/renders", body, format="json")
    created = time.monotonic()
    if answer.status_code != 201:
        raise SystemExit(f"{answer.status_code}: {answer.json()}")
    state = execute_render_job(answer.json()["job_id"])
    finished = time.monotonic()

    job = RenderJob.objects.get(pk=answer.json()["job_id"])
    total = finished - started
    script = job.timings.get("script", 0.0)
    print(json.dumps(body, ensure_ascii=False))
    print(f"state {state}; video {job.duration_sec:.1f} s, {len(job.plan['scenes'])} scenes, encoder {job.encoder}")
    print(f"API call (script written, job stored): {created - started:.3f} s")
    print(f"render (worker):                      {finished - created:.2f} s")
    print(f"total topic → finished preview:       {total:.2f} s")
    print(f"script step: {script * 1000:.1f} ms = {100 * script / total:.3f} % of the total")
    print("steps:", ", ".join(f"{name} {seconds:.2f}" for name, seconds in job.timings.items()))
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
