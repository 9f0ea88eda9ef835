"""The speech step: each scene's narration becomes one WAV with measured sentence and word cues. No Django here.

Narration is synthesised sentence by sentence, so every sentence's real length is known and
its subtitle cue is exact. Each sentence clip is resampled to SAMPLE_RATE, trimmed of the
engine's own leading/trailing silence and joined to the next with a fixed pause; the scene is
then levelled to a common loudness (every scene sounds equally loud, whichever engine spoke).

What compose can rely on: `scene_XX.wav` is mono 16-bit at SAMPLE_RATE, starts at the scene's
start (narration begins after LEAD_IN_SEC of silence) and lasts exactly `duration_sec`, which
is a whole number of frames; all cue times are relative to the scene's start.

Resume: next to each WAV a JSON sidecar records the cues and a hash of what made the audio
(cleaned text, language, voice, the configured provider chain, processing constants). A rerun
with the same inputs reuses the WAV, only re-cutting its silent tail if the scene's length
changed, so a retried job never pays a cloud voice twice.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from renders.pipeline.audio import (
    SPEECH_LUFS,
    normalize_loudness,
    pcm16_to_float,
    read_wav,
    resample,
    sound_bounds,
    wav_frames,
    write_wav,
)
from renders.pipeline.context import (
    SAMPLE_RATE,
    Callbacks,
    Cue,
    Narration,
    RenderError,
    RenderSettings,
    SceneNarration,
)
from renders.pipeline.plan import Limits, Plan, Scene
from renders.pipeline.providers.base import ProviderError, ProviderSet, Speech, SpeechProvider, with_fallback
from renders.pipeline.spoken_length import LEAD_IN_SEC, SENTENCE_PAUSE_SEC, scene_sec
from renders.pipeline.text import clean_narration, split_sentences

_FORMAT_VERSION = 1  # bump when the audio processing changes, so cached scene WAVs are redone


@dataclass(frozen=True)
class _SpokenScene:
    samples: np.ndarray  # lead-in + speech, levelled, at SAMPLE_RATE
    speech_sec: float
    sentences: tuple[Cue, ...]
    words: tuple[Cue, ...]
    provider: str


def frames_ceil(seconds: float, fps: int) -> float:
    """Seconds rounded up to a whole number of frames (tolerating float noise)."""
    return math.ceil(seconds * fps - 1e-6) / fps


def scene_duration(requested_sec: float, speech_sec: float, padding_sec: float, fps: int) -> float:
    """A scene lasts as long as asked, or as long as its narration (with lead-in and padding) needs."""
    return frames_ceil(scene_sec(requested_sec, speech_sec, padding_sec), fps)


def _input_hash(text: str, language: str, voice: str, provider_names: Sequence[str]) -> str:
    payload = {
        "version": _FORMAT_VERSION,
        "text": text,
        "language": language,
        "voice": voice,
        "providers": list(provider_names),
        "sample_rate": SAMPLE_RATE,
        "lead_in": LEAD_IN_SEC,
        "pause": SENTENCE_PAUSE_SEC,
        "lufs": SPEECH_LUFS,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _synthesize_sentences(
    provider: SpeechProvider, sentences: Sequence[str], language: str, voice: str
) -> list[Speech]:
    """Every sentence from one provider, so a scene never switches voice halfway."""
    spoken = []
    for sentence in sentences:
        speech = provider.synthesize(sentence, language, voice)
        if speech.sample_rate <= 0 or len(speech.pcm) % 2:
            raise ProviderError(f"returned malformed audio ({len(speech.pcm)} bytes at {speech.sample_rate} Hz)")
        spoken.append(speech)
    return spoken


def _assemble(sentences: Sequence[str], speeches: Sequence[Speech], provider: str) -> _SpokenScene | None:
    """Join trimmed sentence clips with pauses after a lead-in; measure cues; level loudness."""
    lead_in = round(LEAD_IN_SEC * SAMPLE_RATE)
    pause = np.zeros(round(SENTENCE_PAUSE_SEC * SAMPLE_RATE), dtype=np.float32)
    parts: list[np.ndarray] = [np.zeros(lead_in, dtype=np.float32)]
    position = lead_in
    sentence_cues: list[Cue] = []
    word_cues: list[Cue] = []
    for sentence, speech in zip(sentences, speeches, strict=True):
        samples = resample(pcm16_to_float(speech.pcm), speech.sample_rate, SAMPLE_RATE)
        start, end = sound_bounds(samples, SAMPLE_RATE)
        if end <= start:
            continue  # nothing audible came back for this sentence
        if sentence_cues:
            parts.append(pause)
            position += pause.size
        clip = samples[start:end]
        begin_sec, end_sec = position / SAMPLE_RATE, (position + clip.size) / SAMPLE_RATE
        sentence_cues.append(Cue(round(begin_sec, 3), round(end_sec, 3), sentence))
        shift = begin_sec - start / SAMPLE_RATE
        for word in speech.words:
            word_start = min(max(word.start + shift, begin_sec), end_sec)
            word_end = min(max(word.end + shift, word_start), end_sec)
            if word_end > word_start:
                word_cues.append(Cue(round(word_start, 3), round(word_end, 3), word.text))
        parts.append(clip)
        position += clip.size
    if not sentence_cues:
        return None
    levelled = normalize_loudness(np.concatenate(parts), SAMPLE_RATE, SPEECH_LUFS)
    return _SpokenScene(
        samples=levelled,
        speech_sec=round((position - lead_in) / SAMPLE_RATE, 3),
        sentences=tuple(sentence_cues),
        words=tuple(word_cues),
        provider=provider,
    )


def _write_scene(wav: Path, sidecar: Path, spoken: _SpokenScene, duration_sec: float, key: str) -> None:
    total = round(duration_sec * SAMPLE_RATE)
    padded = np.zeros(total, dtype=np.float32)
    padded[: min(total, spoken.samples.size)] = spoken.samples[:total]
    write_wav(wav, padded, SAMPLE_RATE)
    record = {
        "key": key,
        "provider": spoken.provider,
        "speech_sec": spoken.speech_sec,
        "speech_samples": int(spoken.samples.size),
        "sentences": [[cue.start, cue.end, cue.text] for cue in spoken.sentences],
        "words": [[cue.start, cue.end, cue.text] for cue in spoken.words],
    }
    partial = sidecar.with_name(f".{sidecar.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(record, ensure_ascii=False))
    os.replace(partial, sidecar)


def _load_cached(wav: Path, sidecar: Path, key: str) -> _SpokenScene | None:
    """The scene's earlier audio when it was made from the same inputs; None otherwise."""
    try:
        record: dict[str, Any] = json.loads(sidecar.read_text())
        if record.get("key") != key:
            return None
        samples, rate = read_wav(wav)
        speech_samples = int(record["speech_samples"])
        if rate != SAMPLE_RATE or samples.ndim != 1 or samples.size < speech_samples:
            return None
        return _SpokenScene(
            samples=samples[:speech_samples],
            speech_sec=float(record["speech_sec"]),
            sentences=tuple(Cue(float(s), float(e), str(t)) for s, e, t in record["sentences"]),
            words=tuple(Cue(float(s), float(e), str(t)) for s, e, t in record["words"]),
            provider=str(record["provider"]),
        )
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None  # missing or damaged: synthesise again


