"""Compose: stills + narration + cues → one MP4, from cached per-scene segments. No Django here.

The timeline is counted in frames. Scene i lasts exactly narration.scenes[i].duration_sec
(already a whole number of frames); the crossfade between scenes i and i+1 sits *inside* that
timeline, half in each scene, so the video is exactly as long as the narration.

    scene 0 | fade 0→1 + scene 1 | fade 1→2 + scene 2

Each piece is its own H.264 segment, rendered by its own ffmpeg with identical encoder settings
(closed GOP, same SPS/PPS, same timescale), so the concat demuxer joins them by stream copy.
Each crossfade opens the (first) segment of the scene after it (INLINE_FADES), so there is one
ffmpeg per scene chunk and none per fade.
A scene's Ken Burns motion is a function of its position in the scene's *visible span* (its
frames plus both half-fades), so the fade segments continue the same motion. A scene with a
stock clip shows the clip instead (looped, cover-cropped, at the plan's fps): frame n of its
visible span is clip frame n, so its chunks and fades line up just as seamlessly. Every segment
is cached by a hash of its inputs: an edited scene re-renders itself, and the first segment of
the scene after it only when what changed shows in the fade out of it (its picture, a cue).
A final's segments read each still prepared once per run (PreparedStill: converted, and for a
pan scaled, into a raw frame file) rather than decoding and converting the JPEG in every graph.
A final splits each scene's own frames into chunks of CHUNK_SEC so several cores share a long
scene; a proxy renders each scene whole, since at preview size the set-up of an ffmpeg (process,
libass, x264) costs as much as a few seconds of frames. A proxy is built for its size from the
start: its stills are painted at the preview's oversampled size (images.py) and move in yuv420p,
so a preview is one ffmpeg per scene.
Audio (narration placed at scene starts, music bed ducked under it) is mixed and encoded per
scene, cached like the segments, and spliced from the pieces' AAC packets (audio_track.py): an
edit mixes only the scenes it changed, and the join stream-copies the spliced track.
With settings.live_stream, each finished segment also becomes a piece of a live HLS stream, in
playing order, with its span of the narration (live_stream.py); the segments then render in
playing order, so the first scene is playable after about one segment's time.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image

from renders.pipeline import audio_track, fan_out, fonts, music, subtitles, watermark
from renders.pipeline.audio import read_wav, resample, write_wav
from renders.pipeline.context import (
    CROSSFADE_SEC,
    SAMPLE_RATE,
    Callbacks,
    Canceled,
    Cue,
    Narration,
    RenderError,
    RenderSettings,
)
from renders.pipeline.ffmpeg import (
    POLL_SEC,
    concat_list_line,
    encoder_args,
    escape_filter_value,
    pick_encoder,
    run_ffmpeg,
)
from renders.pipeline.illustrator.styles import frame_decoration
from renders.pipeline.ken_burns import Motion, MotionFilters, motion_filters, motion_for_scene
from renders.pipeline.live_stream import LiveStream
from renders.pipeline.media_probe import probe
from renders.pipeline.plan import Plan
from renders.pipeline.segment_cache import SegmentCache, content_key, file_digest

# Bump when anything that shapes a segment's pixels or audio changes without showing up in
# its key (filter chain, colour handling, mix recipe): old cache entries then stop matching.
RENDERER_VERSION = "5"  # 5: burned cues snapped to whole frames, whatever the segment's start
SCALE_FLAGS = "bilinear"
TIMESCALE = 90_000  # divisible by 24, 25 and 30: every frame lands on an exact tick
# A scene's own frames are rendered in chunks of at most this long, so that several cores can
# share one long scene: an edit of one scene then finishes in about 1/parallelism of its time.
CHUNK_SEC = 3.0
# The video's last frames are cut finer: the workers run out of segments there, and a core sits
# idle while the last one finishes (~1.75 s of one core on the bench's final, whose chunks take
# ~2.8 s each). The last scene's final TAIL_SEC go in chunks of at most TAIL_CHUNK_SEC, so the
# last segments to finish are short. Fixed lengths, not the worker count: the same plan has the
# same segments (and bytes) on any number of workers.
TAIL_SEC = 2.0
TAIL_CHUNK_SEC = 1.0
# A proxy's scenes are one segment each: at preview size a whole scene costs about a second,
# while every extra segment costs an ffmpeg start, a libass and x264 set-up (measured on the
# Prahlad preview: 49 chunks of ~0.6 s wall, a third of it start-up).
PROXY_CHUNK_SEC: float | None = None
# Crossfades ride inside the (first) segment of the scene after them: one ffmpeg per scene chunk
# instead of one more per fade. Measured on the bench's 10-scene preview: each 15-frame fade
# segment cost ~0.13 s of CPU, nearly all of it the start of an ffmpeg with two stills, libass
# and x264. In a 1080p final a fade segment cost ~0.85 s of CPU for 15 frames (two stills
# decoded and prepared, libass, x264 set up and its first frame an IDR); inside the next scene
# it costs its frames only. An edit then re-renders the edited scene and the first chunk of the
# scene after it when that chunk shows something that changed (its picture fading out, a cue).
INLINE_FADES = True
# A final's stills are read by its segments prepared (PreparedStill): one ffmpeg a still, not a
# decode and conversion in every segment's graph.
PREPARED_STILLS = True
# Bump when the proxy's own picture path (inline fades, yuv420p motion) changes its pixels.
PREVIEW_VERSION = "1"
# The proxy's AAC: ffmpeg's default "twoloop" coder spends ~30 ms per second of audio on this
# machine, more than the whole preview's video per second; "fast" is ~2× quicker and audible
# only to a careful ear, which a preview does not need. Finals keep the default coder.
PROXY_AAC_ARGS = ("-aac_coder", "fast")
MUX_UNITS = 0.02  # share of the compose progress bar for the final join


@dataclass(frozen=True)
class Composed:
    video: Path
    narration_audio: Path  # narration only (no music), AAC in .m4a
    encoder: str
    segments_rendered: int
    segments_cached: int
    timings: dict[str, float] = field(default_factory=dict)
    pieces_reused: int = 0  # video segments and the audio the cache already had …
    pieces_total: int = 0  # … of all of them


# ---- timeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """Frame counts. Boundary k (between scenes k and k+1) fades over `fade_before[k]` frames of
    scene k and `fade_after[k]` frames of scene k+1."""

    fps: int
    scene_frames: tuple[int, ...]
    fade_before: tuple[int, ...]
    fade_after: tuple[int, ...]

    @property
    def starts(self) -> list[int]:
        starts, at = [], 0
        for frames in self.scene_frames:
            starts.append(at)
            at += frames
        return starts

    @property
    def total_frames(self) -> int:
        return sum(self.scene_frames)

    def scene_range(self, index: int) -> tuple[int, int]:
        """Global frames [first, end) of scene `index`'s own segment (outside both fades)."""
        start = self.starts[index]
        head = self.fade_after[index - 1] if index > 0 else 0
        tail = self.fade_before[index] if index < len(self.fade_before) else 0
        return start + head, start + self.scene_frames[index] - tail

    def transition_range(self, boundary: int) -> tuple[int, int]:
        cut = self.starts[boundary + 1]
        return cut - self.fade_before[boundary], cut + self.fade_after[boundary]

    def visible_range(self, index: int) -> tuple[int, int]:
        """Global frames during which scene `index` is on screen, fades included."""
        start = self.starts[index]
        before = self.fade_before[index - 1] if index > 0 else 0
        after = self.fade_after[index] if index < len(self.fade_after) else 0
        return start - before, start + self.scene_frames[index] + after


