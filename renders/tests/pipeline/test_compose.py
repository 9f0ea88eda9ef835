"""Compose against synthetic inputs: gradient stills, sine-wave narration, hand-made cues.

Tiny on purpose (256x144 proxy frames, scenes of about a second): each compose takes ~1 s.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from renders.pipeline import compose
from renders.pipeline.audio import write_wav
from renders.pipeline.compose import build_timeline, compose_video, cues_in_window, global_cues, join_command
from renders.pipeline.context import SAMPLE_RATE, Callbacks, Canceled, Cue, Narration, RenderError, RenderSettings
from renders.pipeline.ffmpeg import ffmpeg_exe, run_ffmpeg, running_processes
from renders.pipeline.ken_burns import MOTIONS, Motion, motion_filters, motion_for_scene, photo_motion, window_at
from renders.pipeline.media_probe import count_frames, probe
from renders.pipeline.plan import parse_plan
from renders.pipeline.segment_cache import SegmentCache
from renders.tests.pipeline.test_ffmpeg import _children_named_ffmpeg

FPS = 30


class Inputs:
    """A plan and everything compose needs for it, built from numpy and Pillow."""

    def __init__(
        self, root: Path, durations: list[float], *, music: str = "none", watermark: str = "br", fps: int = FPS
    ):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.plan = parse_plan(
            {
                "title": "Synthetic",
                "mode": "proxy",
                "music": music,
                "watermark": watermark,
                "fps": fps,
                "scenes": [
                    {"image_prompt": f"scene {i}", "narration": "words", "duration_sec": max(1, d)}
                    for i, d in enumerate(durations)
                ],
            }
        )
        self.settings = RenderSettings(work_dir=root / "work", cache_dir=root / "cache", proxy_short_side=144)
        width, height = self.plan.frame_size(144)
        self.still_size = (2 * round(width * 1.25 / 2), 2 * round(height * 1.25 / 2))
        self.durations = durations
        self.images = [self.paint(i) for i in range(len(durations))]
        self.cues = [[Cue(0.1, d - 0.1, f"Scene {i} says something")] for i, d in enumerate(durations)]
        self.wavs: list[Path | None] = [self.tone(i, 0.6) for i in range(len(durations))]

    def paint(self, index: int, shade: int = 0) -> Path:
        width, height = self.still_size
        y, x = np.mgrid[0:height, 0:width]
        pixels = np.dstack([x * 255 // width, y * 255 // height, np.full_like(x, (70 * index + shade) % 256)]).astype(
            np.uint8
        )
        path = self.root / f"still_{index}_{shade}.jpg"
        Image.fromarray(pixels).save(path, quality=90)
        return path

    def tone(self, index: int, seconds: float) -> Path:
        t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        samples = (0.3 * np.sin(2 * math.pi * (300 + 80 * index) * t)).astype(np.float32)
        return write_wav(self.root / f"voice_{index}_{seconds}.wav", samples, SAMPLE_RATE)

    def narration(self) -> Narration:
        from renders.pipeline.context import SceneNarration

        return Narration(
            scenes=tuple(
                SceneNarration(index=i, wav=wav, speech_sec=0.6, duration_sec=d, sentences=(Cue(0.1, 0.7, "words"),))
                for i, (wav, d) in enumerate(zip(self.wavs, self.durations, strict=True))
            )
        )

    def compose(
        self, callbacks: Callbacks | None = None, motions: list[Motion | None] | None = None
    ) -> compose.Composed:
        return compose_video(
            self.plan,
            self.images,
            self.narration(),
            self.cues,
            self.settings,
            callbacks or Callbacks(),
            motions=motions,
        )


def _packet_hashes(path: Path) -> list[str]:
    """Hashes of the video stream's packets, as stored (no decoding), in order."""
    out = path.with_suffix(".framemd5")
    run_ffmpeg(
        ["-loglevel", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framemd5", str(out)],
        is_canceled=lambda: False,
    )
    return [line.rsplit(",", 1)[1].strip() for line in out.read_text().splitlines() if not line.startswith("#")]


def test_it_splits_the_timeline_into_frames_that_add_up():
    timeline = build_timeline([1.5, 2.0, 1.0], FPS)
    assert timeline.scene_frames == (45, 60, 30) and timeline.total_frames == 135
    # A 0.5 s crossfade is 15 frames: 8 of the outgoing scene, 7 of the incoming one.
    assert timeline.fade_before == (8, 8) and timeline.fade_after == (7, 7)
    pieces = [timeline.scene_range(0), timeline.transition_range(0), timeline.scene_range(1)]
    pieces += [timeline.transition_range(1), timeline.scene_range(2)]
    assert [piece[0] for piece in pieces[1:]] == [piece[1] for piece in pieces[:-1]]
    assert pieces[0][0] == 0 and pieces[-1][1] == 135
    assert timeline.visible_range(1) == (45 - 8, 105 + 7)


def test_it_splits_an_odd_crossfade_between_the_two_scenes_at_25_fps():
    timeline = build_timeline([2.0, 2.0], 25)
    # 0.5 s at 25 fps rounds to 12 frames: 6 of each scene.
    assert timeline.fade_before == (6,) and timeline.fade_after == (6,)
    assert timeline.transition_range(0) == (44, 56)


def test_it_keeps_a_frame_of_each_short_scene_outside_its_fades():
    timeline = build_timeline([0.1, 0.1, 0.1], FPS)  # 3 frames each
    for index in range(3):
        first, end = timeline.scene_range(index)
        assert end - first >= 1


def test_it_splits_long_scenes_into_chunks_of_at_most_three_seconds():
    assert compose.scene_chunks(0, 90, FPS) == [(0, 90)]
    assert compose.scene_chunks(8, 173, FPS) == [(8, 90), (90, 173)]
    chunks = compose.scene_chunks(7, 600, FPS)
    assert len(chunks) == 7 and chunks[0][0] == 7 and chunks[-1][1] == 600
    assert all(high - low <= 90 for low, high in chunks)
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:], strict=False))


