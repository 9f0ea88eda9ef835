"""The live stream beside compose: each finished video segment as an MPEG-TS piece, in playing order."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest

from renders.pipeline import compose
from renders.pipeline.context import Callbacks
from renders.pipeline.ffmpeg import ffmpeg_exe
from renders.pipeline.live_stream import plan_pieces
from renders.pipeline.media_probe import probe
from renders.tests.pipeline.test_compose import Inputs


def _video_start_sec(path: Path) -> float:
    text = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    match = re.search(r"Video: .*, start (\d+\.\d+)", text)
    assert match, text
    return float(match.group(1))


def _frame_hashes(path: Path) -> list[str]:
    """Hashes of the decoded video frames, in order."""
    out = subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-map", "0:v:0", "-f", "framemd5", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if not line.startswith("#")]


def _compose_live(inputs: Inputs) -> tuple[list[tuple[int, Path, float]], list[str]]:
    inputs.settings = dataclasses.replace(inputs.settings, live_stream=True)
    pieces: list[tuple[int, Path, float]] = []
    order: list[str] = []

    def live_piece(index: int, path: Path, seconds: float) -> None:
        pieces.append((index, path, seconds))
        order.append(f"piece {index}")

    def progress(step: str, fraction: float) -> None:
        if fraction == 1.0:
            order.append("compose done")

    inputs.compose(Callbacks(live_piece=live_piece, progress=progress))
    return pieces, order


@pytest.mark.parametrize("inline_fades", [True, False], ids=["proxy", "fade-segments"])
def test_it_publishes_one_piece_per_segment_in_playing_order_with_its_narration(tmp_path, monkeypatch, inline_fades):
    # A proxy renders the fade inside the second scene's segment; a final (its layout here at
    # proxy size) renders it as a segment of its own, which rides in the piece after it.
    monkeypatch.setattr(compose, "INLINE_FADES", inline_fades)
    inputs = Inputs(tmp_path, [1.0, 1.2])
    pieces, order = _compose_live(inputs)

    # Two scenes: two pieces, all published before compose ends.
    assert [index for index, _, _ in pieces] == [0, 1]
    assert order[-1] == "compose done"
    assert abs(sum(seconds for _, _, seconds in pieces) - 2.2) < 1e-6
    listed = [
        Path(line[len("file '") : -1])
        for line in (inputs.settings.work_dir / "compose" / "segments.txt").read_text().splitlines()
    ]
    assert len(listed) == (2 if inline_fades else 3)
    starts = 0.0
    first_pts = []
    for (_, path, seconds), segments in zip(pieces, [listed[:1], listed[1:]], strict=True):
        info = probe(path)
        assert info.video_codec == "h264" and info.audio_codec == "aac"
        # Within the AAC's priming and last frame's padding (1024 samples each at 24 kHz).
        assert abs(info.duration_sec - seconds) < 0.09
        # The video is the segments' own frames, all of them.
        assert _frame_hashes(path) == [digest for segment in segments for digest in _frame_hashes(segment)]
        first_pts.append(_video_start_sec(path) - starts)
        starts += seconds
    # Each piece's pictures start where the one before it ends: the pieces play as one stream.
    assert max(first_pts) - min(first_pts) < 0.001


def test_a_crossfade_rides_with_the_segment_after_it():
    segments = [("s0", 10, False), ("f01", 4, True), ("s1a", 6, False), ("s1b", 6, False), ("f12", 4, True)]
    pieces = plan_pieces(segments + [("s2", 9, False)])
    assert [(piece.segments, piece.first_frame, piece.frames) for piece in pieces] == [
        ((0,), 0, 10),
        ((1, 2), 10, 10),
        ((3,), 20, 6),
        ((4, 5), 26, 13),
    ]
    assert [piece.index for piece in pieces] == [0, 1, 2, 3]
    assert pieces[1].video_keys == ("f01", "s1a")


def test_a_second_compose_takes_every_piece_from_the_cache(tmp_path):
    inputs = Inputs(tmp_path, [1.0, 1.0])
    first, _ = _compose_live(inputs)
    inodes = [path.stat().st_ino for _, path, _ in first]
    again, _ = _compose_live(inputs)
    assert [path for _, path, _ in again] == [path for _, path, _ in first]
    # The same files: a muxed piece is written under a temporary name and renamed, a new inode.
    assert [path.stat().st_ino for _, path, _ in again] == inodes


def test_it_publishes_nothing_without_the_live_stream(tmp_path):
    inputs = Inputs(tmp_path, [1.0])
    pieces: list[int] = []
    inputs.compose(Callbacks(live_piece=lambda index, path, seconds: pieces.append(index)))
    assert pieces == []
    assert not list((tmp_path / "cache" / "segments").rglob("*.ts"))


def test_an_edit_of_one_scenes_narration_muxes_only_the_piece_it_plays_in(tmp_path):
    inputs = Inputs(tmp_path, [1.0, 1.0, 1.0])
    first, _ = _compose_live(inputs)
    inodes = [path.stat().st_ino for _, path, _ in first]
    inputs.wavs[1] = inputs.tone(1, 0.5)  # scene 2 says something else (its narration ends before 1.6 s)
    again, _ = _compose_live(inputs)

    # Scene 2's piece (the fade into it and its own frames) holds its narration: muxed again.
    # The others keep their files, though the narration track as a whole changed.
    assert again[1][1] != first[1][1]
    assert [path for _, path, _ in (again[0], again[2])] == [first[0][1], first[2][1]]
    assert [path.stat().st_ino for _, path, _ in (again[0], again[2])] == [inodes[0], inodes[2]]
