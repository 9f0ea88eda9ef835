from __future__ import annotations

import math

import numpy as np
import pytest

from renders.pipeline import audio
from renders.pipeline.audio import integrated_loudness, smooth_length

RATE = 48_000


def _is_smooth(number: int) -> bool:
    for prime in (2, 3, 5):
        while number % prime == 0:
            number //= prime
    return number == 1


@pytest.mark.parametrize("least", [1, 2, 7, 1024, 1025, 4096, 47_999, 291_600, 542_400, 1_048_576, 2_885_000])
def test_the_fft_length_is_the_least_even_2_3_5_smooth_number_not_below_the_ask(least):
    length = smooth_length(least)
    assert length >= least and length % 2 == 0 and _is_smooth(length)
    assert not any(_is_smooth(other) and other % 2 == 0 for other in range(least, length))
    assert length <= 1 << max(1, (least - 1).bit_length())  # never longer than a power of two


def _power_of_two(least: int) -> int:
    return 1 << max(1, (least - 1).bit_length())


@pytest.mark.parametrize("seconds", [0.3, 2.0, 11.2])
def test_loudness_is_the_same_with_the_shorter_fft(seconds, monkeypatch):
    rng = np.random.default_rng(5)
    t = np.arange(int(seconds * RATE)) / RATE
    signal = (0.2 * np.sin(2 * np.pi * 997 * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    signal[: RATE // 10] *= 0.01  # a quiet start, as speech has, for the gate to act on
    shorter = integrated_loudness(signal, RATE)
    monkeypatch.setattr(audio, "smooth_length", _power_of_two)
    assert shorter == pytest.approx(integrated_loudness(signal, RATE), abs=1e-6)
    assert math.isfinite(shorter)


def test_a_full_scale_sine_measures_as_bs1770_says():
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS.
    t = np.arange(5 * RATE) / RATE
    assert integrated_loudness(np.sin(2 * np.pi * 997 * t), RATE) == pytest.approx(-3.01, abs=0.05)
