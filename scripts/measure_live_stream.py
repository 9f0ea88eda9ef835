#!/usr/bin/env python
"""Measure the live stream (issue 16 §3): its cost on the whole job, and how soon the first scene plays.

Renders the bench's plans (scripts/bench_render.py: the 10 Prahlad scenes, local providers) from
a cold work dir and a cold segment cache, through `run_pipeline`, alternately with and without
`live_stream`, in one run (so the machine's load is shared fairly): the proxy preview (135 s,
640x360) and, unless --no-final, the 60 s 1080p final. Each live piece is copied to a folder as
it is published, standing in for the worker's store (local storage copies the file too).

Prints per run: whole job wall seconds; job start → first piece published (the first scene is
in the playlist, i.e. playable; the page's player adds its own fetch, at most 0.5 s of polling
plus hls.js loading the piece); compose start → first piece; the first video segment's own
render time and how long after it finished its piece was published.

    .venv/bin/python scripts/measure_live_stream.py --rounds 3 --final-rounds 1
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_render import NARRATION, bench_plan  # noqa: E402 - scripts/ is on the path (this script's own folder)

from renders.pipeline import compose, ffmpeg, live_stream  # noqa: E402
from renders.pipeline.context import Callbacks, RenderSettings  # noqa: E402
from renders.pipeline.plan import Limits, parse_plan  # noqa: E402
from renders.pipeline.runner import run_pipeline  # noqa: E402

# When each segment's ffmpeg ran (label -> start, end), recorded around compose's own runner.
segment_times: dict[str, tuple[float, float]] = {}
_render_job = compose._render_job


def _timed_render_job(job, *args, **kwargs):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    try:
        return _render_job(job, *args, **kwargs)
    finally:
        segment_times[job.label] = (started, time.monotonic())


compose._render_job = _timed_render_job  # type: ignore[assignment]

# The live stream's own ffmpeg runs, with each one's CPU seconds read from wait4 (so the figure is
# that work alone, not the machine's noise): run here instead of through ffmpeg.run_ffmpeg.
live_runs: list[float] = []


def _measured_live_ffmpeg(args, **_kwargs):  # type: ignore[no-untyped-def]
    command = [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-y", *args]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"live piece ffmpeg failed: {stderr}")
    live_runs.append(usage.ru_utime + usage.ru_stime)


live_stream.run_ffmpeg = _measured_live_ffmpeg  # type: ignore[assignment,attr-defined]


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def render_once(plan_data: dict, root: Path, *, live: bool, parallelism: int, limits: Limits) -> dict[str, float]:
    for name in ("work", "cache", "pieces"):
        shutil.rmtree(root / name, ignore_errors=True)
    (root / "pieces").mkdir(parents=True)
    segment_times.clear()
    live_runs.clear()
    plan = parse_plan(plan_data, limits)
    settings = RenderSettings(
        work_dir=root / "work", cache_dir=root / "cache", parallelism=parallelism, encoder="auto", limits=limits,
        live_stream=live,
    )  # fmt: skip
    marks: dict[str, float] = {}

    def progress(step: str, fraction: float) -> None:
        if step == "compose" and fraction == 0.0:
            marks.setdefault("compose", time.monotonic())

    def live_piece(index: int, path: Path, seconds: float) -> None:
        shutil.copyfile(path, root / "pieces" / f"{index:04d}.ts")  # the worker stores each piece
        if index == 0:
            marks["first_piece"] = time.monotonic()

    started, cpu_before = time.monotonic(), _cpu_seconds()
    result = run_pipeline(plan, settings, Callbacks(progress=progress, live_piece=live_piece))
    wall = time.monotonic() - started
    figures = {"wall": wall, "cpu": _cpu_seconds() - cpu_before, "video_sec": result.duration_sec, **result.timings}
    if live:
        first_start, first_end = min(
            (times for label, times in segment_times.items() if label in ("scene 1", "scene 1 part 1")),
            key=lambda times: times[0],
        )
        figures |= {
            "first_piece": marks["first_piece"] - started,
            "compose_to_first_piece": marks["first_piece"] - marks["compose"],
            "before_compose": marks["compose"] - started,
            "first_segment": first_end - first_start,
            "piece_after_segment": marks["first_piece"] - first_end,
            "live_cpu": sum(live_runs),
            "live_pieces": len(live_runs),
        }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="pairs of renders (live on and off) of the proxy")
    parser.add_argument("--final-rounds", type=int, default=1, help="pairs of renders of the final")
    parser.add_argument("--proxy-seconds", type=float, default=135.0)
    parser.add_argument("--final-seconds", type=float, default=60.0)
    parser.add_argument("--no-final", action="store_true")
    parser.add_argument("--parallelism", type=int, default=os.cpu_count() or 2)
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bhakti-live-"))
    ffmpeg.pick_encoder("auto")
    print(f"cores {os.cpu_count()}, parallelism {options.parallelism}, load {os.getloadavg()[0]:.2f}, {root}")
    plans = [
        (
            "proxy",
            bench_plan(options.proxy_seconds, "720p", NARRATION, mode="proxy"),
            options.proxy_seconds,
            options.rounds,
        )
    ]
    if not options.no_final:
        plans.append(
            (
                "final",
                bench_plan(options.final_seconds, "1080p", NARRATION),
                options.final_seconds,
                options.final_rounds,
            )
        )
    for name, plan_data, seconds, rounds in plans:
        limits = Limits(max_scene_duration_sec=max(20, seconds / len(NARRATION)))
        runs: dict[bool, list[dict[str, float]]] = {True: [], False: []}
        for round_number in range(rounds):
            order = (True, False) if round_number % 2 == 0 else (False, True)
            for live in order:
                figures = render_once(plan_data, root, live=live, parallelism=options.parallelism, limits=limits)
                runs[live].append(figures)
                line = (
                    f"[{name}] live {'on ' if live else 'off'} whole job {figures['wall']:6.2f} s wall, "
                    f"{figures['cpu']:6.2f} s cpu (images {figures['images']:.2f}, speech {figures['speech']:.2f}, "
                    f"compose {figures['compose']:.2f})"
                )
                if live:
                    line += (
                        f"; first piece {figures['first_piece']:5.2f} s after the job started "
                        f"({figures['before_compose']:.2f} s before compose, then {figures['compose_to_first_piece']:.2f} s); "
                        f"first segment rendered in {figures['first_segment']:.2f} s, its piece published "
                        f"{figures['piece_after_segment']:.2f} s later; the stream's ffmpeg: "
                        f"{figures['live_cpu']:.2f} s cpu over {figures['live_pieces']:.0f} pieces"
                    )
                print(line, flush=True)
        for measure in ("wall", "cpu"):
            on = statistics.median(run[measure] for run in runs[True])
            off = statistics.median(run[measure] for run in runs[False])
            print(
                f"[{name}] median whole job, {measure}: live on {on:.2f} s, off {off:.2f} s: "
                f"{100 * (on - off) / off:+.1f}% ({runs[True][0]['video_sec']:.1f} s video)"
            )
        live_cpu = statistics.median(run["live_cpu"] for run in runs[True])
        print(
            f"[{name}] the stream's own ffmpeg runs: {live_cpu:.2f} s cpu, "
            f"{100 * live_cpu / statistics.median(run['cpu'] for run in runs[False]):.1f}% of the job without it"
        )
        print(
            f"[{name}] median first piece after the job started: "
            f"{statistics.median(run['first_piece'] for run in runs[True]):.2f} s"
        )
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
