#!/usr/bin/env python
"""Measure one long job on one render cluster against the same job on two. Not a test.

Real clusters (`manage.py run_workers`, one worker, RENDER_PARALLELISM=1 each) on a shared
SQLite file and a shared segment cache in a throwaway directory, each cluster pinned to a core of
its own with `taskset`: "one" is a cluster on core 0; "two" adds a cluster on core 1, and the
job's segments fan out to it (RENDER_FAN_OUT=auto, so the one-cluster run does not fan out). The
setups alternate, each round with a fresh cache, and the same plan: 20 scenes, a 2-minute final
unless told otherwise. Prints, per run, the job's wall time (started to finished, as the
database has it) and its compose step, the segments the second cluster rendered, whether the
two videos are byte-identical, the load average, and the speed-up.

    .venv/bin/python scripts/measure_fan_out.py                       # final, 2 min, 1080p, 1 round
    .venv/bin/python scripts/measure_fan_out.py --mode proxy --minutes 8 --rounds 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SCENES = 20
NARRATION = "Prahlad sang the name of Hari, and the palace listened."


def plan(*, mode: str, minutes: float, resolution: str) -> dict[str, object]:
    scene_sec = round(minutes * 60 / SCENES, 1)
    return {
        "title": "Fan-out measure",
        "topic": "devotion",
        "language": "en",
        "voice": "female",
        "style": "temple-painting",
        "aspect": "16:9",
        "resolution": resolution,
        "mode": mode,
        "music": "tanpura",
        "watermark": "br",
        "scenes": [
            {"image_prompt": f"scene {index + 1} of Prahlad's story", "narration": NARRATION, "duration_sec": scene_sec}
            for index in range(SCENES)
        ],
    }


class Deployment:
    def __init__(self, root: Path):
        self.root = root
        self.database = root / "measure.sqlite3"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
        self.env.update(
            DJANGO_SETTINGS_MODULE="bhakti.settings", BHAKTI_DATA_DIR=str(root / "data"),
            SQLITE_PATH=str(self.database), MEDIA_ROOT=str(root / "media"), RENDER_PARALLELISM="1",
            RENDER_WORKERS="1", RENDER_FAN_OUT="auto", JOB_TIMEOUT_SEC="3600", JOBS_PER_DAY="1000",
            SAMPLE_VIDEOS="0", LOG_LEVEL="WARNING",
        )  # fmt: skip
        self.manage("migrate", "--noinput", "-v", "0")

    def manage(self, *args: str, **env: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env={**self.env, **env}, capture_output=True, text=True
        )
        if result.returncode:
            raise SystemExit(result.stderr[-3000:])
        return result.stdout

    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        connection = sqlite3.connect(self.database, timeout=30)
        try:
            return list(connection.execute(sql, params).fetchall())
        finally:
            connection.close()

    def run_job(self, plan_data: dict[str, object], cores: list[int], tag: str) -> dict[str, object]:
        """Start one cluster per core, render the plan once with a fresh cache, stop the clusters."""
        folder = self.root / tag
        env = {"RENDER_CACHE_DIR": str(folder / "cache"), "RENDER_WORK_DIR": str(folder / "work")}
        clusters = []
        for core in cores:
            log = open(folder.with_name(f"{tag}-core{core}.log"), "w")  # noqa: SIM115 - closed with the process
            clusters.append(
                subprocess.Popen(
                    ["taskset", "-c", str(core), sys.executable, "manage.py", "run_workers"],
                    cwd=REPO,
                    env={**self.env, **env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            )
        try:
            pids = {process.pid for process in clusters}
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                live = self.rows("SELECT pid FROM renders_workerheartbeat WHERE stopped_at IS NULL")
                if {pid for (pid,) in live} >= pids:
                    break
                time.sleep(0.2)
            load = os.getloadavg()
            code = (
                "import json\nfrom django.contrib.auth.models import User\nfrom renders.services import job_create\n"
                "owner, _ = User.objects.get_or_create(username='measure', defaults={'is_staff': True})\n"
                f"print(job_create(owner=owner, plan_data=json.loads({json.dumps(json.dumps(plan_data))})).pk)\n"
            )
            job_id = uuid.UUID(self.manage("shell", "-c", code, **env).strip().splitlines()[-1]).hex
            while True:
                [(state, started, finished, timings)] = self.rows(
                    "SELECT state, started_at, finished_at, timings FROM renders_renderjob WHERE id = ?", (job_id,)
                )
                if state in {"succeeded", "failed", "canceled"}:
                    break
                time.sleep(0.5)
            if state != "succeeded":
                raise SystemExit(f"{tag}: the job {state}; see {folder.parent}/*.log")
            [(video,)] = self.rows("SELECT file FROM renders_jobasset WHERE job_id = ? AND kind = 'video'", (job_id,))
            [(summary,)] = self.rows(
                "SELECT file FROM renders_jobasset WHERE job_id = ? AND kind = 'summary'", (job_id,)
            )  # fmt: skip
            compose_sec = json.loads((self.root / "media" / str(summary)).read_text())["compose_sec"]
            helped = [
                message
                for (message,) in self.rows("SELECT message FROM renders_jobevent WHERE job_id = ?", (job_id,))
                if "rendered by other workers" in str(message)
            ]
            return {
                "wall": (datetime.fromisoformat(str(finished)) - datetime.fromisoformat(str(started))).total_seconds(),
                "compose": json.loads(str(timings))["compose"],
                "segments": compose_sec["segments"],  # rendering every segment, within compose
                "load": load,
                "helped": str(helped[0]).removeprefix("compose: ") if helped else "no fan-out",
                "video": _video_stream_digest(self.root / "media" / str(video)),
                "segment_digests": _segment_digests(folder / "cache"),
            }
        finally:
            for process in clusters:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            for process in clusters:
                process.wait(timeout=60)
            if not os.environ.get("KEEP_FAN_OUT_MEASURE"):
                shutil.rmtree(folder, ignore_errors=True)


def _segment_digests(cache_dir: Path) -> dict[str, str]:
    """Cache key -> sha256 of every video segment the run left in its cache."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in (cache_dir / "segments").rglob("*.mp4")
        if not path.name.startswith(".")
    }