def _shared_paths(cache_dir: Path, key: str) -> tuple[Path, Path]:
    wav = cache_dir / "speech" / key[:2] / f"{key}.wav"
    return wav, wav.with_suffix(".json")


def _load_shared(cache_dir: Path, key: str) -> _SpokenScene | None:
    """The same narration spoken for any earlier job (another version of the video, a retry).

    Engines are not bit-exact from one call to the next (espeak-ng's length wanders by a few
    samples), so speaking it again would shift cues and frame counts and miss every cached
    segment; reusing the first take keeps an unchanged scene's segments hits, and a cloud voice
    is never paid twice for the same words.
    """
    wav, sidecar = _shared_paths(cache_dir, key)
    spoken = _load_cached(wav, sidecar, key)
    if spoken is not None:
        _touch(wav, sidecar)
    return spoken


def _touch(*paths: Path) -> None:
    """A hit refreshes the files' age, as for segments: retention prunes what has not been used."""
    for path in paths:
        try:
            os.utime(path)
        except OSError:
            pass


def _store_shared(cache_dir: Path, key: str, spoken: _SpokenScene) -> None:
    """Keep this take for later jobs; the first take of a key stays (written aside, then renamed)."""
    wav, sidecar = _shared_paths(cache_dir, key)
    if sidecar.exists():
        return
    try:
        wav.parent.mkdir(parents=True, exist_ok=True)
        partial_wav = wav.with_name(f".{wav.stem}.{os.getpid()}.partial.wav")
        partial_sidecar = wav.with_name(f".{wav.stem}.{os.getpid()}.partial.json")
        _write_scene(partial_wav, partial_sidecar, spoken, spoken.samples.size / SAMPLE_RATE, key)
        os.replace(partial_wav, wav)  # the audio first: a sidecar never names audio not yet there
        os.replace(partial_sidecar, sidecar)
    except OSError:
        return  # a cache that cannot be written only costs speaking the words again next time


