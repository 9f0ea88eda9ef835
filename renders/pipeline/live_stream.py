"""The live preview: finished video segments, in playing order, as the pieces of an HLS stream.
No Django here.

While compose renders, each video segment (a whole scene in a proxy; a chunk of a scene in a
final), with the crossfade into it, becomes one MPEG-TS piece as soon as it and every segment
before it are done: the segments' H.264 is stream-copied (it is already encoded), and that span of the
narration track (narration.wav, written before any segment) is encoded to AAC beside it. Each
piece's timestamps are offset to its place on the timeline, so the pieces play as one stream.
Muxing a piece costs one short ffmpeg (~0.1 s: no video encode) on a thread of its own; pieces
are kept in the segment cache like the segments, keyed by their own segments and their own span
of the narration (not the whole track), so a rerun or an edit muxes only the pieces it changed.
The caller publishes each piece (the job page's HLS playlist lists them); the finished MP4,
joined from the same segments, stays the deliverable.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from renders.pipeline.audio_track import span_digest
from renders.pipeline.context import SAMPLE_RATE, Canceled
from renders.pipeline.ffmpeg import concat_list_line, run_ffmpeg
from renders.pipeline.segment_cache import SegmentCache, content_key

# Bump when the muxing recipe changes without showing up in a piece's key.
LIVE_VERSION = "2"  # 2: keyed by the piece's own span of the narration (was the whole track's digest)
SUFFIX = ".ts"
# The pieces' narration: a preview of a voice, so mono AAC at 24 kHz, 48 kb/s, with the fast coder.
# Measured on a 13.5 s scene: ~0.08 s of CPU against ~0.25 s at the proxy's 48 kHz 96 kb/s (the
# coder's search grows with the bitrate): the whole live stream then costs ~1% of a proxy job.
LIVE_AUDIO_ARGS = ("-ac", "1", "-ar", "24000", "-c:a", "aac", "-b:a", "48k", "-aac_coder", "fast")


@dataclass(frozen=True)
class LivePiece:
    """One piece of the stream, the `index`-th in playing order, with its narration."""

    index: int
    path: Path
    duration_sec: float


@dataclass(frozen=True)
class _Planned:
    index: int
    segments: tuple[int, ...]  # the video segments it holds, by their place in playing order
    video_keys: tuple[str, ...]
    first_frame: int
    frames: int


def plan_pieces(segments: Sequence[tuple[str, int, bool]]) -> list[_Planned]:
    """Group the video segments (cache key, frames, is a crossfade), in playing order, into pieces:
    a crossfade rides with the segment after it, so a piece is one scene segment (a proxy's whole
    scene, a final's chunk) with the fade into it, and one ffmpeg start fewer per scene."""
    planned: list[_Planned] = []
    held: list[int] = []
    at = first = 0
    for index, (_key, frames, is_fade) in enumerate(segments):
        held.append(index)
        at += frames
        if not is_fade or index == len(segments) - 1:
            keys = tuple(segments[place][0] for place in held)
            planned.append(_Planned(len(planned), tuple(held), keys, first, at - first))
            held, first = [], at
    return planned


class LiveStream:
    """Muxes segments into pieces in playing order on its own thread.

    The calling (compose) thread says which segments are done (`segment_done`) and collects the
    pieces ready so far (`take_ready`); it alone publishes them, so the worker thread never
    touches the caller's callbacks. Preconditions: `segments` lists every video segment in
    playing order (cache key, frames, whether it is a crossfade); `narration_wav` is the whole
    narration track (mono, SAMPLE_RATE), as long as the video.
    """

    def __init__(
        self,
        *,
        segments: Sequence[tuple[str, int, bool]],
        fps: int,
        narration_wav: Path,
        cache: SegmentCache,
        audio_codec: Sequence[str] = LIVE_AUDIO_ARGS,
    ):
        self.fps = fps
        self.narration_wav = narration_wav
        self.cache = cache
        self.audio_codec = list(audio_codec)
        self.planned = plan_pieces(segments)
        self._paths: dict[int, Path] = {}
        self._ready: queue.SimpleQueue[LivePiece | BaseException] = queue.SimpleQueue()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._mux_in_order, name="live-stream", daemon=True)
        self._thread.start()

    def segment_done(self, index: int, path: Path) -> None:
        """The video segment at `index` (playing order) is rendered, or found in the cache, at `path`."""
        with self._wake:
            self._paths[index] = path
            self._wake.notify()

    def take_ready(self) -> list[LivePiece]:
        """Pieces muxed since the last call, in playing order. Re-raises a muxing failure."""
        pieces: list[LivePiece] = []
        while True:
            try:
                item = self._ready.get_nowait()
            except queue.Empty:
                return pieces
            if isinstance(item, BaseException):
                raise item
            pieces.append(item)

    def wait_all(self, is_canceled: Callable[[], bool]) -> list[LivePiece]:
        """Every piece not taken yet, once all are muxed. Preconditions: every segment is done."""
        pieces: list[LivePiece] = []
        while self._thread.is_alive():
            if is_canceled():
                raise Canceled()
            self._thread.join(timeout=0.2)
            pieces += self.take_ready()
        return pieces + self.take_ready()

    def stop(self) -> None:
        """End the muxing thread (at once after a cancel or failure; it kills its ffmpeg)."""
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join()

    def _mux_in_order(self) -> None:
        try:
            for planned in self.planned:
                with self._wake:
                    while not self._stopped and any(place not in self._paths for place in planned.segments):
                        self._wake.wait()
                    if self._stopped:
                        return
                    videos = [self._paths[place] for place in planned.segments]
                self._ready.put(self._piece(planned, videos))
        except Canceled:
            return
        except BaseException as error:  # noqa: BLE001 - handed to the compose thread, which raises it
            self._ready.put(error)

    def _piece(self, planned: _Planned, videos: list[Path]) -> LivePiece:
        per_frame = SAMPLE_RATE / self.fps
        first_sample = round(planned.first_frame * per_frame)
        end_sample = round((planned.first_frame + planned.frames) * per_frame)
        key = content_key(
            {
                "v": LIVE_VERSION, "kind": "live", "video": list(planned.video_keys),
                "narration": span_digest(self.narration_wav, first_sample, end_sample),
                "samples": [first_sample, end_sample],
                "offset": planned.first_frame, "fps": self.fps, "audio": self.audio_codec,
            }
        )  # fmt: skip
        duration = planned.frames / self.fps
        cached = self.cache.lookup(key, SUFFIX)
        if cached:
            return LivePiece(planned.index, cached, duration)
        temporary = self.cache.temporary_path(key, SUFFIX)
        listing = temporary.with_suffix(".txt")
        try:
            listing.write_text("".join(concat_list_line(video) + "\n" for video in videos))
            run_ffmpeg(
                live_piece_args(
                    video_list=listing,
                    narration_wav=self.narration_wav,
                    first_sample=first_sample,
                    end_sample=end_sample,
                    offset_sec=planned.first_frame / self.fps,
                    audio_codec=self.audio_codec,
                    out=temporary,
                ),  # fmt: skip
                is_canceled=lambda: self._stopped,
                timeout=60.0 + duration,
                what=f"live piece {planned.index + 1}",
            )
            return LivePiece(planned.index, self.cache.commit(temporary, key, SUFFIX), duration)
        finally:
            temporary.unlink(missing_ok=True)
            listing.unlink(missing_ok=True)


def live_piece_args(
    *,
    video_list: Path,
    narration_wav: Path,
    first_sample: int,
    end_sample: int,
    offset_sec: float,
    audio_codec: Sequence[str],
    out: Path,
) -> list[str]:
    """ffmpeg arguments: the listed segments' video as is (concat demuxer, as the final join),
    samples [first, end) of the narration as AAC,
    in MPEG-TS, timestamps starting `offset_sec` into the stream (plus the muxer's usual delay,
    the same for every piece)."""
    return [
        "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(video_list), "-i", str(narration_wav),
        "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
        "-af", f"atrim=start_sample={first_sample}:end_sample={end_sample},asetpts=PTS-STARTPTS",
        *audio_codec, "-output_ts_offset", f"{offset_sec:.6f}",
        # The AAC's priming starts the audio before 0 in the first piece; shifting it (ffmpeg's
        # default) would start that piece's video late and overlap the next one.
        "-avoid_negative_ts", "disabled", "-map_metadata", "-1", "-f", "mpegts", str(out),
    ]  # fmt: skip
