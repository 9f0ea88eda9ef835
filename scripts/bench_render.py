#!/usr/bin/env python
"""Benchmark the renderer against the encoder's own cost. `make bench` runs it; it is not a test.

1. Render a fixed 10-scene, 60 s, 1080p30 FINAL plan (English narration, local providers) from
   a cold work dir and a cold segment cache, through `run_pipeline`.
2. Bare encode: the same number of frames, same size and fps, with the identical encoder
   settings (`ffmpeg.encoder_args`), from testsrc2 — the encoder's own cost with nothing else
   to do. With --same-frames (default) also the rendered video's own frames, decoded once to a
   raw file beforehand (untimed) and encoded from it: same content, so same x264 effort.
3. Edit: change one scene's narration (same length of speech) and render again in the same
   work dir and cache, as a creator's edit or a retry would.
4. Proxy: the same scenes as a PROXY preview (640x360, 135 s by default, about the length of
   the Prahlad story in Hindi), the whole `run_pipeline` from a cold work dir and cache, against
   encoding its own frames at the proxy settings (x264 ultrafast crf 30) — the same method as
   the final's same-frames ratio, measured in the same run.
5. Whole job: the 60 s final as the studio runs it (`execute_render_job` in a throwaway deployment,
   scripts/scratch_deployment.py: art, speech, compose with the live stream as configured, store),
   then the same plan with one scene's narration changed as the video's next version, same
   cache: the edit's share of the full job is what a creator waits for after an edit.

Prints wall seconds, CPU seconds, the cores' idle seconds during each render (what its work left
unused: on a noisy machine a steadier measure of scheduling than the wall), the ratios render /
bare encode and edit / full render, and, from one more cold render of the same final (the
sampling costs ~3.5 s of CPU, so the timed renders run without it), the peak memory of the whole
process tree (this Python plus every ffmpeg child), sampled from /proc every 50 ms (the sum of RSS over the tree at each sample, and the sum of PSS, which counts
pages the processes share once), and getrusage's peak of this Python process twice: after the
renders (the render's own process, Django-free) and after the whole job ran in it with Django
(what a worker's process holds).

    .venv/bin/python scripts/bench_render.py                   # the real thing (a few minutes)
    .venv/bin/python scripts/bench_render.py --seconds 10 --resolution 720p   # a quick smoke run
    .venv/bin/python scripts/bench_render.py --only-whole-job --repeat 2       # the edit share alone
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from renders.pipeline import ffmpeg  # noqa: E402
from renders.pipeline.context import Callbacks, RenderResult, RenderSettings  # noqa: E402
from renders.pipeline.media_probe import count_frames, probe  # noqa: E402
from renders.pipeline.plan import Limits, parse_plan  # noqa: E402
from renders.pipeline.runner import run_pipeline  # noqa: E402

# About 3.5 s of espeak speech each: with lead-in and padding every scene stays at its 6 s.
NARRATION = [
    "Long ago, a wise king ruled the golden city.",
    "His young son Prahlad prayed to Vishnu every morning.",
    "The proud king forbade all prayer in the palace.",
    "Yet the boy sang the holy name without fear.",
    "Soldiers were sent, but no weapon could harm him.",
    "His aunt Holika carried him into a great fire.",
    "The flames rose high, and Holika was burned away.",
    "Prahlad walked out of the fire, calm and smiling.",
    "At dusk, Narasimha burst from a pillar of stone.",
    "Devotion, the story says, is stronger than any throne.",
]
EDITED = "Each day the young prince prayed to Vishnu at sunrise."
PROMPTS = [
    "a golden city at dawn", "a boy praying by a river", "an angry king on a throne",
    "a boy singing in a courtyard", "soldiers with spears in a palace hall", "a bonfire at night",
    "tall flames against a dark sky", "a boy walking out of fire", "a lion-headed god bursting from a pillar",
    "a temple lit by lamps",
]  # fmt: skip


def bench_plan(seconds: float, resolution: str, narration: list[str], mode: str = "final") -> dict:
    per_scene = seconds / len(narration)  # keep >= 6 s: the narration needs about that
    return {
        "title": "Prahlad and the fire",
        "language": "en",
        "voice": "female",
        "aspect": "16:9",
        "resolution": resolution,
        "mode": mode,
        "music": "tanpura",
        "watermark": "br",
        "fps": 30,
        "scenes": [
            {"image_prompt": prompt, "narration": text, "duration_sec": per_scene}
            for prompt, text in zip(PROMPTS, narration, strict=False)
        ],
    }


class TreeMemory:
    """Peak memory of this process plus all its descendants, sampled from /proc: the sum of their
    RSS (pages shared between them, such as the ffmpeg binary's code, counted once per process)
    and the sum of their PSS (each shared page split between the processes that map it, so the
    tree's own memory is counted once)."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak_bytes = 0
        self.peak_pss_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE")

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> tuple[int, int]:
        """(sum of RSS, sum of PSS) of the tree now, in bytes."""
        parents: dict[int, int] = {}
        rss: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                fields = stat.rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
                rss[int(entry)] = int(fields[21]) * self._page
            except (OSError, ValueError, IndexError):
                continue
        tree, frontier = {os.getpid()}, [os.getpid()]
        while frontier:
            parent = frontier.pop()
            for pid, ppid in parents.items():
                if ppid == parent and pid not in tree:
                    tree.add(pid)
                    frontier.append(pid)
        return sum(rss.get(pid, 0) for pid in tree), sum(_pss(pid) for pid in tree)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, pss = self.sample()
            self.peak_bytes = max(self.peak_bytes, rss)
            self.peak_pss_bytes = max(self.peak_pss_bytes, pss)
            self._stop.wait(self.interval)


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def idle_core_seconds() -> float:
    """Seconds the machine's cores have spent idle (idle + iowait, all cores, from /proc/stat).

    The difference over a render is what its work left unused: the steps before compose, the
    segments' start-ups and the last segments' tail. Machine-wide, so other work hides it."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(what: Callable[[], object]) -> tuple[object, float, float]:
    wall, cpu = time.monotonic(), cpu_seconds()
    result = what()
    return result, time.monotonic() - wall, cpu_seconds() - cpu


def bare_encode(source_args: list[str], frames: int, out: Path, threads: int, mode: str = "final") -> None:
    args = ["-loglevel", "error", *source_args, "-frames:v", str(frames)]
    args += ffmpeg.encoder_args(ffmpeg.pick_encoder("auto"), mode, threads)
    args += ["-an", str(out)]
    ffmpeg.run_ffmpeg(args, is_canceled=lambda: False, what="bare encode")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="video length, shared by the scenes")
    parser.add_argument("--scenes", type=int, default=10, choices=range(2, 11), help="number of scenes (2-10)")
    parser.add_argument("--resolution", default="1080p", choices=["720p", "1080p", "4k"])
    parser.add_argument("--parallelism", type=int, default=os.cpu_count() or 2, help="ffmpeg processes at once")
    parser.add_argument("--baseline-threads", type=int, default=0, help="x264 threads for the bare encode (0: auto)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of render, bare encode and edit")
    parser.add_argument("--no-same-frames", action="store_true", help="skip the same-frames bare encode")
    parser.add_argument("--proxy-seconds", type=float, default=135.0, help="proxy preview length (0: skip it)")
    parser.add_argument("--only-proxy", action="store_true", help="bench the proxy preview alone (no final, no edit)")
    parser.add_argument("--no-whole-job", action="store_true", help="skip the whole job's full render and edit")
    parser.add_argument("--only-whole-job", action="store_true", help="bench the whole job's edit share alone")
    parser.add_argument("--dir", type=Path, help="where to work (default: a fresh temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    options = parser.parse_args()

    root = options.dir or Path(tempfile.mkdtemp(prefix="bhakti-bench-"))
    shutil.rmtree(root / "work", ignore_errors=True)
    shutil.rmtree(root / "cache", ignore_errors=True)
    limits = Limits(max_scene_duration_sec=max(20, options.seconds / options.scenes))
    settings = RenderSettings(
        work_dir=root / "work",
        cache_dir=root / "cache",
        parallelism=options.parallelism,
        encoder="auto",
        limits=limits,  # the speech step holds the real lengths to the same limits as the plan
    )
    narration = NARRATION[: options.scenes]
    plan = parse_plan(bench_plan(options.seconds, options.resolution, narration), limits)
    edited_text = [*narration[:1], EDITED, *narration[2:]]
    edited = parse_plan(bench_plan(options.seconds, options.resolution, edited_text), limits)
    width, height = plan.frame_size()
    print(f"cores {os.cpu_count()}, parallelism {options.parallelism}, {width}x{height} @ {plan.fps} fps, {root}")
    print(
        "load average before: {:.2f} {:.2f} {:.2f} (other work on the machine skews wall times)".format(
            *os.getloadavg()
        )
    )

    # Warm-up outside the timings: font copy, NVENC probe, espeak and numpy imports.
    ffmpeg.pick_encoder("auto")
    if options.only_proxy:
        ratio = bench_proxy(options, root, limits, narration)
        print(
            f"proxy preview (whole job) / bare encode (same frames, proxy settings), wall: {ratio:5.2f}x   (target <= 2.0)"
        )
        if not options.keep and not options.dir:
            shutil.rmtree(root, ignore_errors=True)
        return 0
    if options.only_whole_job:
        share, _ = bench_whole_job(options, narration)
        print(f"one-scene edit / full, whole job (art, speech, compose, store): {share:5.1%}   (target <= 12%)")
        if not options.keep and not options.dir:
            shutil.rmtree(root, ignore_errors=True)
        return 0
    rounds: list[dict[str, float]] = []
    same_wall = same_cpu = 0.0
    testsrc = ["-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={plan.fps}"]
    for number in range(1, options.repeat + 1):
        shutil.rmtree(root / "work", ignore_errors=True)
        shutil.rmtree(root / "cache", ignore_errors=True)
        compose_started: list[float] = []

        def mark(step: str, fraction: float, started: list[float] = compose_started) -> None:
            if step == "compose" and fraction == 0.0 and not started:
                started.append(cpu_seconds())

        idle_before = idle_core_seconds()
        full, full_wall, full_cpu = timed(lambda: run_pipeline(plan, settings, Callbacks(progress=mark)))
        idle = idle_core_seconds() - idle_before
        compose_cpu = cpu_seconds() - compose_started[0]
        frames = count_frames(full.video)
        info = probe(full.video)
        print(
            f"[{number}] render:      {full_wall:6.1f} s wall {full_cpu:6.1f} s cpu; compose {full.timings['compose']:.1f} s "
            f"wall {compose_cpu:.1f} s cpu ({frames} frames, {info.duration_sec:.2f} s, {full.encoder}); "
            + ", ".join(f"{step} {sec:.1f}" for step, sec in full.timings.items() if step != "compose")
        )
        cores = os.cpu_count() or 1  # /proc/stat sums every core of the machine
        print(
            f"[{number}] render:      {idle:6.1f} core-seconds idle of {cores * full_wall:.1f} "
            f"({cores} cores × wall; machine-wide, so steadier than the wall on a noisy machine)"
        )
        _, bare_wall, bare_cpu = timed(
            lambda frames=frames: bare_encode(testsrc, frames, root / "bare.mp4", options.baseline_threads)
        )
        print(f"[{number}] bare encode: {bare_wall:6.1f} s wall {bare_cpu:6.1f} s cpu (testsrc2, {frames} frames)")

        if number == 1 and not options.no_same_frames:
            same_wall, same_cpu = same_frames_encode(full.video, frames, (width, height), plan.fps, root, options)
            print(f"[{number}] bare encode: {same_wall:6.1f} s wall {same_cpu:6.1f} s cpu (the render's own frames)")

        edit, edit_wall, edit_cpu = timed(lambda: run_pipeline(edited, settings, Callbacks()))
        print(
            f"[{number}] edit:        {edit_wall:6.1f} s wall {edit_cpu:6.1f} s cpu (scene 2 narration changed; "
            f"segments {edit_summary(edit.summary)})"
        )
        rounds.append(
            {
                "full": full_wall, "compose": full.timings["compose"], "compose_cpu": compose_cpu,
                "bare": bare_wall, "bare_cpu": bare_cpu, "edit": edit_wall,
            }
        )  # fmt: skip

    # Memory in a render of its own: sampling /proc every 50 ms costs the render ~3.5 s of CPU
    # (~2 s of wall on two cores), which the timed renders above must not carry.
    shutil.rmtree(root / "work", ignore_errors=True)
    shutil.rmtree(root / "cache", ignore_errors=True)
    with TreeMemory() as memory:
        _, sampled_wall, _ = timed(lambda: run_pipeline(plan, settings, Callbacks()))
    peak, peak_pss = memory.peak_bytes, memory.peak_pss_bytes
    print(f"[memory] render: {sampled_wall:6.1f} s wall, sampled for the tree's peak memory (not timed for the ratios)")
    # The renders above ran in this process, Django-free, as a render's own process.
    render_own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    proxy_ratio = 0.0
    if options.proxy_seconds:
        proxy_ratio = bench_proxy(options, root, limits, narration)
    # Last: it sets Django up in this process (the steps above are Django-free).
    whole_share, whole_wall = (0.0, 0.0) if options.no_whole_job else bench_whole_job(options, narration)

    def best(key: str) -> float:
        return min(entry[key] for entry in rounds)

    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"\nbest of {len(rounds)} round(s) (the least disturbed by other work on the machine):")
    print(f"compose / bare encode (testsrc2), wall:   {best('compose') / best('bare'):5.2f}x")
    print(f"compose / bare encode (testsrc2), cpu:    {best('compose_cpu') / best('bare_cpu'):5.2f}x")
    if same_wall:
        print(f"compose / bare encode (same frames), wall: {best('compose') / same_wall:5.2f}x")
        print(f"compose / bare encode (same frames), cpu:  {best('compose_cpu') / same_cpu:5.2f}x")
    print(
        f"whole pipeline / bare encode (testsrc2):  {best('full') / best('bare'):5.2f}x   (images + speech + compose)"
    )
    if same_wall:
        print(f"whole pipeline / bare encode (same frames), wall: {best('full') / same_wall:5.2f}x   (target <= 1.10)")
        if whole_wall:
            print(
                f"whole job (as a worker runs it: art, speech, compose, store) / bare encode (same frames), wall: "
                f"{whole_wall / same_wall:5.2f}x"
            )
    if proxy_ratio:
        print(
            f"proxy preview (whole job) / bare encode (same frames, proxy settings), wall: {proxy_ratio:5.2f}x   (target <= 2.0)"
        )
    print(f"one-scene edit / full, compose alone (run_pipeline): {best('edit') / best('full'):5.1%}")
    if whole_share:
        print(f"one-scene edit / full, whole job (art, speech, compose, store): {whole_share:5.1%}   (target <= 12%)")
    print(f"peak memory, process tree (sampled RSS sum): {peak / 2**20:5.0f} MB   (target <= 600)")
    print(f"peak memory, process tree (sampled PSS sum): {peak_pss / 2**20:5.0f} MB   (shared pages counted once)")
    print(f"peak memory, python (getrusage maxrss): the render's process {render_own:5.0f} MB   (target <= 100)")
    if whole_share:
        print(f"  and this process after the whole job ran in it with Django, as a worker's does: {own:.0f} MB")
    print(f"  largest single ffmpeg (the bare encodes' included): {children:.0f} MB")
    print("fan-out speed-up (two one-core clusters against one): `make bench` runs scripts/measure_fan_out.py next")
    if not options.keep and not options.dir:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def bench_proxy(options: argparse.Namespace, root: Path, limits: Limits, narration: list[str]) -> float:
    """Render the scenes as a proxy preview from a cold work dir and cache (the whole job, as a
    creator waits for it); return its wall time over encoding its own frames at proxy settings."""
    shutil.rmtree(root / "proxy-work", ignore_errors=True)
    shutil.rmtree(root / "proxy-cache", ignore_errors=True)
    limits = Limits(max_scene_duration_sec=max(limits.max_scene_duration_sec, options.proxy_seconds / len(narration)))
    plan = parse_plan(bench_plan(options.proxy_seconds, options.resolution, narration, mode="proxy"), limits)
    settings = RenderSettings(
        work_dir=root / "proxy-work", cache_dir=root / "proxy-cache", parallelism=options.parallelism,
        encoder="auto", limits=limits,
    )  # fmt: skip
    result, wall, cpu = timed(lambda: run_pipeline(plan, settings, Callbacks()))
    assert isinstance(result, RenderResult)
    frames = count_frames(result.video)
    summary = json.loads(result.summary.read_text())
    print(
        f"[proxy] render:      {wall:6.1f} s wall {cpu:6.1f} s cpu ({frames} frames, {result.duration_sec:.2f} s, "
        f"{result.width}x{result.height}, {summary['segments']['rendered']} segments); "
        + ", ".join(f"{step} {sec:.1f}" for step, sec in result.timings.items())
    )
    size = (result.width, result.height)
    bare_wall, bare_cpu = same_frames_encode(result.video, frames, size, plan.fps, root, options, mode="proxy")
    print(
        f"[proxy] bare encode: {bare_wall:6.1f} s wall {bare_cpu:6.1f} s cpu (the preview's own frames, proxy settings)"
    )
    # CPU seconds are steadier than wall time on a machine shared with other work.
    print(f"[proxy] whole job / bare encode, cpu: {cpu / bare_cpu:5.2f}x")
    return wall / bare_wall


def bench_whole_job(options: argparse.Namespace, narration: list[str]) -> tuple[float, float]:
    """The full job and a one-scene narration edit of it (the video's next version), each run as
    a worker runs it, in a throwaway deployment with a cold cache every round; returns the best
    round's edit wall time over its full job's (the rounds alternate full and edit) and the best
    full job's wall time, and prints the CPU share too."""
    from scratch_deployment import start_scratch_deployment

    data_dir, user = start_scratch_deployment("bhakti-bench-job-", RENDER_PARALLELISM=str(options.parallelism))
    from django.conf import settings

    from renders import services
    from renders.execution import execute_render_job
    from renders.models import RenderJob

    full_plan = bench_plan(options.seconds, options.resolution, narration)
    edited_plan = bench_plan(options.seconds, options.resolution, [*narration[:1], EDITED, *narration[2:]])

    def run(job: RenderJob) -> tuple[float, float]:
        state, wall, cpu = timed(lambda: execute_render_job(str(job.pk)))
        job.refresh_from_db()
        if state != "succeeded":
            raise SystemExit(f"whole job {state}: {job.error}")
        steps = ", ".join(f"{name} {sec:.1f}" for name, sec in job.timings.items())
        print(
            f"  {wall:6.1f} s wall {cpu:6.1f} s cpu, {job.pieces_reused} of {job.pieces_total} pieces reused; {steps}"
        )
        return wall, cpu

    shares, cpu_shares, fulls = [], [], []
    try:
        for number in range(1, options.repeat + 1):
            shutil.rmtree(settings.RENDER_CACHE_DIR, ignore_errors=True)
            print(f"[{number}] whole job, full (cold cache), load average {os.getloadavg()[0]:.2f}:")
            first = services.job_create(owner=user, plan_data=full_plan)
            full, full_cpu = run(first)
            fulls.append(full)
            print(
                f"[{number}] whole job, scene 2 narration changed (next version), load average {os.getloadavg()[0]:.2f}:"
            )
            edit, edit_cpu = run(services.job_create(owner=user, plan_data=edited_plan, version_of=first))
            shares.append(edit / full)
            cpu_shares.append(edit_cpu / full_cpu)
            print(f"[{number}] whole job edit share {edit / full:5.1%} wall, {edit_cpu / full_cpu:5.1%} cpu")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    # CPU seconds (this process and its ffmpeg children) are steadier than wall time on a busy machine.
    print(f"whole job edit share, cpu (best of {len(cpu_shares)}): {min(cpu_shares):5.1%}")
    return min(shares), min(fulls)


def same_frames_encode(
    video: Path,
    frames: int,
    size: tuple[int, int],
    fps: int,
    root: Path,
    options: argparse.Namespace,
    mode: str = "final",
) -> tuple[float, float]:
    """Decode the render to raw frames (untimed), then time encoding exactly those frames."""
    width, height = size
    # In RAM when there is room, so the baseline reads its frames at memory speed, not disk speed.
    shm = Path("/dev/shm")  # noqa: S108 - a private mkdtemp directory is made inside it
    fits = shm.is_dir() and shutil.disk_usage(shm).free > frames * width * height * 3 // 2 * 1.5
    raw_dir = Path(tempfile.mkdtemp(prefix="bhakti-bench-", dir=shm if fits else root))
    raw = raw_dir / "frames.yuv"
    try:
        ffmpeg.run_ffmpeg(
            ["-loglevel", "error", "-i", str(video), "-map", "0:v", "-f", "rawvideo", "-pix_fmt", "yuv420p", str(raw)],
            is_canceled=lambda: False,
        )
        source = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-r", str(fps), "-i", str(raw)]
        _, wall, cpu = timed(lambda: bare_encode(source, frames, root / "same.mp4", options.baseline_threads, mode))
    finally:
        shutil.rmtree(raw_dir)
    return wall, cpu


def edit_summary(summary: Path) -> str:
    segments = json.loads(summary.read_text())["segments"]
    return f"{segments['rendered']} rendered, {segments['cached']} reused"


if __name__ == "__main__":
    raise SystemExit(main())
