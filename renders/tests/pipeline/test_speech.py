from __future__ import annotations

import wave

import numpy as np
import pytest

from renders.pipeline.audio import integrated_loudness, read_wav
from renders.pipeline.context import SAMPLE_RATE, Callbacks, Canceled, Cue, RenderError, RenderSettings
from renders.pipeline.espeak import EspeakSpeech
from renders.pipeline.plan import Limits, parse_plan
from renders.pipeline.providers.base import ProviderError, ProviderSet, Speech
from renders.pipeline.speech import LEAD_IN_SEC, SENTENCE_PAUSE_SEC, narrate_plan


class ToneVoice:
    """A stand-in voice: 60 ms of tone per character at 24 kHz between 0.1 s of silence, one word cue each."""

    def __init__(self, name: str = "tone", amplitude: float = 0.3):
        self.name = name
        self.amplitude = amplitude
        self.calls: list[str] = []

    def synthesize(self, text: str, language: str, voice: str) -> Speech:
        self.calls.append(text)
        rate = 24_000
        tone_sec = 0.06 * len(text)
        t = np.arange(int(tone_sec * rate)) / rate
        tone = self.amplitude * np.sin(2 * np.pi * 220 * t)
        silence = np.zeros(int(0.1 * rate))
        samples = np.concatenate([silence, tone, silence])
        pcm = np.round(samples * 32767).astype("<i2").tobytes()
        words, start = [], 0.1
        for word in text.split():
            length = 0.06 * (len(word) + 1)
            words.append(Cue(start, start + length, word.strip(".,!?।")))
            start += length
        return Speech(pcm=pcm, sample_rate=rate, words=tuple(words))


class BrokenVoice:
    name = "cloud"

    def __init__(self):
        self.calls = 0

    def synthesize(self, text: str, language: str, voice: str) -> Speech:
        self.calls += 1
        raise ProviderError("quota exceeded")


def _plan(scenes, language="en", fps=30):
    return parse_plan({"title": "Prahlad", "language": language, "fps": fps, "voice": "female", "scenes": scenes})


def _settings(tmp_path):
    return RenderSettings(work_dir=tmp_path / "job", cache_dir=tmp_path / "cache", narration_padding_sec=0.6)


def _scene(narration: str, duration: float = 1) -> dict:
    return {"image_prompt": "a temple at dawn", "narration": narration, "duration_sec": duration}


def _frames(wav) -> int:
    with wave.open(str(wav), "rb") as source:
        assert source.getnchannels() == 1 and source.getsampwidth() == 2 and source.getframerate() == SAMPLE_RATE
        return source.getnframes()


def test_it_makes_a_scene_as_long_as_its_narration_needs_and_frame_aligned(tmp_path):
    voice = ToneVoice()
    plan = _plan([_scene("Prahlad prayed every single day. He was never afraid.", 1), _scene("Om.", 6)], fps=24)
    narration = narrate_plan(plan, _settings(tmp_path), Callbacks(), ProviderSet(speech=[voice]))

    long, short = narration.scenes
    # The tone voice makes 60 ms per character; trimming keeps small margins around the sound.
    assert long.speech_sec == pytest.approx(0.06 * (32 + 20) + SENTENCE_PAUSE_SEC, abs=0.2)
    needed = LEAD_IN_SEC + long.speech_sec + 0.6
    assert needed <= long.duration_sec < needed + 1 / 24 + 1e-9
    assert short.duration_sec == 6.0
    for scene in narration.scenes:
        frames = scene.duration_sec * 24
        assert abs(frames - round(frames)) < 1e-6
        assert _frames(scene.wav) == round(scene.duration_sec * SAMPLE_RATE)
    assert narration.total_sec == pytest.approx(long.duration_sec + 6.0)
    assert narration.provider == "tone"


def test_it_leaves_a_scene_without_narration_silent(tmp_path):
    voice = ToneVoice()
    plan = _plan([_scene("", 2.5), _scene("🙏 ---", 1.01), _scene("Jai.", 1)])
    narration = narrate_plan(plan, _settings(tmp_path), Callbacks(), ProviderSet(speech=[voice]))
    empty, emoji, spoken = narration.scenes
    assert (empty.wav, empty.speech_sec, empty.duration_sec, empty.sentences) == (None, 0.0, 2.5, ())
    assert emoji.wav is None and emoji.duration_sec == pytest.approx(31 / 30)  # rounded up to a frame
    assert spoken.wav is not None and voice.calls == ["Jai."]