def test_a_fade_shares_its_scenes_chunks_instead_of_lengthening_the_first():
    # 165 own frames after a 15-frame fade: two chunks of 90, the fade inside the first (before,
    # the fade's frames were added to the first chunk: 98 + 82 frames).
    assert compose.scene_chunks(23, 188, FPS, lead=15) == [(8, 98), (98, 188)]
    # As many chunks as the scene's own frames need: a fade never adds one.
    assert compose.scene_chunks(15, 105, FPS, lead=15) == [(0, 105)]
    # The fade is never cut: a first chunk too short to hold it takes the next one in.
    assert compose.scene_chunks(50, 56, FPS, chunk_sec=0.05, lead=45) == [(5, 56)]
    assert compose.scene_chunks(50, 60, FPS, chunk_sec=0.1, lead=10) == [(40, 50), (50, 55), (55, 60)]
    assert compose.scene_chunks(15, 105, FPS, chunk_sec=None, lead=15) == [(0, 105)]


def test_the_videos_last_scene_ends_in_short_chunks():
    # The last two seconds in one-second chunks, the rest as any scene's: the workers' last
    # segments are short, so neither core waits long for the other at the end.
    chunks = compose.scene_chunks(23, 203, FPS, lead=15, last=True)
    assert chunks == [(8, 76), (76, 143), (143, 173), (173, 203)]
    assert compose.scene_chunks(23, 203, FPS, lead=15) == [(8, 106), (106, 203)]
    # A last scene no longer than a chunk stays whole.
    assert compose.scene_chunks(15, 105, FPS, lead=15, last=True) == [(0, 105)]


def test_it_places_each_scenes_narration_at_the_scenes_first_sample(tmp_path):
    inputs = Inputs(tmp_path, [1.0, 1.5, 1.0])
    inputs.wavs[1] = None  # a silent scene in the middle
    narration = inputs.narration()
    timeline = build_timeline([scene.duration_sec for scene in narration.scenes], FPS)
    path, track = compose.build_narration_track(narration, timeline, tmp_path / "narration.wav")
    assert track.size == round(3.5 * SAMPLE_RATE) and path.is_file()
    voiced = np.flatnonzero(np.abs(track) > 1e-3)
    # Scene 1 speaks from 0 s, scene 2 is silent, scene 3 speaks from 2.5 s; each tone lasts 0.6 s.
    assert voiced[0] <= 2 and voiced[-1] < round(3.1 * SAMPLE_RATE)
    assert not np.any(np.abs(track[round(0.61 * SAMPLE_RATE) : round(2.5 * SAMPLE_RATE)]) > 1e-3)
    assert np.abs(track[round(2.5 * SAMPLE_RATE) + 100]) > 0


def test_it_cuts_cues_to_each_segments_window():
    timeline = build_timeline([1.0, 1.0], FPS)
    cues = global_cues([[Cue(0.2, 1.4, "spills over")], [Cue(0.5, 0.9, "second")]], timeline)
    assert cues == [Cue(0.2, 1.0, "spills over"), Cue(1.5, 1.9, "second")]
    fade = cues_in_window(cues, *timeline.transition_range(0), FPS)  # frames 22..37
    assert [cue.text for cue in fade] == ["spills over"]
    # Frames 22..29 (to 1.0 s), its end half a frame before frame 30.
    assert fade[0].start == 0 and math.isclose(fade[0].end, (30 - 22 - 0.5) / 30)


def _shown_frames(cue: Cue, first_frame: int) -> set[int]:
    """The global frames libass shows a segment's cue on, from the script's centisecond times."""
    start_cs, end_cs = (math.floor(value * 100 + 1e-6) for value in (cue.start, cue.end))
    return {first_frame + n for n in range(0, 400) if start_cs * 10 <= round(n * 1000 / FPS) < end_cs * 10}


@pytest.mark.parametrize("starts", [(0,), (0, 7), (0, 13, 14), (0, 5, 16, 31, 44)])
def test_a_cue_shows_on_the_same_frames_however_the_segments_split_the_video(starts):
    # Cue edges between frames, on them and a hair either side of them.
    cues = [Cue(0.21, 0.48, "a"), Cue(0.5, 1.0, "b"), Cue(1.0 - 1e-7, 1.2 + 1e-7, "c"), Cue(0.3341, 1.4999, "d")]
    bounds = [*starts, 60]
    for cue in cues:
        shown = set()
        for first, end in zip(bounds, bounds[1:], strict=False):
            for part in cues_in_window([cue], first, end, FPS):
                shown |= {frame for frame in _shown_frames(part, first) if frame < end}
        expected = {n for n in range(60) if cue.start <= n / FPS < cue.end}
        assert shown == expected, cue.text


@pytest.mark.parametrize("aspect", [(2400, 1350), (1350, 2400), (1800, 1800)])
def test_it_keeps_every_motion_inside_the_still_and_smooth(aspect):
    still = aspect
    frame = (round(still[0] / 1.25), round(still[1] / 1.25))
    for motion in MOTIONS:
        previous = None
        for step in range(301):
            window = window_at(motion, step / 300, still, frame)
            assert window.scaled_width >= frame[0] - 1e-6 and window.scaled_height >= frame[1] - 1e-6
            assert 0 <= window.x <= window.scaled_width - frame[0] + 1e-6
            assert 0 <= window.y <= window.scaled_height - frame[1] + 1e-6
            # Never upsampled past the still's own resolution.
            assert window.scaled_width <= still[0] + 1e-6
            if previous is not None:
                # 300 frames: no jump bigger than 2 output pixels between neighbours.
                assert abs(window.x - previous.x) < 2 and abs(window.scaled_width - previous.scaled_width) < 2
            previous = window


def test_it_scales_a_pan_once_and_a_zoom_every_frame():
    still, frame = (2400, 1350), (1920, 1080)
    pans = [motion for motion in MOTIONS if motion.zoom_start == motion.zoom_end]
    zooms = [motion for motion in MOTIONS if motion.zoom_start != motion.zoom_end]
    assert pans and zooms
    for motion in pans:
        filters = motion_filters(motion, still, frame, first_frame=0, span_frames=100)
        assert filters.once.startswith("scale=") and "scale" not in filters.per_frame
    for motion in zooms:
        filters = motion_filters(motion, still, frame, first_frame=0, span_frames=100)
        assert filters.once == "" and "eval=frame" in filters.per_frame


