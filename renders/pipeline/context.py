"""Types shared by the pipeline's steps: settings, callbacks, timings, results. No Django here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from renders.pipeline.plan import Limits

# Steps in order, with their share of the job's progress bar (they add up to 100). `script` is
# writing the plan from a topic (done when the job is made); a job sent with its plan starts past it.
STEP_WEIGHTS: dict[str, int] = {"script": 5, "images": 15, "speech": 10, "subtitles": 5, "compose": 60, "store": 5}
STEPS: tuple[str, ...] = tuple(STEP_WEIGHTS)

CROSSFADE_SEC = 0.5
SAMPLE_RATE = 48_000


class Canceled(Exception):
    """The job was canceled; raised between steps and while ffmpeg runs (after killing it)."""


class RenderError(Exception):
    """A failure a creator can read: says what went wrong and what to do.

    A plain RenderError is permanent: the same plan on the same input fails the same way, so
    the job is never retried automatically. Raise TransientRenderError for what may pass.
    """

    def __init__(self, message: str, *, step: str = ""):
        self.step = step
        super().__init__(message)


class TransientRenderError(RenderError):
    """A failure that may pass on its own (a crash or stall of ffmpeg, a provider that stayed
    down through its own retries): the job is tried again after a backoff."""


class InputError(RenderError):
    """The job's input is unusable (an uploaded picture gone or not the owner's): never retried."""


@dataclass(frozen=True)
class RenderSettings:
    work_dir: Path  # this job's own directory; survives a rerun of the same job
    cache_dir: Path  # segment cache shared by all jobs, keyed by content hash
    music_db: float = -12.0
    narration_padding_sec: float = 0.6
    encoder: str = "auto"  # auto | libx264 | h264_nvenc
    parallelism: int = 2
    proxy_short_side: int = 360
    # Publish finished segments as a live stream while the rest render (renders/pipeline/live_stream.py).
    live_stream: bool = False
    # Share the job's video segments with helpers on other workers (renders/pipeline/fan_out.py).
    fan_out: bool = False
    # The plan's limits: parse_plan checked the narration's estimated length against them, the
    # speech step checks its real length before anything is composed.
    limits: Limits = Limits()


def _never() -> bool:
    return False


def _ignore(*_args: object) -> None:
    return None


def _as_path(name: str) -> Path:
    return Path(name)


@dataclass
class Callbacks:
    progress: Callable[[str, float], None] = _ignore  # (step, fraction of that step 0..1)
    log: Callable[[str, str], None] = _ignore  # (level: info|warning|error, message)
    is_canceled: Callable[[], bool] = _never
    resolve_image: Callable[[str], Path] = _as_path  # a scene's `image` value -> a local file
    # Called when a step produced files worth showing early (images, audio, subtitles).
    produced: Callable[[str, list[Path]], None] = _ignore
    # Called, in playing order, with each piece of the live stream: (index, MPEG-TS file, seconds).
    live_piece: Callable[[int, Path, float], None] = _ignore
    # Called once with the fan-out manifest's file name, when settings.fan_out shares segments:
    # ask helpers to render from it (renders/pipeline/fan_out.py).
    fan_out: Callable[[str], None] = _ignore

    def check_canceled(self) -> None:
        if self.is_canceled():
            raise Canceled()


@dataclass(frozen=True)
class Cue:
    """A timed piece of text, in seconds; relative to whatever the holder says."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class SceneNarration:
    index: int
    wav: Path | None  # mono 16-bit WAV at SAMPLE_RATE, or None for a silent scene
    speech_sec: float  # measured length of the spoken audio
    duration_sec: float  # the scene's length on screen: max(requested, speech + padding)
    sentences: tuple[Cue, ...]  # relative to the scene's start
    words: tuple[Cue, ...] = ()  # relative to the scene's start, when the engine gives them


@dataclass(frozen=True)
class Narration:
    scenes: tuple[SceneNarration, ...]
    provider: str = "espeak"

    @property
    def total_sec(self) -> float:
        return sum(scene.duration_sec for scene in self.scenes)

    def scene_starts(self) -> list[float]:
        starts, t = [], 0.0
        for scene in self.scenes:
            starts.append(t)
            t += scene.duration_sec
        return starts


@dataclass
class RenderResult:
    video: Path
    thumbnail: Path
    subtitles: dict[str, dict[str, Path]]  # language -> {"srt": path, "vtt": path}
    narration_audio: Path
    scene_images: list[Path]
    summary: Path  # job_summary.json
    encoder: str
    duration_sec: float
    width: int
    height: int
    fps: int
    timings: dict[str, float] = field(default_factory=dict)
    pieces_reused: int = 0  # compose's pieces (video segments, audio) taken from the segment cache
    pieces_total: int = 0
