"""The audio mixed per scene and spliced from AAC packets: the same track as one mix of the whole video."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import numpy as np

from renders.pipeline import audio_track, compose
from renders.pipeline.audio import integrated_loudness
from renders.pipeline.audio_track import AAC_FRAME, AudioPiece, plan_pieces
from renders.pipeline.context import SAMPLE_RATE
from renders.pipeline.ffmpeg import ffmpeg_exe, run_ffmpeg
from renders.pipeline.segment_cache import SegmentCache
from renders.tests.pipeline.test_compose import FPS, Inputs


def test_it_cuts_the_track_on_aac_frame_boundaries_at_or_before_each_scene():
    pieces = plan_pieces([0, 47_200, 48_000, 300_000], 400_000)
    # 47_200 and 48_000 fall in the same AAC frame: those two scenes share a piece.
    assert [(piece.first, piece.end) for piece in pieces] == [(0, 47_104), (47_104, 299_008), (299_008, 400_384)]
    assert all(piece.first % AAC_FRAME == 0 for piece in pieces)
    last = pieces[-1]
    assert last.is_last and last.encode_end == last.mix_end == 400_000
    # Every piece but the first is encoded from some frames before its span and mixed from ~2 s before that.
    roll = audio_track.AAC_ROLL_SAMPLES
    assert pieces[1].encode_first == 47_104 - roll and pieces[1].mix_first == 0
    assert pieces[2].mix_first == 299_008 - roll - audio_track.MIX_PREROLL_SAMPLES
    assert pieces[1].encode_end == 299_008 + roll


def test_each_piece_keeps_only_its_own_packets():
    roll = audio_track.AAC_ROLL_SAMPLES // AAC_FRAME
    first = AudioPiece(0, 0, 10 * AAC_FRAME, 100_000)
    middle = AudioPiece(1, 20 * AAC_FRAME, 30 * AAC_FRAME, 100_000)
    assert first.kept_packets(30) == slice(0, 11)  # the priming packet, then its ten frames
    # After the priming packet and the roll's frames, its ten frames.
    assert middle.kept_packets(30) == slice(roll + 1, roll + 11)


def _decoded(path: Path) -> np.ndarray:
    raw = subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-f", "f32le", "-ac", "2", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, 2)


def _track(inputs: Inputs, tmp_path: Path) -> tuple[compose._AudioTrack, int]:
    work = tmp_path / "compose"
    work.mkdir(exist_ok=True)
    narration = inputs.narration()
    timeline = compose.build_timeline([scene.duration_sec for scene in narration.scenes], FPS)
    cache = SegmentCache(inputs.settings.cache_dir)
    track = compose._AudioTrack.plan(
        plan=inputs.plan, settings=inputs.settings, narration=narration, timeline=timeline, work=work, cache=cache
    )
    rendered = 0
    for job in compose._take_cached(jobs=track.jobs, cache=cache):
        compose._render_job(job, cache, threading.Event(), compose._narration_codec(inputs.plan))
        rendered += 1
    return track, rendered


def test_the_spliced_track_is_the_whole_videos_mix_without_a_click_at_any_join(tmp_path):
    # Narration that runs across the joins, so the ducked music changes level right at them.
    inputs = Inputs(tmp_path, [1.5, 1.5, 1.5, 1.5], music="tanpura")
    inputs.wavs = [inputs.tone(index, 1.45) for index in range(4)]
    track, _ = _track(inputs, tmp_path)
    total = track.pieces[0].total
    # Muxed as the join muxes it: the MP4's edit list skips the first piece's priming packet.
    muxed = tmp_path / "track.m4a"
    run_ffmpeg(
        ["-loglevel", "error", *audio_track.priming_offset_args(), "-i", str(track.spliced("test")), "-c", "copy", str(muxed)],
        is_canceled=lambda: False,
    )  # fmt: skip
    spliced = _decoded(muxed)[:total]

    # The reference: the same graph over the whole video as one piece, kept as PCM (no codec).
    whole = AudioPiece(0, 0, total, total)
    bed = compose._MusicBed("tanpura", total, track.cache).path()
    args = audio_track.piece_mix_args(
        whole, narration_wav=tmp_path / "compose" / "narration.wav", bed=bed, music_db=-12.0,
        codec=["-c:a", "pcm_f32le"],
    )[:-2] + ["-f", "f32le", str(tmp_path / "whole.raw"), "-map", "[narration]", "-f", "null", "-"]  # fmt: skip
    run_ffmpeg(["-loglevel", "error", *args], is_canceled=lambda: False)
    reference = np.fromfile(tmp_path / "whole.raw", dtype=np.float32).reshape(-1, 2)

    # One AAC encode of the whole mix, as compose made it before: its error is the codec's own.
    run_ffmpeg(
        ["-loglevel", "error", "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "2", "-i", str(tmp_path / "whole.raw"),
         *compose._mixed_codec(inputs.plan), str(tmp_path / "whole.m4a")],
        is_canceled=lambda: False,
    )  # fmt: skip
    once = _decoded(tmp_path / "whole.m4a")[:total]

    assert spliced.shape == reference.shape == once.shape == (total, 2)

    def rms(samples: np.ndarray) -> float:
        return float(np.sqrt(np.mean(samples**2)))

    error, codec_error = spliced - reference, once - reference
    # The samples line up (no offset, no gap): the error is the codec's, as for one encode.
    assert rms(error) < 1.2 * rms(codec_error) + 1e-5
    for piece in track.pieces[1:]:
        near = slice(piece.first - 4096, piece.first + 4096)
        # No click at a join: the error there is what one encode makes there (transients at
        # joins included: each scene's tone starts on its first sample).
        assert rms(error[near]) < 1.5 * rms(codec_error[near]) + 5e-5
    assert abs(integrated_loudness(spliced, SAMPLE_RATE) - integrated_loudness(reference, SAMPLE_RATE)) < 0.5


def test_an_edit_of_one_scenes_narration_mixes_only_the_pieces_that_hear_it(tmp_path):
    inputs = Inputs(tmp_path, [3.0, 3.0, 3.0, 3.0], music="bells")
    _, rendered = _track(inputs, tmp_path)
    assert rendered == 4
    _, rendered = _track(inputs, tmp_path)
    assert rendered == 0
    inputs.wavs[1] = inputs.tone(5, 0.6)  # scene 2 says something else, from its first sample
    track, rendered = _track(inputs, tmp_path)
    # Scene 2's own piece, and scene 1's, whose encoded roll reaches into scene 2's first words;
    # scene 3's is mixed from ~2.2 s before it, after scene 2's voice has ended: reused.
    assert rendered == 2
    narration = _decoded(track.splice("-narration.aac", tmp_path / "narration.aac"))
    assert narration.shape[0] >= track.pieces[0].total