@pytest.mark.parametrize(
    "motion",
    [MOTIONS[0], MOTIONS[4], photo_motion(0, "cover", (0.8, 0.3), (800, 450), (640, 360))],
    ids=lambda motion: motion.name,
)
def test_it_renders_each_frame_where_the_motion_says(tmp_path, motion):
    """A white square at the still's centre lands, frame after frame, where window_at puts it:
    the ffmpeg filters and the geometry agree, for zooms (whose size changes every frame) too.
    Within 2 pixels: the scaled size and the offset are each rounded to whole pixels."""
    still, frame, frames = (800, 450), (640, 360), 30
    pixels = np.zeros((still[1], still[0], 3), np.uint8)
    pixels[205:245, 380:420] = 255
    Image.fromarray(pixels).save(tmp_path / "square.png")
    filters = motion_filters(motion, still, frame, first_frame=0, span_frames=frames)
    chain = ",".join(
        part
        for part in (
            "format=yuv444p",
            filters.once,
            f"loop=loop={frames - 1}:size=1:start=0,setpts=N",
            filters.per_frame,
        )
        if part
    )
    run_ffmpeg(
        ["-loglevel", "error", "-i", str(tmp_path / "square.png"), "-vf", chain, "-frames:v", str(frames),
         str(tmp_path / "frame_%02d.png")],
        is_canceled=lambda: False,
    )  # fmt: skip
    for number in (1, 15, 30):
        with Image.open(tmp_path / f"frame_{number:02d}.png") as image:
            seen = np.asarray(image.convert("L")) > 128
        columns, rows = np.where(seen.any(axis=0))[0], np.where(seen.any(axis=1))[0]
        window = window_at(motion, (number - 1) / (frames - 1), still, frame)
        scale = window.scaled_width / still[0]
        assert abs((columns.min() + columns.max() + 1) / 2 - (400 * scale - window.x)) <= 2
        assert abs((rows.min() + rows.max() + 1) / 2 - (225 * scale - window.y)) <= 2


def test_it_composes_a_video_exactly_as_long_as_the_narration(tmp_path):
    # The first scene is longer than a final's chunk: a proxy still renders it as one segment.
    inputs = Inputs(tmp_path, [3.5, 1.0, 1.2], music="tanpura")
    seen: list[float] = []
    result = inputs.compose(Callbacks(progress=lambda step, fraction: seen.append(fraction)))

    narration = inputs.narration()
    info = probe(result.video)
    assert abs(info.duration_sec - narration.total_sec) < 0.1
    assert (info.width, info.height, info.fps) == (256, 144, FPS)
    assert info.video_codec == "h264" and info.audio_codec == "aac" and info.audio_channels == 2
    assert count_frames(result.video) == round(narration.total_sec * FPS) == 171
    assert result.encoder == "libx264"
    # One segment per scene: a proxy's crossfades are inside the scene segments after them.
    assert (result.segments_rendered, result.segments_cached) == (3, 0)
    assert seen[-1] == 1.0 and seen == sorted(seen)

    narration_only = probe(result.narration_audio)
    assert narration_only.audio_codec == "aac" and not narration_only.has_video
    assert abs(narration_only.duration_sec - narration.total_sec) < 0.1


def test_it_composes_a_single_scene_at_25_fps(tmp_path):
    inputs = Inputs(tmp_path, [1.2], fps=25, watermark="none")
    result = inputs.compose()
    info = probe(result.video)
    assert info.fps == 25 and count_frames(result.video) == 30
    assert abs(info.duration_sec - 1.2) < 0.1
    assert (result.segments_rendered, result.segments_cached) == (1, 0)


def test_it_joins_segments_by_stream_copy(tmp_path):
    inputs = Inputs(tmp_path, [1.0, 1.0])
    result = inputs.compose()
    listed = [
        Path(line[len("file '") : -1])
        for line in (inputs.settings.work_dir / "compose" / "segments.txt").read_text().splitlines()
    ]
    assert len(listed) == 2
    # The joined video's packets are the segments' packets, byte for byte: nothing re-encoded.
    # Only each segment's first (IDR) packet changes: the concat demuxer puts the SPS/PPS in-band.
    joined = _packet_hashes(result.video)
    expected, keyframes = [], []
    for segment in listed:
        keyframes.append(len(expected))
        expected += _packet_hashes(segment)
    assert len(joined) == len(expected) == 60
    assert [d for i, d in enumerate(joined) if i not in keyframes] == [
        d for i, d in enumerate(expected) if i not in keyframes
    ]
    command = join_command(Path("list.txt"), Path("audio.m4a"), Path("out.mp4"))
    assert command[command.index("-c") + 1] == "copy"


@pytest.mark.parametrize(
    ("inline_fades", "counts"),
    [
        # A proxy: scene 2's segment (with the fade into it) and scene 3's (with the fade out of
        # scene 2, which shows the edited cue); a new first picture re-renders scenes 1 and 2.
        (True, {"first": (3, 0), "again": (0, 3), "edited": (2, 1), "repainted": (2, 1)}),
        # A final's layout (here at proxy size): scene 2's own segment and the fades on both sides
        # of it, scenes 1 and 3 reused; a new first picture re-renders scene 1 and its fade.
        (False, {"first": (5, 0), "again": (0, 5), "edited": (3, 2), "repainted": (2, 3)}),
    ],
    ids=["proxy", "fade-segments"],
)
def test_it_rerenders_only_the_edited_scene_and_its_fades(tmp_path, monkeypatch, inline_fades, counts):
    monkeypatch.setattr(compose, "INLINE_FADES", inline_fades)
    inputs = Inputs(tmp_path, [1.0, 1.0, 1.0])
    first = inputs.compose()
    assert (first.segments_rendered, first.segments_cached) == counts["first"]

    again = inputs.compose()
    assert (again.segments_rendered, again.segments_cached) == counts["again"]

    inputs.cues[1] = [Cue(0.2, 0.8, "Scene 1 says something else")]
    edited = inputs.compose()
    assert (edited.segments_rendered, edited.segments_cached) == counts["edited"]

    inputs.images[0] = inputs.paint(0, shade=40)
    repainted = inputs.compose()
    assert (repainted.segments_rendered, repainted.segments_cached) == counts["repainted"]
    assert count_frames(repainted.video) == 90
    assert abs(probe(repainted.video).duration_sec - 3.0) < 0.1


