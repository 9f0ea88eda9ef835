from __future__ import annotations

import time
import wave

import numpy as np
import pytest

from renders.pipeline.audio import integrated_loudness, read_wav
from renders.pipeline.music import MUSIC_LUFS, PEAK_CEILING, render_music_bed


@pytest.mark.parametrize("kind", ["tanpura", "bells"])
def test_it_renders_a_bed_of_exactly_the_asked_length(tmp_path, kind):
    out = render_music_bed(kind, 7.3, tmp_path / f"{kind}.wav")
    assert out == tmp_path / f"{kind}.wav"
    with wave.open(str(out), "rb") as source:
        assert (source.getnchannels(), source.getsampwidth(), source.getframerate()) == (1, 2, 48_000)
        assert source.getnframes() == round(7.3 * 48_000)
    samples, rate = read_wav(out)
    assert integrated_loudness(samples, rate) == pytest.approx(MUSIC_LUFS, abs=2.5)
    assert float(np.abs(samples).max()) <= PEAK_CEILING + 1e-4
    # Faded in and out: silent at both ends, full in the middle.
    assert abs(samples[0]) < 1e-3 and abs(samples[-1]) < 1e-3
    middle = samples[rate * 3 : rate * 4]
    assert float(np.sqrt(np.mean(middle**2))) > 0.03


def test_it_is_deterministic(tmp_path):
    first = render_music_bed("bells", 3, tmp_path / "a.wav", sample_rate=24_000)
    second = render_music_bed("bells", 3, tmp_path / "b.wav", sample_rate=24_000)
    assert first.read_bytes() == second.read_bytes()


def test_it_loops_the_tanpura_without_a_click(tmp_path):
    samples, rate = read_wav(render_music_bed("tanpura", 14, tmp_path / "t.wav"))
    # The cycle (5.6 s) repeats exactly: the second cycle equals the first one shifted.
    cycle = round(5.6 * rate)
    start = 3 * rate  # after the fade-in
    assert np.allclose(samples[start : start + rate], samples[start + cycle : start + cycle + rate], atol=2e-4)
    # No jump at the seam bigger than the signal's ordinary sample-to-sample steps.
    steps = np.abs(np.diff(samples[4 * rate : 10 * rate]))
    seam = abs(float(samples[cycle]) - float(samples[cycle - 1]))
    assert seam <= float(steps.max())


def test_it_gives_none_for_no_music(tmp_path):
    assert render_music_bed("none", 10, tmp_path / "none.wav") is None
    assert not (tmp_path / "none.wav").exists()


def test_it_refuses_an_unknown_kind(tmp_path):
    with pytest.raises(ValueError, match="unknown music bed"):
        render_music_bed("sitar", 10, tmp_path / "x.wav")


def test_it_renders_a_minute_quickly(tmp_path):
    started = time.perf_counter()
    render_music_bed("tanpura", 60, tmp_path / "minute.wav")
    # About 0.35 s on one core of the 2-core CI machine; generous for a busy runner.
    assert time.perf_counter() - started < 3.0