def test_it_times_each_sentence_inside_its_scene(tmp_path):
    voice = ToneVoice()
    plan = _plan([_scene("First sentence here. **Second** one! Third?", 2)])
    scene = narrate_plan(plan, _settings(tmp_path), Callbacks(), ProviderSet(speech=[voice])).scenes[0]

    assert [cue.text for cue in scene.sentences] == ["First sentence here.", "Second one!", "Third?"]
    assert voice.calls == ["First sentence here.", "Second one!", "Third?"]
    assert scene.sentences[0].start == pytest.approx(LEAD_IN_SEC)
    assert scene.sentences[-1].end == pytest.approx(LEAD_IN_SEC + scene.speech_sec, abs=0.002)
    for before, after in zip(scene.sentences, scene.sentences[1:], strict=False):
        assert after.start - before.end == pytest.approx(SENTENCE_PAUSE_SEC, abs=0.002)
    for cue in scene.sentences:
        assert 0 <= cue.start < cue.end <= scene.duration_sec
        assert cue.end - cue.start == pytest.approx(0.06 * len(cue.text), abs=0.1)
    assert [word.text for word in scene.words] == ["First", "sentence", "here", "Second", "one", "Third"]
    assert all(any(s.start <= w.start < w.end <= s.end for s in scene.sentences) for w in scene.words)

    # The WAV is silent during the lead-in and audible where the first sentence is.
    samples, _rate = read_wav(scene.wav)
    lead = samples[: int(LEAD_IN_SEC * SAMPLE_RATE) - 10]
    assert float(np.abs(lead).max()) == 0.0
    first = samples[int(scene.sentences[0].start * SAMPLE_RATE) : int(scene.sentences[0].end * SAMPLE_RATE)]
    assert float(np.abs(first).max()) > 0.1


def test_it_levels_every_scene_to_the_same_loudness_without_clipping(tmp_path):
    quiet, loud = ToneVoice("quiet", amplitude=0.02), ToneVoice("loud", amplitude=0.99)
    levels = []
    for index, voice in enumerate([quiet, loud]):
        plan = _plan([_scene("A steady tone for a while.", 1)])
        narration = narrate_plan(plan, _settings(tmp_path / str(index)), Callbacks(), ProviderSet(speech=[voice]))
        samples, rate = read_wav(narration.scenes[0].wav)
        levels.append(integrated_loudness(samples, rate))
        assert float(np.abs(samples).max()) <= 10 ** (-1 / 20) + 1e-4
    assert levels[0] == pytest.approx(-16, abs=1.0)
    assert levels[1] == pytest.approx(levels[0], abs=1.0)


def test_it_speaks_hindi_with_espeak_and_keeps_devanagari_cues(tmp_path):
    plan = _plan([_scene("प्रह्लाद ने प्रार्थना की। वह निडर था।", 1)], language="hi")
    narration = narrate_plan(plan, _settings(tmp_path), Callbacks(), ProviderSet(speech=[EspeakSpeech()]))
    scene = narration.scenes[0]
    assert [cue.text for cue in scene.sentences] == ["प्रह्लाद ने प्रार्थना की।", "वह निडर था।"]
    assert [cue.text for cue in scene.words] == ["प्रह्लाद", "ने", "प्रार्थना", "की", "वह", "निडर", "था"]
    assert scene.speech_sec > 1.5 and narration.provider == "espeak"
    samples, rate = read_wav(scene.wav)
    assert integrated_loudness(samples, rate) == pytest.approx(-16, abs=1.5)


