"""Running ffmpeg: the binary, a cancellable runner, encoder choice, filter escaping. No Django here.

The binary comes from imageio-ffmpeg (a static build with libx264, libass, xfade and
sidechaincompress), so a fresh machine needs nothing from apt. Every ffmpeg we start is killed
when the job is canceled, when ffmpeg outlives its timeout, and in `finally` — django-q's
timeout raises a SystemExit subclass in the worker, and an orphaned ffmpeg would keep a core
busy for minutes.

ffmpeg runs in a session of its own: a Ctrl-C in the terminal (SIGINT to the foreground process
group) would otherwise kill it mid-segment and fail the job with "exit status 255". The worker
gets the signal instead and stops its ffmpeg itself (renders/worker_shutdown.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import imageio_ffmpeg

from renders.pipeline.context import Canceled, RenderError, TransientRenderError

POLL_SEC = 0.2
# glibc malloc: keep freed frame buffers in the heap instead of returning them to the kernel.
# Ken Burns frames change size every frame, so ffmpeg's buffer pools cannot reuse them; with the
# default thresholds every frame costs fresh page faults (measured: ~1.5 ms of system time per
# 1080p frame, ~5% of a segment's CPU). Peak memory is unchanged.
# One arena for all of ffmpeg's threads (demuxer, decoder, filter graph, encoder, muxer): with an
# arena each, every thread's heap kept its own high-water mark. Measured on the bench's 1080p
# final (alternating runs): the largest ffmpeg 332 -> 316 MB, the tree 711-716 -> 678-682 MB,
# compose's CPU unchanged (64.7-64.9 s against 63.3-65.0 s).
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc's ceiling for mmap_threshold on 64-bit
MMAP_THRESHOLD_MIN = 128 * 1024  # glibc's default starting threshold


def malloc_tunables(mmap_threshold: int) -> str:
    """GLIBC_TUNABLES for an ffmpeg: one arena, a 256 MiB trim threshold, and blocks of at least
    `mmap_threshold` bytes (clamped to glibc's range) mapped on their own and unmapped when freed
    (compose passes one per segment; see segment_mmap_threshold)."""
    threshold = max(MMAP_THRESHOLD_MIN, min(MMAP_THRESHOLD_MAX, mmap_threshold))
    return f"glibc.malloc.mmap_threshold={threshold}:glibc.malloc.trim_threshold=268435456:glibc.malloc.arena_max=1"


MALLOC_TUNABLES = malloc_tunables(MMAP_THRESHOLD_MAX)


# How long a terminated ffmpeg gets to exit before it is killed.
TERMINATE_GRACE_SEC = 1.0
STDERR_TAIL_LINES = 40

# Every ffmpeg started by this process and not yet reaped; tests and `kill_all` read it.
_running: set[subprocess.Popen[bytes]] = set()
_running_lock = threading.Lock()


@cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped in the imageio-ffmpeg wheel."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


@dataclass(frozen=True)
class CompletedRun:
    args: list[str]
    returncode: int
    stderr: str  # the last STDERR_TAIL_LINES lines
    elapsed_sec: float


class FfmpegFailed(RenderError):
    """ffmpeg exited non-zero. The message holds its last meaningful stderr lines and a hint."""

    def __init__(self, message: str, *, step: str, stderr: str, returncode: int):
        self.stderr = stderr
        self.returncode = returncode
        super().__init__(message, step=step)

    @property
    def crashed(self) -> bool:
        """Killed by a signal (a segfault, the out-of-memory killer), not an error it reported
        about its input: worth another attempt. A non-zero exit status repeats on the same input."""
        return self.returncode < 0


def running_processes() -> list[subprocess.Popen[bytes]]:
    with _running_lock:
        return [proc for proc in _running if proc.poll() is None]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, wait briefly, then kill; always reap so no zombie is left behind."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(TERMINATE_GRACE_SEC)
        except subprocess.TimeoutExpired:
            proc.kill()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
        pass


def kill_all() -> None:
    """Stop every ffmpeg this process started that is still running."""
    for proc in running_processes():
        _stop(proc)


# Lines ffmpeg prints that never explain a failure: progress, and the knock-on messages every
# thread prints after the first real error.
_NOISE = (
    "Press [q]", "frame=", "size=", "Stream mapping", "Conversion failed", "Exiting normally",
    "Terminating thread", "Task finished with error code", "Nothing was written into output",
    "Could not open encoder before EOF", "Error while filtering", "Error opening output files",
)  # fmt: skip
_PREFIX = re.compile(r"^(\[[^\]]* @ 0x[0-9a-f]+\] ?)+")


def meaningful_lines(stderr: str, limit: int = 3) -> list[str]:
    """The first few distinct lines of ffmpeg's stderr that explain a failure (the root cause
    comes first; later lines are its consequences), without the `[codec @ 0x…]` prefixes."""
    kept: list[str] = []
    for raw in stderr.splitlines():
        line = _PREFIX.sub("", raw.strip()).strip()
        if not line or raw.startswith("  ") or any(noise in line for noise in _NOISE) or line in kept:
            continue
        kept.append(line)
    return kept[:limit]


def _hint(stderr: str) -> str:
    lowered = stderr.lower()
    if "no such file or directory" in lowered:
        return "an input file is missing; rerun the job so earlier steps recreate it"
    if "no space left" in lowered:
        return "the disk is full; free space in the media or cache directory"
    if "invalid data found" in lowered or "could not find codec parameters" in lowered:
        return "an input file is damaged; replace the scene's image or rerun the job"
    if "cannot load" in lowered or "nvenc" in lowered or "cuda" in lowered:
        return "the GPU encoder is unavailable; set the encoder to libx264"
    if "error parsing" in lowered or "invalid argument" in lowered:
        return "ffmpeg rejected the filter graph; this is a bug worth reporting with the job's log"
    return "check the job's log; retrying the job re-renders only what is missing"


def run_ffmpeg(
    args: Sequence[str],
    *,
    is_canceled: Callable[[], bool],
    timeout: float | None = None,
    step: str = "compose",
    what: str = "ffmpeg",
    cwd: Path | None = None,
    on_frame: Callable[[int], None] | None = None,
    mmap_threshold: int = 0,
) -> CompletedRun:
    """Run ffmpeg with `args` (without the binary), polling `is_canceled` every POLL_SEC.

    On cancel the process is terminated (then killed) and Canceled is raised; on timeout it is
    killed and RenderError raised; a non-zero exit raises FfmpegFailed. `on_frame` receives the
    number of frames written so far (from `-progress`), called from a reader thread.
    `mmap_threshold` (bytes; 0: MALLOC_TUNABLES's) sets glibc's for this ffmpeg.
    """
    command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-y"]
    if on_frame is not None:
        command += ["-progress", "pipe:1", "-nostats"]
    command += list(args)
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    started = time.monotonic()
    env = dict(os.environ)
    env.setdefault("GLIBC_TUNABLES", malloc_tunables(mmap_threshold) if mmap_threshold else MALLOC_TUNABLES)
    proc = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if on_frame is not None else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=cwd,
        start_new_session=True,  # signals to the worker's process group are the worker's to handle
    )
    with _running_lock:
        _running.add(proc)
    readers = [threading.Thread(target=_collect_stderr, args=(proc, tail), daemon=True)]
    if on_frame is not None:
        readers.append(threading.Thread(target=_follow_progress, args=(proc, on_frame), daemon=True))
    for reader in readers:
        reader.start()
    try:
        while True:
            try:
                proc.wait(POLL_SEC)
                break
            except subprocess.TimeoutExpired:
                pass
            if is_canceled():
                _stop(proc)
                raise Canceled()
            if timeout is not None and time.monotonic() - started > timeout:
                _stop(proc)
                raise TransientRenderError(f"{what} took longer than {timeout:.0f} s and was stopped", step=step)
    finally:
        # Also reached on SystemExit (django-q's timeout) and KeyboardInterrupt.
        _stop(proc)
        for reader in readers:
            reader.join(2)
        with _running_lock:
            _running.discard(proc)
    stderr = "\n".join(tail)
    if proc.returncode != 0:
        lines = meaningful_lines(stderr) or [f"exit status {proc.returncode}"]
        message = f"{what} failed: {' | '.join(lines)}. Hint: {_hint(stderr)}"
        raise FfmpegFailed(message, step=step, stderr=stderr, returncode=proc.returncode)
    return CompletedRun(command, proc.returncode, stderr, time.monotonic() - started)


def _collect_stderr(proc: subprocess.Popen[bytes], tail: deque[str]) -> None:
    assert proc.stderr is not None
    for raw in proc.stderr:
        tail.append(raw.decode("utf-8", "replace").rstrip())


def _follow_progress(proc: subprocess.Popen[bytes], on_frame: Callable[[int], None]) -> None:
    assert proc.stdout is not None
    for raw in proc.stdout:
        if raw.startswith(b"frame="):
            try:
                on_frame(int(raw[6:].strip() or 0))
            except ValueError:
                continue


# ---- encoders ---------------------------------------------------------------------------------

ENCODERS = ("libx264", "h264_nvenc")


@cache
def nvenc_available() -> bool:
    """Whether a tiny h264_nvenc encode works here (a GPU with NVENC and a driver). Probed once."""
    args = [
        "-loglevel", "error", "-f", "lavfi", "-i", "color=c=black:s=256x144:r=30:d=0.2",
        "-c:v", "h264_nvenc", "-f", "null", "-",
    ]  # fmt: skip
    try:
        run_ffmpeg(args, is_canceled=lambda: False, timeout=20, what="NVENC probe")
    except RenderError:
        return False
    return True


def pick_encoder(preference: str) -> str:
    """'h264_nvenc' when preferred (auto or h264_nvenc) and a probe encode succeeds, else 'libx264'."""
    if preference not in ("auto", *ENCODERS):
        raise ValueError(f"encoder must be auto, libx264 or h264_nvenc (got {preference!r})")
    if preference in ("auto", "h264_nvenc") and nvenc_available():
        return "h264_nvenc"
    return "libx264"


def encoder_args(encoder: str, mode: str, threads: int) -> list[str]:
    """Video encoder settings shared by every segment (and the benchmark's bare encode).

    Identical settings are what lets the concat demuxer join segments by stream copy: the
    SPS/PPS of every segment must match. x264's GOPs are closed by default; each segment starts
    with an IDR frame.
    """
    if encoder == "h264_nvenc":
        preset, cq = ("p1", 30) if mode == "proxy" else ("p4", 21)
        args = ["-c:v", "h264_nvenc", "-preset", preset, "-rc", "vbr", "-cq", str(cq), "-b:v", "0"]
        args += ["-profile:v", "high", "-forced-idr", "1"]
    else:
        preset, crf = ("ultrafast", 30) if mode == "proxy" else ("veryfast", 20)
        args = ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high"]
        args += ["-threads", str(threads)]
        if threads > 1:
            # Slices, not x264's default frame threads: one frame's worth of encoder memory
            # (~150 MB at 1080p) instead of one per thread, at a small cost in compression.
            args += ["-x264-params", "sliced-threads=1"]
    return args + [
        "-pix_fmt", "yuv420p",
        "-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
    ]  # fmt: skip


# ---- filter graph escaping --------------------------------------------------------------------


def escape_filter_value(value: str) -> str:
    """Escape a filter option value (e.g. a file path for `ass=`) for use inside a filter graph.

    Two levels, as ffmpeg-filters(1) "Notes on filtergraph escaping" describes: first the
    option-value level (\\ ' :), then the graph level (\\ ' [ ] , ;).
    """
    value = value.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")
    for char in "\\'[],;":
        value = value.replace(char, "\\" + char)
    return value


def concat_list_line(path: Path) -> str:
    """One entry of a concat demuxer list file, the path quoted as ffmpeg-formats(1) says."""
    return "file '" + str(path).replace("'", "'\\''") + "'"