def build_timeline(durations: Sequence[float], fps: int, crossfade_sec: float = CROSSFADE_SEC) -> Timeline:
    """Frames per scene and per half-fade. Each half-fade is capped so every scene keeps at
    least one frame of its own between its two fades."""
    frames = tuple(max(1, round(duration * fps)) for duration in durations)
    fade = max(0, round(crossfade_sec * fps))
    before, after = [], []
    for boundary in range(len(frames) - 1):
        before.append(min(fade - fade // 2, (frames[boundary] - 1) // 2))
        after.append(min(fade // 2, (frames[boundary + 1] - 1) // 2))
    return Timeline(fps, frames, tuple(before), tuple(after))


def global_cues(scene_cues: Sequence[Sequence[Cue]], timeline: Timeline) -> list[Cue]:
    """Every scene's cues on the video's timeline, each kept inside its own scene."""
    cues: list[Cue] = []
    for index, scene in enumerate(scene_cues):
        start = timeline.starts[index] / timeline.fps
        end = start + timeline.scene_frames[index] / timeline.fps
        for cue in scene:
            begin, finish = start + cue.start, min(end, start + cue.end)
            if cue.text.strip() and finish > begin:
                cues.append(Cue(begin, finish, cue.text))
    return cues


def cue_frames(cue: Cue, fps: int) -> tuple[int, int]:
    """The global frames [first, end) a cue shows on: those whose time t has start <= t < end."""
    return math.ceil(cue.start * fps - 1e-9), math.ceil(cue.end * fps - 1e-9)


def cues_in_window(cues: Sequence[Cue], first_frame: int, end_frame: int, fps: int) -> list[Cue]:
    """Cues showing on global frames [first_frame, end_frame), relative to first_frame.

    Each cue's edges are put half a frame before its first frame and before the frame after its
    last, so the subtitle script's centisecond times (under half a frame at 24–30 fps) can never
    move an edge onto a neighbouring frame: a cue shows on the same frames whichever segment's
    window holds it (before, its edge could move a frame with the segment's start).
    """
    inside = []
    for cue in cues:
        first, end = cue_frames(cue, fps)
        first, end = max(first, first_frame), min(end, end_frame)
        if first < end:
            start = 0.0 if first == first_frame else (first - first_frame - 0.5) / fps
            stop = (end - first_frame) / fps if end == end_frame else (end - first_frame - 0.5) / fps
            inside.append(Cue(start, stop, cue.text))
    return inside


# ---- segment jobs -----------------------------------------------------------------------------


@dataclass
class SegmentJob:
    label: str  # "scene 3", "fade 3→4", "audio 3"
    frames: int  # weight for progress (audio: a nominal share)
    key: str
    suffix: str
    args: list[str]  # ffmpeg arguments without the output path
    outputs: int = 1  # audio writes a second file (narration only) next to the first
    second_map: str = "0:a"  # what the second output takes
    make_args: Callable[[], list[str]] | None = None  # builds `args` on the worker thread
    path: Path | None = None
    cached: bool = False
    done_frames: int = 0
    is_fade: bool = False  # a crossfade between two scenes
    pictures: int = 1  # stills (or clips) its ffmpeg holds at once: a crossfade holds two
    mmap_threshold: int = 0  # its ffmpeg's malloc mmap threshold (0: ffmpeg.MALLOC_TUNABLES's)
    stills: list[PreparedStill] = field(default_factory=list)  # inputs made before its ffmpeg runs


@dataclass(frozen=True, eq=False)
class PreparedStill:
    """A final's still as its segments read it: converted to bt709 limited-range YUV (a pan's
    also scaled to its zoom) once per run, by an ffmpeg of its own, into a raw frame file.

    Read from the JPEG, every segment's ffmpeg decoded the picture and converted (and scaled) it
    in its graph again: the decoded picture, its copies and the converter's buffers held ~10 MB
    more an ffmpeg at 1080p (~40 MB more in a crossfade chunk, which holds two stills), and each
    read cost ~50 ms of CPU. The raw file's frame is the very frame that graph made (the same
    filters, in one thread), tagged as it was, so a segment's bytes do not change.
    """

    path: Path
    args: list[str]  # the ffmpeg arguments that write it, without the output path
    # Held while it is made: the run's workers that need it wait for the first one's.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


# The colour tags a still's frame carried out of the in-graph conversion (scale's out_color_matrix
# and out_range): a raw frame has none, and libass and the overlay read them.
PREPARED_TAGS = "setparams=range=tv:colorspace=bt709"


@dataclass(frozen=True)
class _Reading:
    """How one segment reads a picture: its input's arguments, the filters from that input to the
    moving frames, and the prepared still the input is (if any)."""

    args: list[str]
    chain: str
    stills: list[PreparedStill]


@dataclass(frozen=True)
class _Context:
    frame: tuple[int, int]
    fps: int
    video_args: list[str]
    video_key: list[str]  # the encoder settings that shape the bitstream (threads set the slices)
    fonts_dir: Path
    font_digest: str
    subs_dir: Path
    mark: Path | None
    mark_xy: tuple[int, int]
    mark_digest: str
    mark_size: tuple[int, int] = (0, 0)
    captions: str = "lines"  # the plan's caption style: how write_ass lays out the burned cues
    chunk_sec: float | None = CHUNK_SEC  # None: each scene's own frames are one segment
    # A proxy's picture path: stills prepared in yuv420p (a final prepares them in yuv444p, so
    # its motion's scale reads full chroma; at preview size that is invisible, and a zoom's
    # per-frame scale from 4:2:0 costs half as much).
    preview: bool = False
    inline_fades: bool = False  # each crossfade inside the (first) segment of the next scene
    # The filter graph's threads: the ffmpeg's share of the cores, like its encoder's. ffmpeg's
    # default (a thread per core) in each of the parallel ffmpegs cost more CPU than it saved:
    # the zoom's scale, set up again for every frame's size, paid for waking its slice threads.
    # Measured on the bench final's 20 segment commands, two at a time, three rounds alternated:
    # 112.6 / 110.1 / 130.3 s of CPU against 123.6 / 119.0 / 134.4 s; the bytes are the same.
    filter_threads: int = 0  # 0: ffmpeg's default
    mmap_threshold: int = 0  # segment_mmap_threshold(frame); 0: ffmpeg.MALLOC_TUNABLES's
    # Where this run's prepared stills go (PreparedStill); None: each segment's graph prepares
    # its still itself (a proxy: each still is read by one or two segments, and a prepared one
    # would cost an ffmpeg start of its own).
    stills_dir: Path | None = None
    prepared: dict[Path, PreparedStill] = field(default_factory=dict, compare=False, repr=False)

    def graph_threads(self) -> list[str]:
        return ["-filter_complex_threads", str(self.filter_threads)] if self.filter_threads else []

    @property
    def pixel_format(self) -> str:
        return "yuv420p" if self.preview else "yuv444p"

    def key_extra(self) -> dict[str, object]:
        """What a proxy adds to its segments' keys; nothing for a final, whose keys stay as they were."""
        return {"preview": PREVIEW_VERSION} if self.preview else {}

    @cached_property
    def mark_reading(self) -> _Reading:
        """The static overlay's input (the same for every segment): its PNG, or with stills_dir
        its frame prepared once per run (converted to yuva420p as the overlay filter's own
        conversion does; the same bytes). `chain` is what goes between the input and the
        overlay. Precondition: mark is set."""
        assert self.mark is not None
        if self.stills_dir is None:
            return _Reading(["-i", str(self.mark)], "", [])
        convert = "scale=out_color_matrix=bt709:out_range=tv,format=yuva420p"
        name = f"overlay.{content_key({'mark': self.mark_digest, 'convert': convert})[:16]}.yuv"
        still = self._prepared(name, self.mark, convert)
        return _Reading(_raw_input(still.path, "yuva420p", self.mark_size), PREPARED_TAGS, [still])

    def prepared_still(self, picture: _Picture, once: str, pixel_format: str) -> PreparedStill:
        """The run's one PreparedStill of `picture` through the filters `once`, written in
        `pixel_format`. Precondition: stills_dir is set."""
        name = content_key({"image": picture.digest, "once": once, "format": pixel_format})[:16]
        return self._prepared(f"scene_{picture.index:02d}.{name}.yuv", picture.path, f"{once},format={pixel_format}")

    def _prepared(self, name: str, source: Path, filters: str) -> PreparedStill:
        """The run's one PreparedStill called `name`: `source` through `filters`, on one thread,
        as one raw frame. Precondition: stills_dir is set."""
        assert self.stills_dir is not None
        path = self.stills_dir / name
        if path not in self.prepared:
            args = [
                "-threads", "1", "-i", str(source), "-filter_complex_threads", "1",
                "-filter_complex", f"[0:v]{filters}[v]", "-map", "[v]", "-frames:v", "1", "-f", "rawvideo",
            ]  # fmt: skip
            self.prepared[path] = PreparedStill(path, args)
        return self.prepared[path]


def _raw_input(path: Path, pixel_format: str, size: tuple[int, int], *, fps: int | None = None) -> list[str]:
    """ffmpeg input arguments reading one prepared raw frame (PreparedStill) at `path`; `fps`: its
    frame rate (none given: ffmpeg's default, as the overlay's PNG had)."""
    rate = ["-framerate", str(fps)] if fps is not None else []
    return [
        "-f",
        "rawvideo",
        "-pixel_format",
        pixel_format,
        "-video_size",
        f"{size[0]}x{size[1]}",
        *rate,
        "-i",
        str(path),
    ]


def _still_once(once: str, pixel_format: str) -> str:
    # The still becomes bt709 limited-range yuv444p once (plus the motion's one-off filters),
    # then is repeated (_still_repeat): the per-frame work is only the motion's own; a preview
    # uses yuv420p. ffmpeg's format negotiation lets the motion's scale write yuv420p directly
    # (the graph ends in it), so the frame-sized crop after it works on 4:2:0: an odd offset
    # places chroma half a chroma sample off. Keeping 4:4:4 through the crop measured 4–10% more
    # CPU per segment.
    return f"scale=out_color_matrix=bt709:out_range=tv,format={pixel_format}" + (f",{once}" if once else "")


def _still_repeat(fps: int, frames: int) -> str:
    return f"loop=loop={frames - 1}:size=1:start=0,settb=1/{fps},setpts=N"


def _clip_prep(ctx: _Context, offset: int, frames: int) -> str:
    # Frames [offset, offset + frames) of the looped clip at the plan's fps, numbered like the
    # still path's (settb, setpts=N), scaled to cover the frame and cropped to it, in the same
    # bt709 limited range the still path converts to.
    width, height = ctx.frame
    return (
        f"fps={ctx.fps},trim=start_frame={offset}:end_frame={offset + frames},settb=1/{ctx.fps},setpts=N,"
        f"scale={width}:{height}:force_original_aspect_ratio=increase:flags={SCALE_FLAGS}"
        ":out_color_matrix=bt709:out_range=tv,"
        f"crop={width}:{height},setsar=1"
    )


@dataclass(frozen=True)
class _Picture:
    """What a scene shows: its still, moved by Ken Burns, or a stock clip that moves by itself."""

    index: int
    path: Path
    size: tuple[int, int]  # the still's size; unused for a clip
    digest: str  # of the file's bytes, hashed once for all its segments
    motion: Motion  # how the still moves; unused for a clip
    is_clip: bool = False

    def source_key(self, span: int) -> dict[str, object]:
        """What of this picture shapes a segment's pixels (with the segment's own offset).
        A clip's frames depend on its bytes only: no motion, no span."""
        if self.is_clip:
            return {"clip": self.digest}
        return {"image": self.digest, "span": span, "motion": _motion_key(self.motion)}

    def input_args(self, fps: int) -> list[str]:
        if self.is_clip:
            # Looped so a clip shorter than its scene never runs out; its audio is never mapped.
            return ["-threads", "1", "-stream_loop", "-1", "-i", str(self.path)]
        return ["-threads", "1", "-framerate", str(fps), "-i", str(self.path)]

    def reading(
        self, ctx: _Context, offset: int, span: int, frames: int, pixel_format: str = "", *, fading: bool = False
    ) -> _Reading:
        """This segment's `frames` frames of the picture, `offset` frames into the visible span (a
        still moves in `pixel_format`, by default the context's; `fading`: they go straight into
        a crossfade)."""
        if self.is_clip:
            return _Reading(self.input_args(ctx.fps), _clip_prep(ctx, offset, frames), [])
        kb = self._move(ctx, offset, span)
        args, head, stills = self._source(ctx, kb, pixel_format or ctx.pixel_format, fading=fading)
        return _Reading(args, f"{head},{_still_repeat(ctx.fps, frames)},{kb.per_frame}", stills)

    def _source(
        self, ctx: _Context, kb: MotionFilters, pixel_format: str, *, fading: bool
    ) -> tuple[list[str], str, list[PreparedStill]]:
        """The still's input, the filters making it ready to repeat, and its prepared still."""
        once = _still_once(kb.once, pixel_format)
        if ctx.stills_dir is None:
            return self.input_args(ctx.fps), once, []
        # What ffmpeg's format negotiation has `once`'s last filter write in the segment's graph:
        # the format it names, or, for a pan's scale, the format of what follows: 4:2:0 for the
        # scene's own frames (cropped, then encoded; its fade frames are converted back in the
        # graph, as before), 4:4:4 where the still goes straight into a crossfade.
        written = pixel_format if not kb.once else ("yuv444p" if fading else "yuv420p")
        still = ctx.prepared_still(self, once, written)
        args = ["-threads", "1", *_raw_input(still.path, written, kb.once_size or self.size, fps=ctx.fps)]
        return args, PREPARED_TAGS, [still]

    def _move(self, ctx: _Context, offset: int, span: int) -> MotionFilters:
        return motion_filters(
            self.motion, self.size, ctx.frame, first_frame=offset, span_frames=span, scale_flags=SCALE_FLAGS
        )

    def split_reading(
        self, ctx: _Context, span: int, parts: Sequence[tuple[int, int]], labels: Sequence[str]
    ) -> _Reading:
        """Several runs of this still's frames, each (offset, frames) into the visible span, from
        one reading of the still: decoded and prepared once, then split. Each run's chain starts
        at input label `<label>_in` and ends at output label `<label>`."""
        moves = [self._move(ctx, offset, span) for offset, _ in parts]
        args, head, stills = self._source(ctx, moves[0], ctx.pixel_format, fading=False)
        head += f",split={len(parts)}" + "".join(f"[{label}_in]" for label in labels)
        runs = [
            f"[{label}_in]{_still_repeat(ctx.fps, frames)},{move.per_frame}[{label}]"
            for label, (_, frames), move in zip(labels, parts, moves, strict=True)
        ]
        return _Reading(args, ";".join([head, *runs]), stills)


def _overlays(ctx: _Context, ass: Path | None, mark_input: int) -> str:
    """Filters after the picture is composed: the static overlay (frame, watermark; its input
    `mark_input` as ctx.mark_reading gives it), then subtitles."""
    chain = "format=yuv420p"
    if ctx.mark is not None:
        x, y = ctx.mark_xy
        mark = f"[{mark_input}:v]"
        chain += "[base];"
        if prepare := ctx.mark_reading.chain:
            chain += f"{mark}{prepare}[mark];"
            mark = "[mark]"
        chain += f"[base]{mark}overlay=x={x}:y={y}:format=yuv420"
    if ass is not None:
        chain += f",ass=filename={escape_filter_value(str(ass))}:fontsdir={escape_filter_value(str(ctx.fonts_dir))}"
    return chain


def _write_segment_ass(ctx: _Context, name: str, cues: list[Cue]) -> tuple[Path | None, str]:
    if not cues:
        return None, ""
    path = subtitles.write_ass(
        cues, ctx.subs_dir / f"{name}.ass", ctx.frame, fonts.SUBTITLE_FONT_FAMILY, captions_style=ctx.captions
    )
    return path, file_digest(path)


def _output_args(ctx: _Context, frames: int) -> list[str]:
    return [
        "-map", "[v]", "-frames:v", str(frames), *ctx.video_args,
        "-fps_mode", "cfr", "-r", str(ctx.fps), "-video_track_timescale", str(TIMESCALE),
        "-an", "-map_metadata", "-1",
    ]  # fmt: skip


def _motion_key(motion: Motion) -> list[object]:
    return [motion.zoom_start, motion.zoom_end, motion.x_start, motion.x_end, motion.y_start, motion.y_end]


def scene_chunks(
    first: int, end: int, fps: int, chunk_sec: float | None = CHUNK_SEC, *, lead: int = 0, last: bool = False
) -> list[tuple[int, int]]:
    """Split a scene's frames [first - lead, end) (its own frames, after the `lead` frames of the
    crossfade into it) into as many near-equal chunks as its own frames need at most `chunk_sec`
    each (None: one chunk, the whole scene); the video's `last` scene ends in chunks of at most
    TAIL_CHUNK_SEC over its final TAIL_SEC (when its own frames outlast a chunk and the tail).

    Chunks let every core work on one long scene (an edit re-renders a single scene); their
    boundaries depend only on the scene's own length, its fade's and whether it ends the video,
    so unchanged scenes stay cached. The fade shares the chunks' length rather than adding to the
    first one's: a crossfade's chunk (two stills, never two side by side, see _take_next) then
    costs about what the others do, and the core running them is not the last to finish.
    """
    frames = end - first
    if frames <= 0:
        return []
    if chunk_sec is None:
        return [(first - lead, end)]
    limit = max(1, round(chunk_sec * fps))
    tail = round(TAIL_SEC * fps)
    if last and frames > max(tail, limit):
        head = scene_chunks(first, end - tail, fps, chunk_sec, lead=lead)
        return head + scene_chunks(end - tail, end, fps, TAIL_CHUNK_SEC)
    count = max(1, math.ceil(frames / limit))
    start = first - lead
    bounds = [start + round(part * (end - start) / count) for part in range(count + 1)]
    chunks = [(low, high) for low, high in zip(bounds, bounds[1:], strict=False) if high > low]
    while len(chunks) > 1 and chunks[0][1] < first:  # the fade stays in one segment
        chunks[:2] = [(chunks[0][0], chunks[1][1])]
    return chunks


def _scene_jobs(
    ctx: _Context, pictures: Sequence[_Picture], index: int, timeline: Timeline, cues: list[Cue]
) -> list[SegmentJob]:
    """Scene `index`'s own segments; with ctx.inline_fades the first one opens with the crossfade
    from the scene before (so that fade has no segment of its own)."""
    picture = pictures[index]
    visible_first, visible_end = timeline.visible_range(index)
    span = visible_end - visible_first
    first_own, end_own = timeline.scene_range(index)
    fade_frames = 0
    if ctx.inline_fades and index > 0 and end_own > first_own:
        fade_first, fade_end = timeline.transition_range(index - 1)
        fade_frames = fade_end - fade_first
    last = index == len(pictures) - 1
    chunks = scene_chunks(first_own, end_own, ctx.fps, ctx.chunk_sec, lead=fade_frames, last=last)
    jobs = []
    for part, (first, end) in enumerate(chunks):
        frames, offset = end - first, first - visible_first
        name = f"scene_{index:02d}" + (f"_{part + 1}" if len(chunks) > 1 else "")
        ass, ass_digest = _write_segment_ass(ctx, name, cues_in_window(cues, first, end, ctx.fps))
        fade_key: dict[str, object] = {}
        if part == 0 and fade_frames:
            graph, args, fade_key, stills = _inline_fade(
                ctx, pictures[index - 1], picture, timeline, first, frames, fade_frames
            )
            graph += f",{_overlays(ctx, ass, args.count('-i'))}[v]"
        else:
            reading = picture.reading(ctx, offset, span, frames)
            graph = f"[0:v]{reading.chain},{_overlays(ctx, ass, 1)}[v]"
            args, stills = reading.args, reading.stills
        if ctx.mark is not None:
            mark = ctx.mark_reading
            args, stills = [*args, *mark.args], [*stills, *mark.stills]
        args += [*ctx.graph_threads(), "-filter_complex", graph, *_output_args(ctx, frames)]
        key = content_key(
            {
                "v": RENDERER_VERSION, "kind": "scene", **picture.source_key(span), "size": ctx.frame, "fps": ctx.fps,
                "frames": frames, "offset": offset, "ass": ass_digest, "font": ctx.font_digest,
                "mark": [ctx.mark_digest, ctx.mark_xy], "video": ctx.video_key, "scale": SCALE_FLAGS,
                **ctx.key_extra(), **fade_key,
            }
        )  # fmt: skip
        label = f"scene {index + 1}" + (f" part {part + 1}" if len(chunks) > 1 else "")
        held = 2 if fade_key else 1  # a crossfade holds the scene before it too
        jobs.append(
            SegmentJob(
                label, frames, key, ".mp4", args, pictures=held, mmap_threshold=ctx.mmap_threshold, stills=stills
            )
        )
    return jobs


def _inline_fade(
    ctx: _Context, before: _Picture, after: _Picture, timeline: Timeline, first: int, frames: int, fade: int
) -> tuple[str, list[str], dict[str, object], list[PreparedStill]]:
    """A segment of `frames` frames from global frame `first` that opens with the `fade`-frame
    crossfade from `before` into `after`: its filter graph up to the overlays (whose input
    follows the graph's inputs), those inputs, what of the outgoing scene shapes its key, and
    the prepared stills it reads.

    Only the fade's frames pass through xfade, in yuv444p (the only kind of YUV it takes: fed
    yuv420p, ffmpeg converts every frame there and back); the scene's own frames follow by
    concat, untouched. A final's still is read once and split (a zoom's in yuv444p for both; a
    pan's, scaled to its zoom, in the yuv420p its own frames need, converted for the fade's
    frames); a preview's (yuv420p for its own frames) and a clip are read twice.
    """
    before_first, before_end = timeline.visible_range(before.index)
    visible_first, visible_end = timeline.visible_range(after.index)
    span, offset = visible_end - visible_first, first - visible_first
    readings = [before.reading(ctx, first - before_first, before_end - before_first, fade, "yuv444p", fading=True)]
    chains = [f"[0:v]{readings[0].chain}[s0]"]
    if after.is_clip or ctx.pixel_format != "yuv444p":
        readings.append(after.reading(ctx, offset, span, fade, "yuv444p", fading=True))
        readings.append(after.reading(ctx, offset + fade, span, frames - fade))
        chains.append(f"[1:v]{readings[1].chain}[s1]")
        chains.append(f"[2:v]{readings[2].chain},format=yuv420p[own]")
    else:
        parts = [(offset, fade), (offset + fade, frames - fade)]
        readings.append(after.split_reading(ctx, span, parts, ["s1", "moving"]))
        chains.append(f"[1:v]{readings[1].chain}")
        chains.append("[moving]format=yuv420p[own]")
    args = [arg for reading in readings for arg in reading.args]
    stills = [still for reading in readings for still in reading.stills]  # two pictures: no still twice
    graph = (
        ";".join(chains)
        + f";[s0][s1]xfade=transition=fade:duration={fade / ctx.fps:.6f}:offset=0,format=yuv420p[fade];"
        "[fade][own]concat=n=2:v=1:a=0"
    )
    key = {**before.source_key(before_end - before_first), "offset": first - before_first, "frames": fade}
    return graph, args, {"fade_in": key}, stills


def _fade_job(
    ctx: _Context, boundary: int, pictures: Sequence[_Picture], timeline: Timeline, cues: list[Cue]
) -> SegmentJob | None:
    first, end = timeline.transition_range(boundary)
    frames = end - first
    if frames <= 0:
        return None
    chains: list[str] = []
    key_parts: list[dict[str, object]] = []
    args: list[str] = []
    stills: list[PreparedStill] = []
    for side, picture in enumerate((pictures[boundary], pictures[boundary + 1])):
        visible_first, visible_end = timeline.visible_range(picture.index)
        offset, span = first - visible_first, visible_end - visible_first
        reading = picture.reading(ctx, offset, span, frames)
        chains.append(f"[{side}:v]{reading.chain},format=yuv420p[s{side}]")
        args += reading.args
        stills += reading.stills
        key_parts.append({**picture.source_key(span), "offset": offset})
    name = f"fade_{boundary:02d}_{boundary + 1:02d}"
    ass, ass_digest = _write_segment_ass(ctx, name, cues_in_window(cues, first, end, ctx.fps))
    tail = _overlays(ctx, ass, 2)
    duration = frames / ctx.fps
    graph = ";".join(chains) + f";[s0][s1]xfade=transition=fade:duration={duration:.6f}:offset=0,{tail}[v]"
    if ctx.mark is not None:
        mark = ctx.mark_reading
        args, stills = [*args, *mark.args], [*stills, *mark.stills]
    args += [*ctx.graph_threads(), "-filter_complex", graph, *_output_args(ctx, frames)]
    key = content_key(
        {
            "v": RENDERER_VERSION, "kind": "fade", "sides": key_parts, "size": ctx.frame, "fps": ctx.fps,
            "frames": frames, "ass": ass_digest, "font": ctx.font_digest, "mark": [ctx.mark_digest, ctx.mark_xy],
            "video": ctx.video_key, "scale": SCALE_FLAGS, **ctx.key_extra(),
        }
    )  # fmt: skip
    return SegmentJob(
        f"fade {boundary + 1}→{boundary + 2}",
        frames,
        key,
        ".mp4",
        args,
        is_fade=True,
        pictures=2,
        mmap_threshold=ctx.mmap_threshold,
        stills=stills,
    )


# ---- audio ------------------------------------------------------------------------------------


def build_narration_track(narration: Narration, timeline: Timeline, out: Path) -> tuple[Path, np.ndarray]:
    """Every scene's WAV placed at its scene's first sample, silence elsewhere, exactly as long as
    the video (mono, 16-bit, SAMPLE_RATE)."""
    per_frame = SAMPLE_RATE / timeline.fps
    track = np.zeros(round(timeline.total_frames * per_frame), dtype=np.float32)
    for scene, start_frame in zip(narration.scenes, timeline.starts, strict=True):
        if scene.wav is None:
            continue
        samples, rate = read_wav(scene.wav)
        if samples.ndim > 1:
            samples = samples.mean(axis=1)
        if rate != SAMPLE_RATE:
            samples = resample(samples, rate, SAMPLE_RATE)
        at = round(start_frame * per_frame)
        piece = samples[: max(0, track.size - at)]
        track[at : at + piece.size] += piece
    np.clip(track, -1.0, 1.0, out=track)
    write_wav(out, track, SAMPLE_RATE)
    return out, track


@dataclass
class _AudioTrack:
    """The audio as one cached job per piece (audio_track.py), spliced once all are done."""

    pieces: list[audio_track.AudioPiece]
    jobs: list[SegmentJob]
    work: Path
    cache: SegmentCache

    @classmethod
    def plan(
        cls,
        *,
        plan: Plan,
        settings: RenderSettings,
        narration: Narration,
        timeline: Timeline,
        work: Path,
        cache: SegmentCache,
    ) -> _AudioTrack:
        """The narration laid on the timeline (written now), and a job per piece mixing it with the bed."""
        narration_wav, pcm = build_narration_track(narration, timeline, work / "narration.wav")
        total = pcm.size
        per_frame = SAMPLE_RATE / timeline.fps
        pieces = audio_track.plan_pieces([round(start * per_frame) for start in timeline.starts], total)
        bed = _MusicBed(plan.music, total, cache)
        codec = _mixed_codec(plan)
        jobs = []
        for piece in pieces:
            job = _audio_piece_job(piece, narration_wav, bed, settings.music_db, codec, _narration_codec(plan))
            job.frames = max(1, round((piece.end - piece.first) / per_frame) // 20)  # a nominal progress weight
            jobs.append(job)
        return cls(pieces, jobs, work, cache)

    def done(self) -> bool:
        return all(job.path is not None for job in self.jobs)

    def splice(self, suffix: str, out: Path) -> Path:
        """Preconditions: every piece is done (its two outputs are in the cache)."""
        paths = [self.cache.path_for(job.key, suffix) for job in self.jobs]
        return audio_track.splice(list(zip(self.pieces, paths, strict=True)), out)

    def spliced(self, run_tag: str) -> Path:
        """The mixed track as one ADTS stream, for the join."""
        return self.splice(".aac", self.work / f"audio.{run_tag}.aac")


class _MusicBed:
    """The plan's music bed for the whole video, made once (by the first piece that needs it, on
    a worker thread, so it overlaps the video segments) and kept in the segment cache: it is a
    pure function of kind, length and music.py, so pieces are keyed by those, not its bytes."""

    def __init__(self, kind: str, samples: int, cache: SegmentCache):
        self.kind, self.samples, self.cache = kind, samples, cache
        self.key = content_key(
            {"v": RENDERER_VERSION, "kind": "music", "music": [kind, file_digest(Path(music.__file__))], "samples": samples}
        )  # fmt: skip
        self._lock = threading.Lock()

    def path(self) -> Path | None:
        if self.kind == "none":
            return None
        with self._lock:
            hit = self.cache.lookup(self.key, ".wav")
            if hit:
                return hit
            temporary = self.cache.temporary_path(self.key, ".wav")
            try:
                made = music.render_music_bed(self.kind, self.samples / SAMPLE_RATE, temporary, SAMPLE_RATE)
                return self.cache.commit(made, self.key, ".wav") if made else None
            finally:
                temporary.unlink(missing_ok=True)


def _mixed_codec(plan: Plan) -> list[str]:
    if plan.mode == "proxy":
        return ["-c:a", "aac", "-b:a", "96k", *PROXY_AAC_ARGS]
    return ["-c:a", "aac", "-b:a", "192k"]


def _audio_piece_job(
    piece: audio_track.AudioPiece,
    narration_wav: Path,
    bed: _MusicBed,
    music_db: float,
    codec: list[str],
    narration_codec: list[str],
) -> SegmentJob:
    def make_args() -> list[str]:
        # Runs on a worker thread: the first piece to get here makes the bed.
        return audio_track.piece_mix_args(
            piece, narration_wav=narration_wav, bed=bed.path(), music_db=music_db, codec=codec
        )

    key = content_key(
        {
            "v": RENDERER_VERSION, "kind": "audio-piece", "mix_version": audio_track.MIX_VERSION,
            # Everything the piece is mixed from: its window of the narration, and of the bed
            # (which is a function of the whole video's length: a longer video remixes every piece).
            "narration": audio_track.span_digest(narration_wav, piece.mix_first, piece.mix_end),
            "span": [piece.mix_first, piece.encode_first, piece.first, piece.end, piece.encode_end, piece.mix_end],
            "last": piece.is_last,  # it keeps the encoder's flush
            "music": bed.key if bed.kind != "none" else "none",
            "music_db": music_db,
            "codec": codec, "narration_codec": narration_codec,
        }
    )  # fmt: skip
    # The narration-only piece is a second output of the same run.
    return SegmentJob(
        f"audio {piece.index + 1}", 0, key, ".aac", [], outputs=2, make_args=make_args,
        second_map=audio_track.NARRATION_OUTPUT_MAP,
    )  # fmt: skip


def _narration_output_args(codec: Sequence[str], source: str = "0:a") -> list[str]:
    return ["-map", source, *codec, "-map_metadata", "-1"]


# ---- running ----------------------------------------------------------------------------------


def _segment_timeout(job: SegmentJob) -> float:
    # Only a guard against a hung ffmpeg: generous even for 4K on a slow core.
    return 120.0 + job.frames * 1.0


# Only a guard against a hung ffmpeg: one frame, converted (a 4K pan's also scaled) in well under a second.
PREPARE_TIMEOUT_SEC = 120.0


def _prepare_still(still: PreparedStill, label: str, abort: threading.Event) -> None:
    """Write `still` unless it is there already (another segment's worker may be writing it now:
    then wait for it). A helper on another machine may write it at the same time; both write the
    same bytes and the last rename wins."""
    with still.lock:
        if still.path.exists():
            return
        still.path.parent.mkdir(parents=True, exist_ok=True)
        partial = still.path.with_name(f".{still.path.name}.{os.getpid()}.{threading.get_ident()}.partial")
        try:
            run_ffmpeg(
                ["-loglevel", "error", *still.args, str(partial)],
                is_canceled=abort.is_set,
                timeout=PREPARE_TIMEOUT_SEC,
                step="compose",
                what=f"{label} still",
            )
            os.replace(partial, still.path)
        finally:
            partial.unlink(missing_ok=True)


def _render_job(job: SegmentJob, cache: SegmentCache, abort: threading.Event, narration_codec: Sequence[str]) -> None:
    for still in job.stills:
        _prepare_still(still, job.label, abort)
    temporary = cache.temporary_path(job.key, job.suffix)
    second = cache.temporary_path(job.key, "-narration" + job.suffix) if job.outputs == 2 else None
    args = [*(job.make_args() if job.make_args else job.args), str(temporary)]
    if second is not None:
        args += [*_narration_output_args(narration_codec, job.second_map), str(second)]

    def on_frame(frames: int) -> None:
        job.done_frames = min(frames, job.frames)

    try:
        run_ffmpeg(
            ["-loglevel", "error", *args],
            is_canceled=abort.is_set,
            timeout=_segment_timeout(job),
            step="compose",
            what=f"{job.label} segment",
            on_frame=on_frame if job.frames else None,
            mmap_threshold=job.mmap_threshold,
        )
        if second is not None:
            cache.commit(second, job.key, "-narration" + job.suffix)
        job.path = cache.commit(temporary, job.key, job.suffix)
        job.done_frames = job.frames
    finally:
        for leftover in (temporary, second):
            if leftover is not None and leftover.exists():
                leftover.unlink()


def _run_jobs(
    jobs: list[SegmentJob],
    cache: SegmentCache,
    workers: int,
    callbacks: Callbacks,
    report: Callable[[], None],
    narration_codec: Sequence[str],
    on_done: Callable[[SegmentJob], None] = lambda job: None,
    in_playing_order: bool = False,
    share_from: Path | None = None,
) -> None:
    """Render `jobs` on `workers` threads, each driving one ffmpeg. Only this (the calling)
    thread talks to `callbacks` and calls `on_done`: is_canceled may touch the database, which
    worker threads must not. Preconditions: video `jobs` are in playing order. With `share_from`
    (the job's work dir), helpers on other workers may render the video jobs too (fan_out.py)."""
    if not jobs:
        return
    if share_from is not None:
        _run_shared_jobs(
            _render_order(jobs, in_playing_order), cache, workers, callbacks, report, narration_codec, on_done,
            share_from,
        )  # fmt: skip
        return
    abort = threading.Event()
    queue = _render_order(jobs, in_playing_order)
    running: list[SegmentJob] = []
    lock = threading.Lock()
    # Playing order may only be bent a step (a live stream waits for the next segment in line).
    lookahead = 2 if in_playing_order else len(queue)

    def render_next() -> SegmentJob:
        # Each task takes its job when a worker is free for it, not when it was submitted.
        with lock:
            job = _take_next(queue, running, lookahead)
            running.append(job)
        try:
            _render_job(job, cache, abort, narration_codec)
        finally:
            with lock:
                running.remove(job)
        return job

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="compose")
    try:
        pending: set[Future[SegmentJob]] = {pool.submit(render_next) for _ in range(len(queue))}
        while pending:
            done, pending = wait(pending, timeout=POLL_SEC, return_when=FIRST_COMPLETED)
            for future in done:
                on_done(future.result())  # re-raises the first failure; `finally` stops the others
            if callbacks.is_canceled():
                raise Canceled()
            report()
    finally:
        # Reached on success, failure, cancel and SystemExit (django-q's timeout) alike: every
        # worker sees `abort`, kills its ffmpeg within POLL_SEC and returns.
        abort.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _render_order(jobs: list[SegmentJob], in_playing_order: bool) -> list[SegmentJob]:
    # The audio first (its narration is a preview the creator can hear early), then longest
    # first: the short fades fill the gaps at the end, so the workers finish together. A live
    # stream plays the segments in order, so then they render in order: the first scene
    # plays as soon as it is done, and each next one is ready about as soon as it is due.
    position = {id(job): index for index, job in enumerate(jobs)}
    return sorted(jobs, key=lambda job: (job.outputs != 2, position[id(job)] if in_playing_order else -job.frames))


def _take_next(queue: list[SegmentJob], running: Sequence[SegmentJob], lookahead: int) -> SegmentJob:
    """Pop the job to start now: the queue's first, unless it holds two pictures while a running
    job does too and one of the next `lookahead` jobs holds fewer, which then goes first.

    A crossfade's ffmpeg holds both scenes' stills (~50 MB more at 1080p than one scene's): two
    of them side by side made the compose step's peak memory. Precondition: `queue` is not empty.
    """
    if queue[0].pictures > 1 and any(job.pictures > 1 for job in running):
        for index, job in enumerate(queue[:lookahead]):
            if job.pictures <= 1:
                return queue.pop(index)
    return queue.pop(0)


def _in_cache(cache: SegmentCache, job: SegmentJob) -> Path | None:
    """The job's cache entry when it (and its second output) exists; no mtime refresh."""
    path = cache.path_for(job.key, job.suffix)
    wanted = [path] + ([cache.path_for(job.key, "-narration" + job.suffix)] if job.outputs == 2 else [])
    try:
        return path if all(entry.stat().st_size > 0 for entry in wanted) else None
    except FileNotFoundError:
        return None


def _cache_entry(job: SegmentJob) -> tuple[str, str]:
    return job.key, job.suffix


def _run_shared_jobs(
    ordered: list[SegmentJob],
    cache: SegmentCache,
    workers: int,
    callbacks: Callbacks,
    report: Callable[[], None],
    narration_codec: Sequence[str],
    on_done: Callable[[SegmentJob], None],
    work_dir: Path,
) -> None:
    """_run_jobs with helpers: the video jobs go into a manifest in the shared cache, helpers are
    asked for, and every job is rendered by whoever claims it first; returns when all are cached."""
    holder = fan_out.holder_name()
    shared = [
        fan_out.SharedSegment(
            job.label,
            job.frames,
            job.key,
            job.suffix,
            job.args,
            job.mmap_threshold,
            tuple((str(still.path), tuple(still.args)) for still in job.stills),
        )  # fmt: skip
        for job in ordered
        if job.make_args is None
    ]
    manifest = fan_out.write_manifest(cache.root.parent, fan_out.Manifest(holder, str(work_dir), shared))
    helped = 0

    def finished(job: SegmentJob, rendered_here: bool) -> None:
        nonlocal helped
        if not rendered_here:  # a helper rendered it
            helped += 1
            job.path, job.done_frames = cache.path_for(job.key, job.suffix), job.frames
        on_done(job)

    try:
        callbacks.fan_out(manifest.name)
        fan_out.render_claimed(
            ordered,
            key_of=_cache_entry,
            present=lambda job: _in_cache(cache, job),
            render=lambda job, abort: _render_job(job, cache, abort, narration_codec),
            claims=fan_out.Claims(cache.root.parent, holder),
            threads=workers,
            is_canceled=callbacks.is_canceled,
            on_finished=finished,
            report=report,
        )
    finally:
        manifest.unlink(missing_ok=True)
    callbacks.log("info", f"compose: {helped} of {len(shared)} video segments rendered by other workers")


def help_render_segments(manifest_name: str, cache_dir: Path, threads: int, is_canceled: Callable[[], bool]) -> int:
    """A helper's share of another worker's job: render, on `threads` threads, the manifest's
    segments nobody has claimed, until none is left. Returns how many it rendered; 0 when the
    manifest is gone (the job is done) or its inputs are not reachable from here. A failure
    stops the helper only: the owner renders that segment itself."""
    manifest = fan_out.read_manifest(cache_dir, manifest_name)
    if manifest is None or not Path(manifest.work_dir).is_dir():
        return 0
    cache = SegmentCache(cache_dir)
    stills: dict[str, PreparedStill] = {}  # one each, shared by the segments that read it
    for segment in manifest.segments:
        for path, args in segment.stills:
            if not Path(os.path.normpath(path)).is_relative_to(os.path.normpath(manifest.work_dir)):
                return 0  # a still is written only inside the job's own work directory
            stills.setdefault(path, PreparedStill(Path(path), list(args)))
    jobs = [
        SegmentJob(
            segment.label,
            segment.frames,
            segment.key,
            segment.suffix,
            segment.args,
            mmap_threshold=segment.mmap_threshold,
            stills=[stills[path] for path, _ in segment.stills],
        )
        for segment in manifest.segments
    ]
    rendered = 0

    def finished(job: SegmentJob, rendered_here: bool) -> None:
        nonlocal rendered
        rendered += rendered_here

    try:
        fan_out.render_claimed(
            jobs,
            key_of=_cache_entry,
            present=lambda job: _in_cache(cache, job),
            render=lambda job, abort: _render_job(job, cache, abort, ()),
            claims=fan_out.Claims(cache_dir, fan_out.holder_name()),
            threads=threads,
            is_canceled=is_canceled,
            on_finished=finished,
            until_all_present=False,
            give_up_on_error=True,
        )
    except Canceled:
        pass  # the job was canceled or finished, or this worker is stopping: its ffmpeg is stopped
    return rendered


def join_command(list_file: Path, audio: Path, out: Path) -> list[str]:
    """Concat demuxer over the segments, and the spliced ADTS audio track (its first packet the
    encoder's priming), both stream-copied (no re-encode)."""
    return [
        "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(list_file),
        *audio_track.priming_offset_args(), "-i", str(audio),
        "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-movflags", "+faststart", "-map_metadata", "-1",
        str(out),
    ]  # fmt: skip


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def compose_video(
    plan: Plan,
    scene_images: list[Path],
    narration: Narration,
    scene_cues: list[list[Cue]],
    settings: RenderSettings,
    callbacks: Callbacks,
    clips: Sequence[Path | None] | None = None,
    motions: Sequence[Motion | None] | None = None,
) -> Composed:
    """Render (or reuse) every segment, mix the audio and join them into work_dir/video.mp4.

    Preconditions: one image, one SceneNarration and one cue list per scene, in scene order;
    scene durations are whole frames at plan.fps; `clips`, when given, holds one entry per scene:
    a readable video file the scene plays instead of its still, or None; `motions`, when given,
    one entry per scene: the still's own Ken Burns motion (an uploaded photo's), or None for the
    usual cycle (`motion_for_scene`). Raises Canceled or RenderError(step="compose").
    """
    count = len(plan.scenes)
    clips = list(clips) if clips is not None else [None] * count
    motions = list(motions) if motions is not None else [None] * count
    if not (len(scene_images) == len(narration.scenes) == len(scene_cues) == len(clips) == len(motions) == count):
        raise ValueError(
            "compose needs one image, one narration, one cue list, one clip (or None) and one motion (or None) "
            "per scene"
        )
    work = settings.work_dir / "compose"
    # Files named per run: a re-delivered task may compose the same job at the same time, and
    # ffmpeg must never read a subtitle script that another run is rewriting.
    run_tag = f"{os.getpid()}.{threading.get_ident()}"
    subs_dir = work / f"subtitles.{run_tag}"
    subs_dir.mkdir(parents=True, exist_ok=True)
    stills_dir = work / f"stills.{run_tag}"  # made when a segment first needs a prepared still
    try:
        return _compose(
            plan=plan, scene_images=scene_images, clips=clips, motions=motions, narration=narration, scene_cues=scene_cues,
            settings=settings, callbacks=callbacks, subs_dir=subs_dir, stills_dir=stills_dir, run_tag=run_tag,
        )  # fmt: skip
    finally:
        shutil.rmtree(subs_dir, ignore_errors=True)
        shutil.rmtree(stills_dir, ignore_errors=True)


def _compose(
    *,
    plan: Plan,
    scene_images: list[Path],
    clips: list[Path | None],
    motions: list[Motion | None],
    narration: Narration,
    scene_cues: list[list[Cue]],
    settings: RenderSettings,
    callbacks: Callbacks,
    subs_dir: Path,
    stills_dir: Path,
    run_tag: str,
) -> Composed:
    """compose_video's steps, in order: prepare every segment job, reuse what the cache has,
    render the rest in parallel, join. `subs_dir` exists and belongs to this run, as
    `stills_dir` (made when needed) does."""
    started = time.monotonic()
    work = settings.work_dir / "compose"
    cache = SegmentCache(settings.cache_dir)
    frame = plan.frame_size(settings.proxy_short_side)
    encoder = pick_encoder(settings.encoder)
    workers = max(1, settings.parallelism)
    ctx = _encoding_context(
        plan=plan, frame=frame, encoder=encoder, workers=workers, subs_dir=subs_dir, work=work, stills_dir=stills_dir
    )
    timeline = build_timeline([scene.duration_sec for scene in narration.scenes], plan.fps)
    cues = global_cues(scene_cues, timeline)
    pictures = _scene_pictures(scene_images=scene_images, clips=clips, motions=motions, frame=frame)
    video_jobs = _video_jobs(ctx=ctx, pictures=pictures, timeline=timeline, cues=cues)
    audio = _AudioTrack.plan(
        plan=plan, settings=settings, narration=narration, timeline=timeline, work=work, cache=cache
    )
    jobs = [*video_jobs, *audio.jobs]
    prepared = time.monotonic()

    missing = _take_cached(jobs=jobs, cache=cache)
    progress = _ComposeProgress(jobs=jobs, callbacks=callbacks)
    narration_audio = settings.work_dir / "narration.m4a"
    preview = _NarrationPreview(audio=audio, path=narration_audio, callbacks=callbacks, run_tag=run_tag)
    live = _LivePublisher.start(video_jobs=video_jobs, plan=plan, work=work, cache=cache, callbacks=callbacks) if (
        settings.live_stream
    ) else None  # fmt: skip
    try:
        progress.report()
        preview.publish_when_done()
        if live is not None:
            for job in video_jobs:
                if job.cached:
                    live.segment_done(job)

        stills_left = Counter(still.path for job in missing for still in job.stills)

        def on_done(job: SegmentJob) -> None:
            preview.publish_when_done()
            if live is not None:
                live.segment_done(job)
            # A prepared still goes once the last segment that reads it is done: at 4K a still is
            # ~40 MB, and a run then holds the few it still needs, not all of them.
            for still in job.stills:
                stills_left[still.path] -= 1
                if not stills_left[still.path]:
                    still.path.unlink(missing_ok=True)

        def report() -> None:
            progress.report()
            if live is not None:
                live.publish_ready()

        share = settings.work_dir if settings.fan_out and sum(1 for job in missing if not job.make_args) > 1 else None
        _run_jobs(
            missing, cache, workers, callbacks, report, _narration_codec(plan), on_done=on_done,
            in_playing_order=live is not None, share_from=share,
        )  # fmt: skip
        rendered = time.monotonic()
        callbacks.check_canceled()

        video = _join_segments(
            video_jobs=video_jobs, audio=audio.spliced(run_tag), timeline=timeline, settings=settings, callbacks=callbacks,
            run_tag=run_tag,
        )  # fmt: skip
        if live is not None:
            live.publish_rest()
    finally:
        if live is not None:
            live.stream.stop()
    callbacks.progress("compose", 1.0)
    finished = time.monotonic()
    reused = sum(1 for job in jobs if job.cached)
    callbacks.log(
        "info",
        f"compose: {len(jobs) - reused} of {len(jobs)} pieces rendered (video segments and audio), "
        f"{reused} reused from the cache; encoder {encoder}",
    )
    return Composed(
        video=video,
        narration_audio=narration_audio,
        encoder=encoder,
        segments_rendered=sum(1 for job in video_jobs if not job.cached),
        segments_cached=sum(1 for job in video_jobs if job.cached),
        pieces_reused=reused,
        pieces_total=len(jobs),
        timings={
            "prepare": round(prepared - started, 3),
            "segments": round(rendered - prepared, 3),
            "join": round(finished - rendered, 3),
        },
    )


def _narration_codec(plan: Plan) -> list[str]:
    """The narration-only track's AAC settings (the job page's early preview)."""
    if plan.mode == "proxy":
        return ["-c:a", "aac", "-b:a", "96k", *PROXY_AAC_ARGS]
    return ["-c:a", "aac", "-b:a", "128k"]


def _encoding_context(
    *,
    plan: Plan,
    frame: tuple[int, int],
    encoder: str,
    workers: int,
    subs_dir: Path,
    work: Path,
    stills_dir: Path | None = None,
) -> _Context:
    """What every video segment shares: frame, encoder settings, fonts, subtitle folder,
    watermark, and (a final's, with `stills_dir`) where its prepared stills go."""
    # One ffmpeg per worker, each with an even share of the cores (x264 slices above one
    # thread): separate processes never wait for each other; each costs ~250 MB at 1080p.
    threads = max(1, round(len(os.sched_getaffinity(0)) / workers))
    video_args = encoder_args(encoder, plan.mode, threads)
    mark, mark_xy = _watermark(plan=plan, frame=frame, work=work)
    mark_size = (0, 0)
    if mark is not None:
        with Image.open(mark) as image:
            mark_size = image.size
    return _Context(
        frame=frame, fps=plan.fps, video_args=video_args,
        video_key=video_args, fonts_dir=fonts.fonts_dir(),  # slices per frame follow the thread count
        font_digest=file_digest(fonts.devanagari_font()), subs_dir=subs_dir, mark=mark, mark_xy=mark_xy,
        mark_digest=file_digest(mark) if mark else "", mark_size=mark_size, captions=plan.captions,
        chunk_sec=PROXY_CHUNK_SEC if plan.mode == "proxy" else CHUNK_SEC, preview=plan.mode == "proxy",
        inline_fades=INLINE_FADES, filter_threads=threads, mmap_threshold=segment_mmap_threshold(frame),
        stills_dir=stills_dir if plan.mode != "proxy" and PREPARED_STILLS else None,
    )  # fmt: skip


def segment_mmap_threshold(frame: tuple[int, int]) -> int:
    """glibc's mmap threshold for a video segment's ffmpeg, in bytes: 2.5 bytes a frame pixel.

    A 4:2:0 frame of a zoom's largest scaled size (at most 1.14² × 1.5 bytes a frame pixel)
    stays under it, so the frames that change size every frame keep reusing the heap (mapping
    each costs ~1.5 ms of page faults at 1080p). 4:4:4 frames (3 bytes a pixel and more: the
    stills as prepared, a crossfade's two scenes) are mapped on their own and given back when
    freed, so a crossfade chunk's ffmpeg leaves its fade's memory behind once the fade is over.
    """
    return int(2.5 * frame[0] * frame[1])


def _watermark(*, plan: Plan, frame: tuple[int, int], work: Path) -> tuple[Path | None, tuple[int, int]]:
    """The static overlay over the moving picture and where it sits; (None, (0, 0)) without one.

    It is the style's frame decoration (a gilded frame, an ornamental border) at the exact frame
    size, with the plan's watermark drawn onto it, so Ken Burns never moves or crops the border;
    with no decoration it is the watermark alone, in its corner.
    """
    decoration = frame_decoration(plan.style, frame)
    mark: Path | None = None
    if plan.watermark != "none":
        mark = watermark.render_watermark(str(plan.extra.get("watermark_text", "Bhakti")), frame[1], work / "mark.png")
    if decoration is None:
        if mark is None:
            return None, (0, 0)
        with Image.open(mark) as image:
            return mark, watermark.watermark_position(plan.watermark, frame, image.size)
    if mark is not None:
        with Image.open(mark) as image:
            corner = watermark.watermark_position(plan.watermark, frame, image.size)
            decoration.alpha_composite(image.convert("RGBA"), corner)
    overlay = work / "overlay.png"
    overlay.parent.mkdir(parents=True, exist_ok=True)
    partial = overlay.with_name(f".{overlay.name}.{os.getpid()}.part")
    decoration.save(partial, "PNG")
    os.replace(partial, overlay)
    return overlay, (0, 0)


def _scene_pictures(
    *, scene_images: list[Path], clips: list[Path | None], motions: list[Motion | None], frame: tuple[int, int]
) -> list[_Picture]:
    """What each scene shows: its stock clip when it has one, else its still with its motion."""
    pictures = []
    for index, (still, clip, motion) in enumerate(zip(scene_images, clips, motions, strict=True)):
        moving = motion or motion_for_scene(index)
        if clip is not None:
            pictures.append(_Picture(index, clip, frame, file_digest(clip), moving, is_clip=True))
            continue
        with Image.open(still) as image:
            pictures.append(_Picture(index, still, image.size, file_digest(still), moving))
    return pictures


def _video_jobs(*, ctx: _Context, pictures: list[_Picture], timeline: Timeline, cues: list[Cue]) -> list[SegmentJob]:
    """Every video segment in playing order: each scene's chunks, with the crossfade before it
    (a segment of its own, or inside the scene's first segment with ctx.inline_fades)."""
    jobs: list[SegmentJob] = []
    for index in range(len(pictures)):
        if index > 0 and not ctx.inline_fades and (job := _fade_job(ctx, index - 1, pictures, timeline, cues)):
            jobs.append(job)
        jobs += _scene_jobs(ctx, pictures, index, timeline, cues)
    return jobs


def _take_cached(*, jobs: list[SegmentJob], cache: SegmentCache) -> list[SegmentJob]:
    """Mark the jobs whose output the cache holds as done; return the rest, still to render.
    The audio counts as cached only with its narration-only track too."""
    missing: list[SegmentJob] = []
    for job in jobs:
        hit = cache.lookup(job.key, job.suffix)
        if hit and job.outputs == 2 and not cache.lookup(job.key, "-narration" + job.suffix):
            hit = None
        if hit:
            job.path, job.cached, job.done_frames = hit, True, job.frames
        else:
            missing.append(job)
    return missing


class _ComposeProgress:
    """Compose progress by frames done over all jobs, the join keeping the last MUX_UNITS; it
    reports steps of half a percent or more so the job's row is not rewritten for every frame."""

    def __init__(self, *, jobs: list[SegmentJob], callbacks: Callbacks):
        self.jobs = jobs
        self.callbacks = callbacks
        self.total_units = sum(job.frames for job in jobs) * (1 + MUX_UNITS)
        self.last_reported = -1.0

    def report(self) -> None:
        fraction = sum(job.done_frames for job in self.jobs) / self.total_units
        if fraction - self.last_reported >= 0.005:
            self.last_reported = fraction
            self.callbacks.progress("compose", fraction)


@dataclass(frozen=True, eq=False)
class _LivePublisher:
    """The compose thread's side of the live stream: tells it which segments are done and
    hands the pieces it muxed to `callbacks.live_piece`, in playing order."""

    stream: LiveStream
    # A video segment's cache key -> its places in playing order (two scenes may be identical).
    places: dict[str, list[int]]
    callbacks: Callbacks

    @classmethod
    def start(
        cls, *, video_jobs: list[SegmentJob], plan: Plan, work: Path, cache: SegmentCache, callbacks: Callbacks
    ) -> _LivePublisher:
        stream = LiveStream(
            segments=[(job.key, job.frames, job.is_fade) for job in video_jobs], fps=plan.fps,
            narration_wav=work / "narration.wav", cache=cache,
        )  # fmt: skip
        places: dict[str, list[int]] = {}
        for index, job in enumerate(video_jobs):
            places.setdefault(job.key, []).append(index)
        return cls(stream, places, callbacks)

    def segment_done(self, job: SegmentJob) -> None:
        if job.path is not None:
            for index in self.places.get(job.key, []):
                self.stream.segment_done(index, job.path)

    def publish_ready(self) -> None:
        for piece in self.stream.take_ready():
            self.callbacks.live_piece(piece.index, piece.path, piece.duration_sec)

    def publish_rest(self) -> None:
        for piece in self.stream.wait_all(self.callbacks.is_canceled):
            self.callbacks.live_piece(piece.index, piece.path, piece.duration_sec)


@dataclass(frozen=True, eq=False)
class _NarrationPreview:
    """The narration-only track spliced into `path` (an .m4a) as soon as every audio piece is
    done, for the job page's preview. The audio pieces render first, so that is early."""

    audio: _AudioTrack
    path: Path
    callbacks: Callbacks
    run_tag: str
    published: list[bool] = field(default_factory=list)

    def publish_when_done(self) -> None:
        if self.published or not self.audio.done():
            return
        self.published.append(True)
        spliced = self.audio.splice("-narration.aac", self.audio.work / f"narration.{self.run_tag}.aac")
        partial = self.path.with_name(f".{self.path.name}.{self.run_tag}.partial.m4a")
        try:
            run_ffmpeg(
                [
                    "-loglevel", "error", *audio_track.priming_offset_args(), "-i", str(spliced), "-map", "0:a",
                    "-c", "copy", "-map_metadata", "-1", str(partial),
                ],
                is_canceled=self.callbacks.is_canceled, what="narration track",
            )  # fmt: skip
            os.replace(partial, self.path)
        finally:
            partial.unlink(missing_ok=True)
            spliced.unlink(missing_ok=True)
        self.callbacks.produced("narration", [self.path])


def _join_segments(
    *,
    video_jobs: list[SegmentJob],
    audio: Path,
    timeline: Timeline,
    settings: RenderSettings,
    callbacks: Callbacks,
    run_tag: str,
) -> Path:
    """Stream-copy the rendered segments and the audio into work_dir/video.mp4, checking that it
    lasts as long as the timeline. Preconditions: every job has its `path`; `audio` is the spliced
    ADTS track (removed when joined)."""
    work = settings.work_dir / "compose"
    list_file = work / "segments.txt"
    _write_atomically(list_file, "".join(concat_list_line(job.path) + "\n" for job in video_jobs if job.path).encode())
    video = settings.work_dir / "video.mp4"
    partial = work / f"video.{run_tag}.partial.mp4"
    try:
        run_ffmpeg(join_command(list_file, audio, partial), is_canceled=callbacks.is_canceled, what="join")
        joined = probe(partial).duration_sec
        expected = timeline.total_frames / timeline.fps
        if abs(joined - expected) > 0.1:
            raise RenderError(
                f"The joined video lasts {joined:.2f} s instead of {expected:.2f} s. Hint: retry the job; "
                "if it happens again, clear the segment cache.",
                step="compose",
            )
        os.replace(partial, video)
    finally:
        partial.unlink(missing_ok=True)
        audio.unlink(missing_ok=True)
    return video
