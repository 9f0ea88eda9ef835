"""Music beds synthesised offline with numpy: a tanpura drone, or temple bells over a quiet drone. No Django here.

Nothing is downloaded and no sample library is needed, so every render has a bed and the same
inputs always give the same file (deterministic seeds, no clock). The tanpura is built once as
one seamless cycle (Pa–Sa–Sa–Sa, each pluck's long tail wrapped around the cycle's end) and
tiled; bells are two pre-rendered strikes placed at seeded times. The file is written in
chunks, so memory stays at a few seconds of audio whatever the length.

Levels: the bed is normalised to MUSIC_LUFS; compose sets its level under the voice
(RenderSettings.music_db) and ducks it while narration plays.
"""

from __future__ import annotations

import math
import os
import threading
import wave
from functools import cache
from pathlib import Path

import numpy as np

from renders.pipeline.audio import float_to_pcm16, integrated_loudness

KINDS = ("tanpura", "bells", "none")
MUSIC_LUFS = -18.0
PEAK_CEILING = 10 ** (-3 / 20)
SA_HZ = 138.59  # C♯3, a common tanpura Sa
# The pluck cycle: (string, offset in seconds); the gap after the low Sa lets the cycle breathe.
_CYCLE_SEC = 5.6
_PLUCKS = (("pa", 0.0), ("sa", 1.25), ("sa2", 2.5), ("low_sa", 3.75))
_STRINGS = {"pa": SA_HZ * 3 / 4, "sa": SA_HZ, "sa2": SA_HZ * 1.0018, "low_sa": SA_HZ / 2}
_NOTE_SEC = 14.0  # long enough for a tail to fall ~45 dB before it is cut
_CHUNK_SEC = 10.0
_FADE_IN_SEC = 2.5
_FADE_OUT_SEC = 4.0


def _pluck(frequency: float, rate: float, seed: int) -> np.ndarray:
    """One tanpura pluck: many harmonics whose bright band sweeps down as the note decays.

    That moving band is what the jawari bridge does to a tanpura string: the buzz starts high
    and glides towards the fundamental. Harmonics come from a complex phasor raised to
    successive powers (one multiply per harmonic instead of a sine), envelopes at a 64-sample
    control rate.
    """
    rng = np.random.default_rng(seed)
    count = int(_NOTE_SEC * rate)
    control = 64
    t_control = (np.arange(0, count, control, dtype=np.float64) / rate).astype(np.float32)
    band_centre = np.log2(650.0 + 2800.0 * np.exp(-t_control / 1.3))
    phasor = _phasor(frequency, count, rate)
    power = np.ones_like(phasor)
    out = np.zeros(count, dtype=np.float32)
    harmonics = min(40, int(0.45 * rate / frequency))
    decay = 3.8 if frequency < 100 else 3.2
    for harmonic in range(1, harmonics + 1):
        power *= phasor
        band = np.exp(-(((np.log2(harmonic * frequency) - band_centre) / 0.6) ** 2))
        envelope = harmonic**-0.8 * np.exp(-t_control * (1 + 0.035 * harmonic) / decay) * (0.3 + 1.4 * band)
        envelope = np.repeat(envelope.astype(np.float32), control)[:count]
        phase = rng.uniform(0.0, 2 * np.pi)
        out += envelope * (power.imag * np.float32(math.cos(phase)) + power.real * np.float32(math.sin(phase)))
    attack = int(0.006 * rate)
    out[:attack] *= np.linspace(0.0, 1.0, attack, dtype=np.float32)
    release = int(0.5 * rate)
    out[-release:] *= np.linspace(1.0, 0.0, release, dtype=np.float32)
    return out


def _phasor(frequency: float, count: int, rate: float) -> np.ndarray:
    """exp(2πi·f·t) for samples 0..count-1, as complex64, made a second at a time: made whole, its
    float64 times and complex128 values held ~11 MB at once (a 14 s note at 24 kHz). The values
    are the whole computation's, element for element."""
    phasor = np.empty(count, dtype=np.complex64)
    step = max(1, int(rate))
    for first in range(0, count, step):
        t = np.arange(first, min(count, first + step), dtype=np.float64) / rate
        phasor[first : first + t.size] = np.exp(2j * np.pi * frequency * t)
    return phasor