def narrate_plan(plan: Plan, settings: RenderSettings, callbacks: Callbacks, providers: ProviderSet) -> Narration:
    """Synthesise every scene's narration (or reuse it), returning timings for subtitles and compose.

    Raises RenderError when no configured speech provider can voice a scene.
    """
    out_dir = settings.work_dir / "speech"
    configured = list(providers.speech)
    names = [provider.name for provider in configured]
    # Once a provider has failed, later scenes start at the one that worked: one voice per video.
    chain = configured
    used: list[str] = []
    scenes: list[SceneNarration] = []
    total = len(plan.scenes)
    for index, scene in enumerate(plan.scenes):
        callbacks.check_canceled()
        text = clean_narration(scene.narration)
        spoken: _SpokenScene | None = None
        if text:
            if not chain:
                raise RenderError("No speech provider is configured, so narration cannot be voiced.", step="speech")
            wav = out_dir / f"scene_{index:02d}.wav"
            sidecar = wav.with_suffix(".json")
            key = _input_hash(text, plan.language, plan.voice, names)
            spoken = _load_cached(wav, sidecar, key) or _load_shared(settings.cache_dir, key)
            if spoken is None:
                spoken, chain = _speak_scene(index, text, plan, chain, callbacks)
                if spoken is not None:
                    _store_shared(settings.cache_dir, key, spoken)
                if spoken is None:
                    callbacks.log("warning", f"scene {index + 1}: the voice returned only silence; scene left silent")
            if spoken is not None:
                if spoken.provider not in used:
                    used.append(spoken.provider)
                scenes.append(_narrated_scene(index, scene, spoken, wav, sidecar, key, settings, plan.fps))
                callbacks.produced("speech", [wav])
        if spoken is None:
            duration = scene_duration(scene.duration_sec, 0.0, settings.narration_padding_sec, plan.fps)
            scenes.append(SceneNarration(index=index, wav=None, speech_sec=0.0, duration_sec=duration, sentences=()))
        callbacks.progress("speech", (index + 1) / total)
    provider = "+".join(used) if used else (names[0] if names else "none")
    narration = Narration(scenes=tuple(scenes), provider=provider)
    check_spoken_lengths(narration, settings.limits, plan.fps)
    return narration


def check_spoken_lengths(narration: Narration, limits: Limits, fps: int) -> None:
    """RenderError unless every scene and the whole video keep to the limits once spoken.

    parse_plan refused what its estimate said was too long; a voice slower than the estimate's
    (a cloud voice, an unusual text) is caught here, before the long compose step. One frame of
    rounding is allowed, as scene lengths are whole frames.
    """
    scene_limit = frames_ceil(limits.max_scene_duration_sec, fps)
    for scene in narration.scenes:
        if scene.duration_sec > scene_limit + 1e-6:
            raise RenderError(
                f"Scene {scene.index + 1}'s narration takes {scene.speech_sec:.1f} seconds to speak, so the scene "
                f"would last {scene.duration_sec:.1f} seconds; a scene may last at most "
                f"{limits.max_scene_duration_sec:g} seconds. Shorten its narration or split it over more scenes.",
                step="speech",
            )
    total_limit = frames_ceil(limits.max_total_duration_sec, fps)
    if narration.total_sec > total_limit + 1e-6:
        raise RenderError(
            f"With its narration spoken, the video would last {narration.total_sec:.1f} seconds; a video may last at "
            f"most {limits.max_total_duration_sec:g} seconds. Shorten the narration or use fewer scenes.",
            step="speech",
        )


def _speak_scene(
    index: int, text: str, plan: Plan, chain: list[SpeechProvider], callbacks: Callbacks
) -> tuple[_SpokenScene | None, list[SpeechProvider]]:
    sentences = split_sentences(text, plan.language)
    try:
        provider, speeches = with_fallback(
            chain,
            lambda provider: _synthesize_sentences(provider, sentences, plan.language, plan.voice),
            callbacks.log,
            f"scene {index + 1} narration",
        )
    except ProviderError as error:
        raise RenderError(f"Scene {index + 1}: no voice could speak its narration ({error}).", step="speech") from error
    return _assemble(sentences, speeches, provider.name), chain[chain.index(provider) :]


def _narrated_scene(
    index: int,
    scene: Scene,
    spoken: _SpokenScene,
    wav: Path,
    sidecar: Path,
    key: str,
    settings: RenderSettings,
    fps: int,
) -> SceneNarration:
    duration = scene_duration(scene.duration_sec, spoken.speech_sec, settings.narration_padding_sec, fps)
    try:
        up_to_date = wav.is_file() and wav_frames(wav) == round(duration * SAMPLE_RATE) and sidecar.is_file()
        if not up_to_date or json.loads(sidecar.read_text()).get("key") != key:
            _write_scene(wav, sidecar, spoken, duration, key)
    except (OSError, ValueError) as error:
        raise RenderError(
            f"Scene {index + 1}: could not write its narration audio ({error}).", step="speech"
        ) from error
    return SceneNarration(
        index=index,
        wav=wav,
        speech_sec=spoken.speech_sec,
        duration_sec=duration,
        sentences=spoken.sentences,
        words=spoken.words,
    )