def test_it_reuses_scene_audio_when_the_inputs_are_unchanged(tmp_path):
    settings = _settings(tmp_path)
    voice = ToneVoice()
    scenes = [_scene("One. Two.", 1), _scene("Three.", 1)]
    first = narrate_plan(_plan(scenes), settings, Callbacks(), ProviderSet(speech=[voice]))
    assert len(voice.calls) == 3

    again = narrate_plan(_plan(scenes), settings, Callbacks(), ProviderSet(speech=[voice]))
    assert len(voice.calls) == 3  # nothing synthesised twice
    assert again == first

    # A longer requested duration only re-cuts the WAV's silent tail; new text is spoken again.
    scenes = [_scene("One. Two.", 4), _scene("Three, changed.", 1)]
    edited = narrate_plan(_plan(scenes), settings, Callbacks(), ProviderSet(speech=[voice]))
    assert voice.calls[3:] == ["Three, changed."]
    assert edited.scenes[0].duration_sec == 4.0 and edited.scenes[0].sentences == first.scenes[0].sentences
    assert _frames(edited.scenes[0].wav) == 4 * SAMPLE_RATE

    # Another voice is other input: synthesised again.
    plan = parse_plan({**_plan(scenes).to_dict(), "voice": "male"})
    narrate_plan(plan, settings, Callbacks(), ProviderSet(speech=[voice]))
    assert len(voice.calls) == 4 + 3


def test_it_falls_back_to_espeak_and_logs_why(tmp_path):
    broken = BrokenVoice()
    logs: list[tuple[str, str]] = []
    plan = _plan([_scene("Prahlad prayed.", 1), _scene("Vishnu came.", 1)])
    narration = narrate_plan(
        plan,
        _settings(tmp_path),
        Callbacks(log=lambda *entry: logs.append(entry)),
        ProviderSet(speech=[broken, EspeakSpeech()]),
    )
    assert narration.provider == "espeak"
    assert all(scene.wav is not None and scene.speech_sec > 0.5 for scene in narration.scenes)
    warnings = [message for level, message in logs if level == "warning"]
    assert warnings == ["scene 1 narration: cloud failed (quota exceeded); falling back to espeak"]
    assert broken.calls == 1  # later scenes keep the voice that worked: one voice per video


def test_it_fails_readably_when_no_voice_works(tmp_path):
    plan = _plan([_scene("Prahlad prayed.", 1)])
    with pytest.raises(RenderError, match="Scene 1") as caught:
        narrate_plan(plan, _settings(tmp_path), Callbacks(), ProviderSet(speech=[BrokenVoice()]))
    assert caught.value.step == "speech" and "quota exceeded" in str(caught.value)


def test_it_reports_progress_files_and_stops_when_canceled(tmp_path):
    progress: list[float] = []
    produced: list[str] = []
    plan = _plan([_scene("One.", 1), _scene("", 1), _scene("Three.", 1)])
    callbacks = Callbacks(
        progress=lambda step, fraction: progress.append(fraction) if step == "speech" else None,
        produced=lambda step, paths: produced.extend(f"{step}:{path.name}" for path in paths),
    )
    narrate_plan(plan, _settings(tmp_path), callbacks, ProviderSet(speech=[ToneVoice()]))
    assert progress == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert produced == ["speech:scene_00.wav", "speech:scene_02.wav"]

    voice = ToneVoice()
    checks = iter([False, True])
    canceled = Callbacks(is_canceled=lambda: next(checks, True))
    with pytest.raises(Canceled):
        narrate_plan(plan, _settings(tmp_path / "other"), canceled, ProviderSet(speech=[voice]))
    assert voice.calls == ["One."]


def test_it_stops_before_compose_when_the_real_narration_breaks_a_limit(tmp_path):
    # The plan's estimate let it through; a slower voice (here 60 ms a character) makes it too long.
    plan = _plan([_scene("Om."), _scene("Prahlad prayed every single day, and he was never afraid.")])
    settings = RenderSettings(
        work_dir=tmp_path / "job", cache_dir=tmp_path / "cache", limits=Limits(max_scene_duration_sec=3)
    )
    with pytest.raises(RenderError, match=r"^Scene 2's narration takes 3\.\d seconds to speak") as stopped:
        narrate_plan(plan, settings, Callbacks(), ProviderSet(speech=[ToneVoice()]))
    assert stopped.value.step == "speech"
    assert "a scene may last at most 3 seconds" in str(stopped.value)

    total = RenderSettings(
        work_dir=tmp_path / "job", cache_dir=tmp_path / "cache", limits=Limits(max_total_duration_sec=5)
    )
    with pytest.raises(RenderError, match=r"the video would last \d+\.\d seconds; a video may last at most 5 seconds"):
        narrate_plan(plan, total, Callbacks(), ProviderSet(speech=[ToneVoice()]))