def _upsample_periodic(loop: np.ndarray, factor: int) -> np.ndarray:
    """Band-limited upsampling of one period of a periodic signal, exact at the seam."""
    spectrum = np.fft.rfft(loop.astype(np.float64))
    size = loop.size * factor
    padded = np.zeros(size // 2 + 1, dtype=np.complex128)
    padded[: spectrum.size] = spectrum
    return (np.fft.irfft(padded, n=size) * factor).astype(np.float32)


@cache
def _tanpura_cycle(sample_rate: int) -> np.ndarray:
    """One seamless pluck cycle at sample_rate (synthesised at half rate: the harmonics stop near 6 kHz).

    Cached per process (about 1 MB): every later bed at this rate skips the synthesis. Callers
    must not modify the array.
    """
    rate = sample_rate / 2
    length = round(_CYCLE_SEC * rate)
    cycle = np.zeros(length, dtype=np.float32)
    for seed, (string, offset) in enumerate(_PLUCKS):
        note = _pluck(_STRINGS[string], rate, seed) * (0.8 if string == "low_sa" else 1.0)
        folds = math.ceil(note.size / length)
        wrapped = np.zeros(folds * length, dtype=np.float32)
        wrapped[: note.size] = note
        cycle += np.roll(wrapped.reshape(folds, length).sum(axis=0), round(offset * rate))
    upsampled = _upsample_periodic(cycle, 2)
    upsampled.flags.writeable = False
    return upsampled


def _bell(frequency: float, rate: int, seed: int) -> np.ndarray:
    """A soft brass temple-bell strike: inharmonic partials in slightly detuned pairs (the slow beat)."""
    rng = np.random.default_rng(seed)
    count = int(7.0 * rate)
    t = np.arange(count, dtype=np.float32) / rate
    out = np.zeros(count, dtype=np.float32)
    # (ratio to the strike note, level, decay seconds) after measured small-bell spectra.
    partials = ((0.5, 0.35, 5.0), (1.0, 1.0, 3.5), (1.19, 0.4, 2.6), (1.5, 0.35, 2.2), (2.0, 0.5, 1.8),
                (2.74, 0.25, 1.2), (3.76, 0.15, 0.8), (5.4, 0.08, 0.5))  # fmt: skip
    for ratio, level, decay in partials:
        for detune in (-0.7, 0.7):  # two modes a hair apart beat against each other
            phase = rng.uniform(0.0, 2 * np.pi)
            hz = frequency * ratio + detune
            out += level * np.exp(-t / decay) * np.sin(2 * np.pi * hz * t + phase).astype(np.float32)
    attack = int(0.004 * rate)
    out[:attack] *= np.linspace(0.0, 1.0, attack, dtype=np.float32)
    return out


def _strikes(duration_sec: float, seed: int) -> list[tuple[float, int, float]]:
    """(time, bell index, gain) for seeded strikes every 4.5–7.5 s after the fade-in."""
    rng = np.random.default_rng(seed)
    strikes, time = [], 1.5
    while time < duration_sec - 1.0:
        strikes.append((time, int(rng.integers(0, 2)), float(rng.uniform(0.55, 1.0))))
        time += float(rng.uniform(4.5, 7.5))
    return strikes


def _fade(total: int, start: int, count: int, sample_rate: int) -> np.ndarray | None:
    """Raised-cosine fade gains for samples [start, start+count) of a track `total` samples long."""
    fade_in = min(round(_FADE_IN_SEC * sample_rate), total // 3)
    fade_out = min(round(_FADE_OUT_SEC * sample_rate), total // 3)
    if start >= fade_in and start + count <= total - fade_out:
        return None
    index = np.arange(start, start + count, dtype=np.float64)
    gain = np.ones(count, dtype=np.float64)
    if fade_in:
        gain = np.minimum(gain, 0.5 - 0.5 * np.cos(np.pi * np.clip(index / fade_in, 0, 1)))
    if fade_out:
        gain = np.minimum(gain, 0.5 - 0.5 * np.cos(np.pi * np.clip((total - index) / fade_out, 0, 1)))
    return gain.astype(np.float32)


def _loop_gain(loop: np.ndarray, sample_rate: int, target_lufs: float, ceiling: float = PEAK_CEILING) -> float:
    """Gain that brings a loop to the target loudness without peaks above the ceiling."""
    loudness = integrated_loudness(np.tile(loop, 2), sample_rate)
    gain = 10 ** ((target_lufs - loudness) / 20) if math.isfinite(loudness) else 1.0
    peak = float(np.abs(loop).max()) * gain
    return gain * min(1.0, ceiling / peak) if peak > 0 else gain


_PARTS_LOCK = threading.Lock()


def _parts(kind: str, sample_rate: int) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """The bed's drone cycle at its loudness and its bells at theirs, read-only, made once per
    process and kind (~1 MB each): a later bed, whatever its length, only tiles and writes them.
    Threads asking at once wait for the first one's. Precondition: `kind` is in KINDS."""
    with _PARTS_LOCK:
        return _parts_made(kind, sample_rate)


@cache
def _parts_made(kind: str, sample_rate: int) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    cycle = _tanpura_cycle(sample_rate).copy()
    bells: list[np.ndarray] = []
    if kind == "tanpura":
        cycle *= np.float32(_loop_gain(cycle, sample_rate, MUSIC_LUFS))
    else:
        # A drone 14 dB under the bells, which carry the bed.
        cycle *= np.float32(_loop_gain(cycle, sample_rate, MUSIC_LUFS - 14))
        bells = [_bell(SA_HZ * 4, sample_rate, 11), _bell(SA_HZ * 3, sample_rate, 12)]
        # Headroom for a strike landing on the drone's crest: the bed is never hard-clipped.
        bell_gain = np.float32(_loop_gain(bells[0], sample_rate, MUSIC_LUFS, PEAK_CEILING * 0.8))
        bells = [bell * bell_gain for bell in bells]
    for part in (cycle, *bells):
        part.flags.writeable = False
    return cycle, tuple(bells)


def warm_up(kind: str, sample_rate: int = 48000) -> None:
    """Make what every bed of `kind` is built from now (e.g. on a thread while the narration is
    spoken, when a core is free), so the bed itself later costs only its writing. Does nothing
    for "none" or an unknown kind (render_music_bed reports that)."""
    if kind in KINDS and kind != "none":
        _parts(kind, sample_rate)


def render_music_bed(kind: str, duration_sec: float, out: Path, sample_rate: int = 48000) -> Path | None:
    """Write a mono 16-bit WAV bed of exactly round(duration_sec * sample_rate) samples; None for "none".

    Raises ValueError for an unknown kind or a non-positive duration.
    """
    if kind == "none":
        return None
    if kind not in KINDS:
        raise ValueError(f"unknown music bed {kind!r} (use one of {', '.join(KINDS)})")
    if duration_sec <= 0:
        raise ValueError("a music bed needs a positive duration")
    if sample_rate % 2:
        raise ValueError("sample_rate must be even")

    total = round(duration_sec * sample_rate)
    cycle, bells = _parts(kind, sample_rate)
    strikes: list[tuple[int, int, float]] = []
    if bells:
        strikes = [(round(time * sample_rate), which, gain) for time, which, gain in _strikes(duration_sec, 7)]

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    chunk = round(_CHUNK_SEC * sample_rate)
    with wave.open(str(partial), "wb") as sink:
        sink.setnchannels(1)
        sink.setsampwidth(2)
        sink.setframerate(sample_rate)
        for start in range(0, total, chunk):
            count = min(chunk, total - start)
            samples = np.take(cycle, np.arange(start, start + count) % cycle.size)
            for at, which, gain in strikes:
                bell = bells[which]
                low, high = max(start, at), min(start + count, at + bell.size)
                if low < high:
                    samples[low - start : high - start] += gain * bell[low - at : high - at]
            fade = _fade(total, start, count, sample_rate)
            if fade is not None:
                samples *= fade
            sink.writeframes(float_to_pcm16(np.clip(samples, -PEAK_CEILING, PEAK_CEILING)))
    os.replace(partial, out)
    return out
