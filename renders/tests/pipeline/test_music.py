from __future__ import annotations

import threading
import time
import wave

import numpy as np
import pytest

from renders.pipeline import music
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


@pytest.fixture
def cold_music():
    """No drone or bells made yet in this process (each test starts cold, and leaves it so)."""
    caches = (music._parts_made, music._tanpura_cycle)  # a test may monkeypatch the names
    for cached in caches:
        cached.cache_clear()
    yield
    for cached in caches:
        cached.cache_clear()


@pytest.mark.parametrize("kind", ["tanpura", "bells"])
def test_a_bed_after_the_warm_up_is_the_bed_made_cold_and_makes_nothing_again(tmp_path, kind, cold_music, monkeypatch):
    cold = render_music_bed(kind, 3, tmp_path / "cold.wav", sample_rate=24_000).read_bytes()
    music._parts_made.cache_clear()
    music._tanpura_cycle.cache_clear()
    music.warm_up(kind, 24_000)

    def made_again(*args, **kwargs):
        raise AssertionError("the warm-up's parts were made again")

    monkeypatch.setattr(music, "_loop_gain", made_again)
    monkeypatch.setattr(music, "_bell", made_again)
    assert render_music_bed(kind, 3, tmp_path / "warm.wav", sample_rate=24_000).read_bytes() == cold


def test_threads_asking_for_the_parts_at_once_make_them_once(cold_music, monkeypatch):
    made: list[int] = []
    synthesise = music._tanpura_cycle

    def counted(sample_rate):
        made.append(sample_rate)
        time.sleep(0.05)  # long enough for the other thread to ask meanwhile
        return synthesise(sample_rate)

    monkeypatch.setattr(music, "_tanpura_cycle", counted)
    threads = [threading.Thread(target=music.warm_up, args=("tanpura", 24_000)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made == [24_000]
    cycle, bells = music._parts("tanpura", 24_000)
    assert bells == () and not cycle.flags.writeable  # shared by every later bed: read-only


def test_the_warm_up_leaves_no_music_and_an_unknown_kind_to_the_bed(cold_music):
    music.warm_up("none")
    music.warm_up("sitar")
    assert music._parts_made.cache_info().currsize == 0


def test_the_pluck_phasor_made_a_second_at_a_time_has_the_whole_computations_values():
    rate, count = 24_000.0, 336_017
    t = np.arange(count, dtype=np.float64) / rate
    whole = np.exp(2j * np.pi * 138.59 * t).astype(np.complex64)
    assert np.array_equal(music._phasor(138.59, count, rate), whole)