def test_it_rerenders_a_scene_whose_motion_changes_and_its_fades_only(tmp_path):
    inputs = Inputs(tmp_path, [1.0, 1.0, 1.0], watermark="none")
    inputs.compose()
    # No motion given is the usual cycle: the same segments.
    same = inputs.compose(motions=[None, motion_for_scene(1), None])
    assert (same.segments_rendered, same.segments_cached) == (0, 3)

    photo = photo_motion(1, "cover", (0.8, 0.4), inputs.still_size, inputs.plan.frame_size(144))
    moved = inputs.compose(motions=[None, photo, None])
    # Scene 2 and scene 3 (whose segment opens with the fade out of scene 2); scene 1 is reused.
    assert (moved.segments_rendered, moved.segments_cached) == (2, 1)
    assert count_frames(moved.video) == 90


def test_it_leaves_no_partial_files_in_the_cache(tmp_path):
    inputs = Inputs(tmp_path, [1.0, 1.0])
    inputs.compose()
    entries = list((inputs.settings.cache_dir / "segments").rglob("*"))
    files = [entry for entry in entries if entry.is_file()]
    assert files and not [entry for entry in files if "partial" in entry.name]
    assert SegmentCache(inputs.settings.cache_dir).root == inputs.settings.cache_dir / "segments"


def test_it_kills_every_ffmpeg_when_canceled_mid_compose(tmp_path):
    # Longer scenes so the cancel lands while segments are still encoding.
    inputs = Inputs(tmp_path, [6.0, 6.0, 6.0])
    canceled_at: list[float] = []

    def progress(step: str, fraction: float) -> None:
        if running_processes() and not canceled_at:
            canceled_at.append(time.monotonic())

    with pytest.raises(Canceled):
        inputs.compose(Callbacks(progress=progress, is_canceled=lambda: bool(canceled_at)))
    assert time.monotonic() - canceled_at[0] < 2.0
    assert running_processes() == []
    assert _children_named_ffmpeg() == []
    leftovers = [p for p in (inputs.settings.cache_dir / "segments").rglob("*") if p.is_file()]
    assert not [p for p in leftovers if "partial" in p.name]
    assert not (inputs.settings.work_dir / "video.mp4").exists()


def test_it_explains_an_ffmpeg_failure(tmp_path):
    inputs = Inputs(tmp_path, [1.0, 1.0], watermark="none")
    # A JPEG that claims arithmetic coding: Pillow reads its size, ffmpeg cannot decode it.
    data = inputs.images[1].read_bytes()
    sof = data.index(b"\xff\xc0")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(data[:sof] + b"\xff\xc9" + data[sof + 2 :])
    inputs.images[1] = broken
    with pytest.raises(RenderError) as caught:
        inputs.compose()
    assert caught.value.step == "compose"
    message = str(caught.value)
    assert "segment failed" in message and "No JPEG data found" in message
    assert "Hint: an input file is damaged" in message
    assert running_processes() == []


def test_it_hashes_the_same_inputs_to_the_same_segment(tmp_path):
    one = Inputs(tmp_path / "one", [1.0, 1.0])
    two = Inputs(tmp_path / "two", [1.0, 1.0])
    # Another job (another work dir) with identical pictures shares the cached segments.
    two.settings = one.settings.__class__(
        work_dir=tmp_path / "two" / "work", cache_dir=one.settings.cache_dir, proxy_short_side=144
    )
    first = one.compose()
    second = two.compose()
    assert (second.segments_rendered, second.segments_cached) == (0, 2)
    assert _packet_hashes(second.video) == _packet_hashes(first.video)


def test_it_composes_with_one_sliced_encoder_on_every_core(tmp_path, monkeypatch):
    """RENDER_PARALLELISM=1 (the low-memory setting): one ffmpeg, x264 slices across the cores.
    Its segments are cached apart from single-thread ones (slices change the bitstream)."""
    monkeypatch.setattr(compose.os, "sched_getaffinity", lambda pid: {0, 1})
    inputs = Inputs(tmp_path, [1.0, 1.0])
    inputs.settings = dataclasses.replace(inputs.settings, parallelism=1)
    sliced = inputs.compose()
    assert count_frames(sliced.video) == 60 and abs(probe(sliced.video).duration_sec - 2.0) < 0.1
    assert (sliced.segments_rendered, sliced.segments_cached) == (2, 0)
    assert b"threads=2 lookahead_threads=2 sliced_threads=1" in sliced.video.read_bytes()  # x264 notes its settings
    inputs.settings = dataclasses.replace(inputs.settings, parallelism=2)
    assert inputs.compose().segments_cached == 0  # one thread each: other segments


def _frame_at(video: Path, frame: int, out: Path) -> np.ndarray:
    import subprocess

    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-i",
            str(video),
            "-vf",
            f"select=eq(n\\,{frame})",
            "-frames:v",
            "1",
            str(out),
        ],
        check=True,
    )
    with Image.open(out) as image:
        return np.asarray(image.convert("RGB")).astype(int)


