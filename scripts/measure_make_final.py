#!/usr/bin/env python
"""Measure "Make final" of a 10-scene story after its preview, offline. Not a test.

In a throwaway data directory (SQLite, media, work dir, segment cache all fresh), as the studio
does it: a story from the library as a preview (the create page's default), run the way a
worker runs it (`execute_render_job`), then `job_make_final` (the job page's button) and that
version run the same way. Prints both wall times, the pieces the final reused, and its steps.
Proxy previews are at this server's PROXY_SHORT_SIDE (360 unless set), not the tests' 144.

    .venv/bin/python scripts/measure_make_final.py                 # Prahlad, English, 10 scenes, 720p
    .venv/bin/python scripts/measure_make_final.py --story dhruva --language hi --resolution 1080p
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scratch_deployment import start_scratch_deployment  # noqa: E402  (beside this script)

SCENES = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--story", default="prahlad")
    parser.add_argument("--language", default="en", choices=["en", "hi"])
    parser.add_argument("--resolution", default="720p", choices=["720p", "1080p"])
    args = parser.parse_args()

    data_dir, user = start_scratch_deployment("bhakti-final-")
    from library.stories import get_template, plan_from_template
    from renders import services
    from renders.execution import execute_render_job
    from renders.models import RenderJob

    story = get_template(args.story)
    plan = plan_from_template(story, language=args.language, resolution=args.resolution, mode="proxy")
    if len(plan["scenes"]) < SCENES:
        raise SystemExit(f"{args.story} has {len(plan['scenes'])} scenes; pick a story with at least {SCENES}")
    plan["scenes"] = plan["scenes"][:SCENES]

    def run(job: RenderJob) -> tuple[RenderJob, float]:
        started = time.monotonic()
        state = execute_render_job(str(job.pk))
        seconds = time.monotonic() - started
        job.refresh_from_db()
        if state != "succeeded":
            raise SystemExit(f"{job.plan['mode']} render {state}: {job.error}")
        return job, seconds

    preview, preview_sec = run(services.job_create(owner=user, plan_data=plan))
    final, final_sec = run(services.job_make_final(job=preview, owner=user))
    print(
        f"{story.title_en}, {args.language}, {SCENES} scenes, {final.duration_sec:.1f} s of video, encoder {final.encoder}"
    )
    print(f"preview (proxy) render:            {preview_sec:.1f} s")
    print(
        f"Make final ({args.resolution}) after it: {final_sec:.1f} s, {final.pieces_reused} of {final.pieces_total} pieces reused"
    )
    print("final's steps:", ", ".join(f"{name} {seconds:.1f}" for name, seconds in final.timings.items()))
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
