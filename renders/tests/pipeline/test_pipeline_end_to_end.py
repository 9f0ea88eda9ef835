"""The whole pipeline on tiny proxy plans, with the real local providers (illustrator, espeak-ng).

No Django: `run_pipeline` is what the CLI, the worker task and these tests all call.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from PIL import Image

from conftest import tiny_plan_data
from renders.pipeline.context import Callbacks, RenderSettings
from renders.pipeline.fonts import font_covers
from renders.pipeline.media_probe import count_frames, probe
from renders.pipeline.plan import parse_plan
from renders.pipeline.runner import run_pipeline
from renders.pipeline.subtitles import parse_srt, parse_vtt
from renders.pipeline.thumbnail import thumbnail_size

HINDI_SCENES = [
    {
        "image_prompt": "a child praying by a river",
        "narration": "प्रह्लाद ने नदी के किनारे प्रार्थना की।",
        "duration_sec": 1.5,
    },
    {"image_prompt": "a palace with fire", "narration": "आग ने भक्त प्रह्लाद को नहीं जलाया।", "duration_sec": 1.5},
    {"image_prompt": "Narasimha at dusk", "narration": "भगवान नरसिंह प्रकट हुए।", "duration_sec": 1.0},
]


def _settings(root: Path) -> RenderSettings:
    return RenderSettings(work_dir=root / "work", cache_dir=root / "cache", proxy_short_side=144)


def _check_render(result, plan) -> None:
    narration_sec = result.duration_sec
    info = probe(result.video)
    assert abs(info.duration_sec - narration_sec) < 0.1
    assert (info.width, info.height) == plan.frame_size(144) == (256, 144)
    assert info.fps == plan.fps == 30
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert count_frames(result.video) == round(narration_sec * plan.fps)

    for language, files in result.subtitles.items():
        srt = parse_srt(files["srt"].read_text(encoding="utf-8"))
        vtt = parse_vtt(files["vtt"].read_text(encoding="utf-8"))
        assert srt and [(c.start, c.end) for c in srt] == [(c.start, c.end) for c in vtt], language
        starts = [cue.start for cue in srt]
        assert starts == sorted(starts)
        assert all(0 <= cue.start < cue.end <= narration_sec + 0.001 for cue in srt)

    summary = json.loads(result.summary.read_text())
    assert summary["encoder"] == result.encoder == "libx264"
    assert set(summary["timings_sec"]) >= {"images", "speech", "subtitles", "compose"}
    assert summary["duration_sec"] == round(narration_sec, 3)
    with Image.open(result.thumbnail) as thumb:
        assert thumb.size == thumbnail_size(plan.aspect)
    assert probe(result.narration_audio).has_audio


def test_it_renders_an_english_plan_end_to_end(tmp_path):
    plan = parse_plan(tiny_plan_data())
    seen: dict[str, float] = {}
    result = run_pipeline(plan, _settings(tmp_path), Callbacks(progress=lambda step, f: seen.__setitem__(step, f)))
    _check_render(result, plan)
    assert set(seen) == {"images", "speech", "subtitles", "compose"} and all(v == 1.0 for v in seen.values())
    text = " ".join(cue.text for cue in parse_srt(result.subtitles["en"]["srt"].read_text()))
    assert "Prahlad prayed" in text


def test_it_renders_a_hindi_plan_with_every_character_in_the_font(tmp_path):
    plan = parse_plan(tiny_plan_data(language="hi", scenes=HINDI_SCENES, music="bells", watermark="tl"))
    result = run_pipeline(plan, _settings(tmp_path))
    _check_render(result, plan)
    cues = parse_srt(result.subtitles["hi"]["srt"].read_text(encoding="utf-8"))
    text = "\n".join(cue.text for cue in cues)
    assert "प्रह्लाद" in text
    assert font_covers(text) == []


def test_it_renders_a_vertical_short(tmp_path):
    plan = parse_plan(tiny_plan_data(aspect="9:16", music="none", watermark="none"))
    result = run_pipeline(plan, _settings(tmp_path))
    info = probe(result.video)
    assert (info.width, info.height) == (144, 256)
    assert abs(info.duration_sec - result.duration_sec) < 0.1


def test_it_reuses_everything_when_the_same_plan_runs_again(tmp_path):
    plan = parse_plan(tiny_plan_data())
    settings = _settings(tmp_path)
    first = run_pipeline(plan, settings)
    started = time.monotonic()
    again = run_pipeline(plan, settings)
    rerun_sec = time.monotonic() - started

    summary = json.loads(again.summary.read_text())
    assert summary["segments"] == {"rendered": 0, "cached": 3}
    assert rerun_sec < 1.0 + 0.5 * sum(first.timings.values())
    _check_render(again, plan)