def test_it_lays_the_styles_border_over_the_moving_picture_at_the_exact_frame_edges(tmp_path):
    # The miniature's border is a deep red band: drawn once at the output size, it stays put while
    # the still under it pans and zooms, unlike a border painted into the still.
    inputs = Inputs(tmp_path, [1.5, 1.5], watermark="br")
    inputs.plan = dataclasses.replace(inputs.plan, style="miniature")
    result = inputs.compose()
    early, late = _frame_at(result.video, 5, tmp_path / "a.png"), _frame_at(result.video, 70, tmp_path / "b.png")
    red = np.array([140, 24, 30])
    for frame in (early, late):
        height, width = frame.shape[:2]
        band = max(2, int(min(width, height) * 0.05))
        # The red band sits on all four sides, right at the frame's edges (its flower motifs and
        # the 4:2:0 chroma blur keep some pixels off pure red).
        top, bottom, left, right = (
            frame[1 : band - 1],
            frame[-band + 1 : -1],
            frame[:, 1 : band - 1],
            frame[:, -band + 1 : -1],
        )
        for strip in (top, bottom, left, right):
            assert (np.abs(strip - red).sum(axis=-1) < 110).mean() > 0.4
        centre = frame[height // 3 : 2 * height // 3, width // 3 : 2 * width // 3]
        assert np.abs(centre - red).sum(axis=-1).mean() > 120  # the picture shows inside the border
    edges = np.ones(early.shape[:2], bool)
    edges[8:-8, 8:-8] = False
    assert np.abs(early[edges] - late[edges]).mean() < 12  # the border is static
    inner = np.abs(early[40:-40, 60:-60] - late[40:-40, 60:-60]).mean()
    assert inner > 12  # while the picture under it moved (a different scene, another place in the motion)


def test_it_draws_no_overlay_for_a_style_without_a_frame_and_no_watermark(tmp_path):
    inputs = Inputs(tmp_path, [1.0], watermark="none")
    inputs.plan = dataclasses.replace(inputs.plan, style="cinematic")
    assert compose._watermark(plan=inputs.plan, frame=(256, 144), work=tmp_path) == (None, (0, 0))
    framed = dataclasses.replace(inputs.plan, style="temple-painting")
    overlay, corner = compose._watermark(plan=framed, frame=(256, 144), work=tmp_path)
    assert overlay is not None and corner == (0, 0)
    with Image.open(overlay) as image:
        assert image.size == (256, 144) and image.mode == "RGBA"
        alpha = np.asarray(image)[..., 3]
    assert alpha[72, 128] == 0  # transparent where the picture shows
    assert alpha[4:8, :].max() == 255  # the gilded rules near the edge


def _grey_frame_at(video: Path, second: float, size: tuple[int, int]) -> np.ndarray:
    """One decoded frame (grey levels) at `second` into `video`."""
    out = video.with_name(f"{video.stem}_{second}.png")
    run_ffmpeg(
        ["-loglevel", "error", "-ss", f"{second}", "-i", str(video), "-frames:v", "1", "-s", f"{size[0]}x{size[1]}", str(out)],
        is_canceled=lambda: False,
    )  # fmt: skip
    with Image.open(out) as image:
        return np.asarray(image.convert("L"), dtype=np.int16)


def test_a_proxy_renders_each_long_scene_as_one_segment_with_its_subtitles_burned(tmp_path):
    """The proxy's own path: no chunks (one ffmpeg per scene, however long), crossfades kept
    inside the scene segments, the length exact, and the cues burned into the frames where they
    are spoken."""
    inputs = Inputs(tmp_path / "with", [4.0, 3.5], watermark="none")
    result = inputs.compose()
    # Scene 1, then scene 2 opening with the crossfade: a final would split each scene into two
    # 3-second chunks and render the crossfade apart.
    assert (result.segments_rendered, result.segments_cached) == (2, 0)
    assert len(compose.scene_chunks(0, 120, FPS)) == 2
    assert count_frames(result.video) == 225 and abs(probe(result.video).duration_sec - 7.5) < 0.1

    silent = Inputs(tmp_path / "without", [4.0, 3.5], watermark="none")
    silent.cues = [[], []]
    bare = silent.compose()
    size = inputs.plan.frame_size(144)
    for second in (1.0, 5.5):  # inside each scene's cue
        lower_third = slice(size[1] * 2 // 3, size[1])
        changed = np.abs(_grey_frame_at(result.video, second, size) - _grey_frame_at(bare.video, second, size))[
            lower_third
        ]
        assert (changed > 40).sum() > 100, f"no subtitle burned at {second} s"
    # Above the subtitles the picture is the same: only the text differs.
    assert (
        np.abs(_grey_frame_at(result.video, 1.0, size) - _grey_frame_at(bare.video, 1.0, size))[: size[1] // 3].max()
        < 12
    )


def test_only_a_proxy_uses_whole_scenes_and_the_fast_aac_coder(tmp_path):
    """Finals keep their 3-second chunks, their fade segments, their yuv444p motion, their AAC
    coder and therefore their cached segments."""
    inputs = Inputs(tmp_path, [1.0])
    final = dataclasses.replace(inputs.plan, mode="final")
    work = tmp_path / "compose"
    work.mkdir()

    def context(plan):
        return compose._encoding_context(
            plan=plan, frame=(256, 144), encoder="libx264", workers=2, subs_dir=work, work=work
        )

    assert context(inputs.plan).chunk_sec is None and context(final).chunk_sec == compose.CHUNK_SEC
    assert context(inputs.plan).preview and not context(final).preview
    assert context(inputs.plan).inline_fades and context(final).inline_fades
    assert "-aac_coder" in compose._narration_codec(inputs.plan)
    assert compose._narration_codec(final) == ["-c:a", "aac", "-b:a", "128k"]
    assert "-aac_coder" in compose._mixed_codec(inputs.plan)
    assert compose._mixed_codec(final) == ["-c:a", "aac", "-b:a", "192k"]


def _planned_video_jobs(inputs: Inputs, plan, work: Path) -> list[compose.SegmentJob]:
    """The video segments compose would render for `plan` (nothing runs: arguments and keys only)."""
    frame = plan.frame_size(144)
    ctx = compose._encoding_context(plan=plan, frame=frame, encoder="libx264", workers=2, subs_dir=work, work=work)
    timeline = build_timeline(inputs.durations, FPS)
    count = len(inputs.durations)
    pictures = compose._scene_pictures(
        scene_images=inputs.images, clips=[None] * count, motions=[None] * count, frame=frame
    )
    return compose._video_jobs(ctx=ctx, pictures=pictures, timeline=timeline, cues=global_cues(inputs.cues, timeline))


def test_a_proxy_plans_one_segment_per_scene_with_only_the_fades_frames_through_xfade(tmp_path):
    inputs = Inputs(tmp_path, [4.0, 3.5, 1.0])
    work = tmp_path / "plan"
    work.mkdir()
    proxy = _planned_video_jobs(inputs, inputs.plan, work)
    assert [job.label for job in proxy] == ["scene 1", "scene 2", "scene 3"] and not any(j.is_fade for j in proxy)
    # Every frame of the timeline once: the fades are inside the scene segments.
    assert sum(job.frames for job in proxy) == build_timeline(inputs.durations, FPS).total_frames
    first, second = proxy[0].args, proxy[1].args
    assert "xfade" not in first[first.index("-filter_complex") + 1]
    chains = _chains_by_output(second[second.index("-filter_complex") + 1])
    # The outgoing and incoming stills for the 15 fade frames (yuv444p, xfade's own format), then
    # the incoming still again for the scene's own frames, moved in yuv420p and joined by concat.
    assert second.count("-i") == 4 and second.count(str(inputs.images[1])) == 2  # + the overlay
    for side in ("s0", "s1"):
        assert "loop=loop=14:" in chains[side] and "format=yuv444p" in chains[side]
    assert "xfade" in chains["fade"] and "format=yuv444p" not in chains["own"] and "loop=loop=89:" in chains["own"]
    assert "concat=n=2:v=1:a=0" in chains["base"]

    final = _planned_video_jobs(inputs, dataclasses.replace(inputs.plan, mode="final"), work)
    # A final: 3-second chunks, each fade inside the first chunk of the scene after it.
    assert [job.label for job in final] == ["scene 1 part 1", "scene 1 part 2", "scene 2", "scene 3"]
    assert sum(job.frames for job in final) == build_timeline(inputs.durations, FPS).total_frames
    for job in final:
        graph = job.args[job.args.index("-filter_complex") + 1]
        assert "format=yuv444p" in graph and "format=yuv420p,loop" not in graph
        assert ("xfade" in graph) == (job.label in ("scene 2", "scene 3"))
    # The incoming still is read once and split between the fade and the scene's own frames.
    opening = final[2].args
    chains = _chains_by_output(opening[opening.index("-filter_complex") + 1])
    assert opening.count("-i") == 3 and opening.count(str(inputs.images[1])) == 1  # + the overlay
    assert "split=2" in chains["moving_in"] and "loop=loop=14:" in chains["s1"] and "loop=loop=14:" in chains["s0"]
    assert "concat=n=2:v=1:a=0" in chains["base"]


def _chains_by_output(graph: str) -> dict[str, str]:
    """A filter graph's chains by the label each ends with."""
    return {match.group(1): chain for chain in graph.split(";") if (match := re.search(r"\[([^\]:]+)\]$", chain))}


def test_a_proxy_keys_its_segments_apart_from_a_finals_path(tmp_path, monkeypatch):
    """The preview's picture path renders other pixels: its keys carry PREVIEW_VERSION, and a
    final's keys carry nothing new (so a final's cached segments stay valid)."""
    inputs = Inputs(tmp_path, [1.0, 1.0])
    work = tmp_path / "plan"
    work.mkdir()
    before = [job.key for job in _planned_video_jobs(inputs, inputs.plan, work)]
    final_before = [
        job.key for job in _planned_video_jobs(inputs, dataclasses.replace(inputs.plan, mode="final"), work)
    ]
    monkeypatch.setattr(compose, "PREVIEW_VERSION", "test")
    assert set(before).isdisjoint(job.key for job in _planned_video_jobs(inputs, inputs.plan, work))
    final = dataclasses.replace(inputs.plan, mode="final")
    assert [job.key for job in _planned_video_jobs(inputs, final, work)] == final_before


def _grey_frames(video: Path, size: tuple[int, int]) -> np.ndarray:
    """The video's frames as grey levels, scaled to `size`."""
    import subprocess

    raw = subprocess.run(
        [
            ffmpeg_exe(), "-loglevel", "error", "-i", str(video), "-vf", f"scale={size[0]}:{size[1]}:flags=area",
            "-f", "rawvideo", "-pix_fmt", "gray", "-",
        ],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(-1, size[1], size[0]).astype(np.int16)


@pytest.mark.parametrize("mode", ["proxy", "final"])
def test_an_inline_crossfade_shows_the_frames_a_fade_segment_shows(tmp_path, monkeypatch, mode):
    """A fade inside the next scene's segment blends the same two moving pictures over the same
    frames as a fade segment of its own, and the scene then continues seamlessly: in a proxy
    (the still read twice) and in a final (the still read once and split, moving in yuv444p)."""
    videos = {}
    for inline in (True, False):
        monkeypatch.setattr(compose, "INLINE_FADES", inline)
        inputs = Inputs(tmp_path / str(inline), [1.0, 1.0], watermark="none")
        inputs.plan = dataclasses.replace(inputs.plan, mode=mode, resolution="720p")
        inputs.cues = [[], []]
        videos[inline] = _grey_frames(inputs.compose().video, (256, 144))
    inline, apart = videos[True], videos[False]
    assert inline.shape == apart.shape == (60, 144, 256)
    # Frames 22..36 are the fade (8 of scene 1, 7 of scene 2). Both paths agree frame by frame
    # within the encoder's noise (yuv420p motion against yuv444p, other x264 decisions).
    difference = np.abs(inline - apart).mean(axis=(1, 2))
    assert difference.max() < 3, difference.round(1)
    # And it is a fade: its middle frame is neither scene's picture but between the two.
    pure_out, pure_in, middle = inline[21].mean(), inline[37].mean(), inline[29].mean()
    assert abs(pure_out - pure_in) > 5 and min(pure_out, pure_in) + 1 < middle < max(pure_out, pure_in) - 1


def _job(label: str, frames: int, pictures: int) -> compose.SegmentJob:
    return compose.SegmentJob(label, frames, label, ".mp4", [], pictures=pictures)


def test_it_starts_a_one_picture_job_beside_a_running_crossfade():
    fades = [_job(f"fade {n}", 105, 2) for n in range(3)]
    plain = [_job(f"scene {n}", 90, 1) for n in range(2)]
    queue = [*fades, *plain]
    assert compose._take_next(queue, [], len(queue)) is fades[0]
    assert compose._take_next(queue, [fades[0]], len(queue)) is plain[0]
    assert compose._take_next(queue, [plain[0]], len(queue)) is fades[1]
    # Playing order bends a step only: no one-picture job among the next two, so the head goes.
    queue = [fades[2], _job("fade 4", 105, 2), plain[1]]
    assert compose._take_next(queue, [fades[1]], 2) is fades[2]
    assert compose._take_next(queue, [fades[1]], len(queue)) is plain[1]
    # Nothing lighter left: crossfades run side by side rather than a core standing idle.
    assert compose._take_next(queue, [fades[1]], len(queue)).label == "fade 4"


def test_its_workers_never_hold_two_crossfades_while_a_lighter_job_waits(tmp_path, monkeypatch):
    """Longest first puts every crossfade chunk ahead of the plain chunks; two of them at once
    made the 1080p final's peak memory. Each worker takes its next job only when it is free."""
    jobs = [_job(f"scene {n} part 1", 105, 2) for n in range(4)] + [_job(f"scene {n} part 2", 90, 1) for n in range(4)]
    running: list[compose.SegmentJob] = []
    started: list[str] = []
    side_by_side: list[int] = []  # for each crossfade started beside another: plain chunks not yet started
    lock = threading.Lock()

    def render(job, cache, abort, codec):
        with lock:
            if job.pictures == 2 and any(entry.pictures == 2 for entry in running):
                side_by_side.append(sum(1 for entry in jobs if entry.pictures == 1 and entry.label not in started))
            running.append(job)
            started.append(job.label)
        time.sleep(0.03 if job.pictures == 2 else 0.01)
        with lock:
            running.remove(job)

    monkeypatch.setattr(compose, "_render_job", render)
    done: list[str] = []
    compose._run_jobs(
        jobs, SegmentCache(tmp_path), 2, Callbacks(), lambda: None, [], on_done=lambda job: done.append(job.label)
    )
    assert sorted(done) == sorted(job.label for job in jobs)
    assert started[:2] == ["scene 0 part 1", "scene 0 part 2"]  # longest first, then the lighter one beside it
    assert side_by_side == [0] * len(side_by_side)  # only once no plain chunk was left


@pytest.mark.parametrize("frame", [(1920, 1080), (1080, 1920), (3840, 2160), (640, 360)])
def test_a_segments_ffmpeg_maps_full_chroma_frames_apart_and_keeps_the_zooms_on_the_heap(frame):
    """A zoom's largest 4:2:0 frame (1.14² of the frame, 1.5 bytes a pixel) stays under the
    threshold; a 4:4:4 frame of the frame's own size (a crossfade's) does not."""
    pixels = frame[0] * frame[1]
    largest_zoom = max(max(motion.zoom_start, motion.zoom_end) for motion in MOTIONS)
    threshold = compose.segment_mmap_threshold(frame)
    assert 1.5 * pixels * largest_zoom**2 < threshold < 3 * pixels


def test_a_shared_segment_keeps_its_mmap_threshold_through_the_manifest():
    from renders.pipeline import fan_out

    segment = fan_out.SharedSegment("scene 1", 90, "k" * 64, ".mp4", ["-f", "lavfi"], 5_184_000)
    assert fan_out.SharedSegment.from_dict(segment.to_dict()) == segment
    older = {key: value for key, value in segment.to_dict().items() if key != "mmap_threshold"}
    assert fan_out.SharedSegment.from_dict(older).mmap_threshold == 0  # a manifest written before the field
    with pytest.raises(ValueError, match="mmap_threshold"):
        fan_out.SharedSegment.from_dict({**segment.to_dict(), "mmap_threshold": "big"})


def test_a_finals_segments_carry_the_frames_mmap_threshold_and_one_filter_thread_each(tmp_path, monkeypatch):
    seen: list[tuple[int, list[str]]] = []
    held: dict[str, int] = {}
    real = compose._render_job

    def spy(job, cache, abort, codec):
        if job.frames and job.outputs == 1:
            seen.append((job.mmap_threshold, job.args))
            held[job.label] = job.pictures
        return real(job, cache, abort, codec)

    monkeypatch.setattr(compose, "_render_job", spy)
    monkeypatch.setattr(compose.os, "sched_getaffinity", lambda pid: {0, 1})
    inputs = Inputs(tmp_path, [1.0, 1.0])
    inputs.compose()
    width, height = inputs.plan.frame_size(144)
    assert seen and {threshold for threshold, _ in seen} == {int(2.5 * width * height)}
    assert held == {"scene 1": 1, "scene 2": 2}  # scene 2's segment opens with the crossfade into it
    for _, args in seen:  # two workers on two cores: one thread each for the encoder and the graph
        assert args[args.index("-filter_complex_threads") + 1] == "1"
        assert args.index("-filter_complex_threads") < args.index("-filter_complex")


def _final_inputs(root: Path, durations: list[float]) -> Inputs:
    """Inputs for a 720p final, with stills painted at its oversampled size."""
    inputs = Inputs(root, durations)
    inputs.plan = dataclasses.replace(inputs.plan, mode="final", resolution="720p")
    inputs.still_size = (1600, 900)
    inputs.images = [inputs.paint(index) for index in range(len(durations))]
    return inputs


@pytest.mark.parametrize(
    ("style", "watermark"), [("cinematic", "br"), ("miniature", "br"), ("cinematic", "none")]
)  # a watermark alone, a full-frame border with it, no overlay at all
def test_a_finals_prepared_stills_give_the_bytes_each_graph_gave_preparing_its_own(
    tmp_path, monkeypatch, style, watermark
):
    """A final's segments read each still prepared once per run (a raw frame file) instead of
    decoding and converting (for a pan, scaling) the JPEG in every graph, and the overlay's PNG
    so too: the video's bytes are the same, for zooms and pans, their own chunks and the
    crossfades into and out of each."""
    zoom, pan = MOTIONS[2], MOTIONS[3]
    motions: list[Motion | None] = [zoom, pan, pan, zoom]
    hashes, reads = {}, {}
    real = compose._render_job
    for prepared in (True, False):
        monkeypatch.setattr(compose, "PREPARED_STILLS", prepared)
        inputs = _final_inputs(tmp_path / str(prepared), [1.0, 1.0, 1.0, 1.0])
        inputs.plan = dataclasses.replace(inputs.plan, style=style, watermark=watermark)
        seen: list[compose.SegmentJob] = []

        def spy(job, cache, abort, codec, seen=seen):
            seen.append(job)
            return real(job, cache, abort, codec)

        monkeypatch.setattr(compose, "_render_job", spy)
        hashes[prepared] = _packet_hashes(inputs.compose(motions=motions).video)
        videos = [job for job in seen if job.frames and job.outputs == 1]
        reads[prepared] = [sum(arg == "rawvideo" for arg in job.args) for job in videos]
        assert not list((inputs.settings.work_dir / "compose").glob("stills.*"))  # removed with the run
        if prepared:
            assert not any(str(image) in job.args for job in videos for image in inputs.images)
            assert not any(arg.endswith(".png") for job in videos for arg in job.args)  # the overlay too
            # Zoom stills: one file each; a pan's: one for its own frames, one for its fade out;
            # and the overlay, when there is one.
            assert len({still.path for job in videos for still in job.stills}) == 6 + (watermark != "none")
    assert reads[False] == [0] * len(reads[False]) and reads[True] and all(reads[True])
    assert hashes[True] == hashes[False]


def test_a_prepared_still_is_made_once_however_many_segments_read_it(tmp_path, monkeypatch):
    """Two workers, a 4-second scene (two chunks) and the crossfade after it: the still's file is
    written by one ffmpeg while the other worker waits for it."""
    made: list[str] = []
    real = compose.run_ffmpeg

    def counting(args, **kwargs):
        if kwargs.get("what", "").endswith(" still"):
            made.append(args[-1])
        return real(args, **kwargs)

    monkeypatch.setattr(compose, "run_ffmpeg", counting)
    inputs = _final_inputs(tmp_path, [4.0, 1.0])
    result = inputs.compose(motions=[MOTIONS[0], MOTIONS[0]])
    assert result.segments_rendered == 3 and len(made) == 3  # one file per scene's still, one for the overlay


def test_a_shared_segment_keeps_its_prepared_stills_through_the_manifest():
    from renders.pipeline import fan_out

    still = ("/work/job/compose/stills.1/scene_00.ab.yuv", ("-i", "/work/job/images/scene_00.jpg", "-f", "rawvideo"))
    segment = fan_out.SharedSegment("scene 1", 90, "k" * 64, ".mp4", ["-f", "lavfi"], 5_184_000, (still,))
    assert fan_out.SharedSegment.from_dict(segment.to_dict()) == segment
    older = {key: value for key, value in segment.to_dict().items() if key != "stills"}
    assert fan_out.SharedSegment.from_dict(older).stills == ()  # a manifest written before stills were prepared
    for bad in ([["path", ["-i"]]], [{"path": 3, "args": []}], [{"path": "p", "args": [1]}]):
        with pytest.raises(ValueError, match="still"):
            fan_out.SharedSegment.from_dict({**segment.to_dict(), "stills": bad})


def test_a_helper_writes_no_still_outside_the_jobs_work_directory(tmp_path):
    from renders.pipeline import fan_out

    work = tmp_path / "job"
    work.mkdir()
    for outside in (tmp_path / "elsewhere.yuv", work / ".." / "climbed.yuv"):
        still = ((str(outside), ("-f", "lavfi", "-i", "color=s=16x16", "-frames:v", "1", "-f", "rawvideo")),)
        segment = fan_out.SharedSegment("scene 1", 1, "k" * 64, ".mp4", ["-f", "lavfi"], 0, still)
        fan_out.write_manifest(tmp_path / "cache", fan_out.Manifest("host:1:abc", str(work), [segment]))
        assert compose.help_render_segments("abc.json", tmp_path / "cache", 1, lambda: False) == 0
        assert not outside.exists()


def test_a_prepared_still_goes_once_the_last_segment_reading_it_is_done(tmp_path, monkeypatch):
    """One worker, so the order is known: before each segment, only files that it or a later
    segment reads are left in the run's stills folder (and those of the segment just before it,
    whose end the run may not have seen yet)."""
    inputs = _final_inputs(tmp_path, [4.0, 1.0, 1.0, 1.0])
    inputs.settings = dataclasses.replace(inputs.settings, parallelism=1)
    seen: list[tuple[set[Path], set[Path]]] = []  # (files there, files it reads) at each segment's start
    real = compose._render_job

    def spy(job, cache, abort, codec):
        if job.stills:
            there = {path for still in job.stills for path in still.path.parent.glob("*.yuv")}
            seen.append((there, {still.path for still in job.stills}))
        return real(job, cache, abort, codec)

    monkeypatch.setattr(compose, "_render_job", spy)
    inputs.compose(motions=[MOTIONS[0], MOTIONS[1], MOTIONS[0], MOTIONS[1]])
    assert len(seen) == 5  # scene 1 in two chunks, scenes 2 to 4 each opening with a fade
    for index, (there, _) in enumerate(seen):
        needed = set().union(*(reads for _, reads in seen[max(0, index - 1) :]))
        assert there <= needed, f"segment {index + 1}: {sorted(p.name for p in there - needed)} outlived their readers"
    assert any(there - reads for there, reads in seen[1:])  # and some were kept for a later segment