def _wait_for_quiet(below: float, longest_sec: float) -> None:
    """Wait (at most `longest_sec`) until the 1-minute load average is under `below`: the machine
    is shared, and a run that starts in a burst of someone else's work measures that work."""
    deadline = time.monotonic() + longest_sec
    while os.getloadavg()[0] >= below and time.monotonic() < deadline:
        time.sleep(5)


def _video_stream_digest(video: Path) -> str:
    """md5 of the video stream's packets as stored. The audio is left out: espeak is not
    bit-exact between jobs (renders/pipeline/espeak.py), so two jobs' narrations differ anyway."""
    from renders.pipeline.ffmpeg import ffmpeg_exe

    command = [ffmpeg_exe(), "-loglevel", "error", "-i", str(video), "-map", "0:v:0", "-c", "copy", "-f", "md5", "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="final", choices=["final", "proxy"])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--resolution", default="1080p", choices=["720p", "1080p"])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quiet-below", type=float, default=4.0, help="wait for a 1-min load under this")
    parser.add_argument("--quiet-wait", type=float, default=120.0, help="seconds to wait for it at most")
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) < 2 or not shutil.which("taskset"):
        raise SystemExit("needs two cores and taskset")

    root = Path(tempfile.mkdtemp(prefix="bhakti-fan-out-"))
    try:
        deployment = Deployment(root)
        plan_data = plan(mode=args.mode, minutes=args.minutes, resolution=args.resolution)
        print(
            f"{SCENES} scenes, {args.minutes:g} min, {args.mode} {args.resolution}; one worker per cluster, one core each"
        )
        results: dict[str, list[dict[str, object]]] = {"one": [], "two": []}
        for round_number in range(1, args.rounds + 1):
            for setup, cores in (("one", [0]), ("two", [0, 1])):
                _wait_for_quiet(args.quiet_below, args.quiet_wait)
                result = deployment.run_job(plan_data, cores, f"{setup}-{round_number}")
                results[setup].append(result)
                load = ", ".join(f"{value:.2f}" for value in result["load"])  # type: ignore[attr-defined]
                print(
                    f"round {round_number} {setup} cluster{'s' if setup == 'two' else ''}: job {result['wall']:.1f} s, "
                    f"compose {result['compose']:.1f} s (segments {result['segments']:.1f} s), {result['helped']}; "
                    f"load average at its start {load}"
                )
        videos = {result["video"] for setups in results.values() for result in setups}
        print(f"video streams byte-identical across all runs: {'yes' if len(videos) == 1 else 'no'}")
        # Segments of the same key (same inputs, same arguments) from every run: whoever rendered
        # them, their bytes must agree. Keys differ where espeak's timing moved a subtitle cue.
        runs: list[dict[str, str]] = [
            result["segment_digests"]  # type: ignore[misc]
            for setups in results.values()
            for result in setups
        ]
        common = set.intersection(*(set(run) for run in runs))
        differing = [key for key in common if len({run[key] for run in runs}) > 1]
        print(
            f"segments of the same key in every run: {len(common)}, byte-identical: {len(common) - len(differing)}"
            + (f" (DIFFERENT: {sorted(differing)[:3]})" if differing else "")
        )
        paired = [
            f"{float(one['wall']) / float(two['wall']):.2f}x"  # type: ignore[arg-type]
            for one, two in zip(results["one"], results["two"], strict=True)
        ]
        print(f"whole-job speed-up per round (side by side): {', '.join(paired)}")
        for measure in ("wall", "compose"):
            one = statistics.median(float(result[measure]) for result in results["one"])  # type: ignore[arg-type]
            two = statistics.median(float(result[measure]) for result in results["two"])  # type: ignore[arg-type]
            label = "whole job" if measure == "wall" else "compose"
            print(
                f"{label}: one cluster {one:.1f} s, two clusters {two:.1f} s, speed-up {one / two:.2f}x (target 1.8x)"
            )

        # Amdahl from the one-cluster runs: the segments split over the clusters; the rest (stills,
        # speech, subtitles, the join, storing) stays with the job's own worker.
        whole = statistics.median(float(result["wall"]) for result in results["one"])  # type: ignore[arg-type]
        parallel = statistics.median(float(result["segments"]) for result in results["one"])  # type: ignore[arg-type]
        serial = whole - parallel
        for clusters in (2, 10):
            expected = whole / (serial + parallel / clusters)
            print(
                f"expected whole-job speed-up at {clusters} clusters: {expected:.2f}x "
                f"(serial {serial:.1f} s + segments {parallel:.1f} s / {clusters})"
            )
    finally:
        if os.environ.get("KEEP_FAN_OUT_MEASURE"):
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
