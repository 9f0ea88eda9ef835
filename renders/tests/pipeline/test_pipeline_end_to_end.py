"""The whole pipeline on tiny proxy plans, with the real local providers (illustrator, espeak-ng).

No Django: `run_pipeline` is what the CLI, the worker task and these tests all call.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw

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
    assert summary["segments"] == {"rendered": 0, "cached": 2}  # two scenes, the fade inside the second
    assert rerun_sec < 1.0 + 0.5 * sum(first.timings.values())
    _check_render(again, plan)


def _checkerboard(size: tuple[int, int], cell: int) -> Image.Image:
    """Square cells, light yellow and blue: a photo whose geometry a frame can be checked against."""
    image = Image.new("RGB", size, (40, 90, 200))
    draw = ImageDraw.Draw(image)
    for top in range(0, size[1], cell):
        for left in range(0, size[0], cell):
            if (left // cell + top // cell) % 2 == 0:
                draw.rectangle((left, top, left + cell - 1, top + cell - 1), fill=(240, 200, 80))
    return image


def _frame_at(video: Path, seconds: float, out: Path) -> tuple[np.ndarray, np.ndarray]:
    """The frame at `seconds` as luma (the one full-resolution plane) and as RGB, saved as a PNG at `out`."""
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-ss", f"{seconds:.3f}", "-i", str(video),
         "-frames:v", "1", "-y", str(out)],
        check=True, timeout=60,
    )  # fmt: skip
    with Image.open(out) as frame:
        return np.asarray(frame.convert("L")).astype(int), np.asarray(frame.convert("RGB")).astype(int)


def _light_cell_runs(lines: np.ndarray) -> list[int]:
    """Lengths of the light cells' runs along each line (luma above 145), without each line's
    first run (maybe cut by an edge) or a run still open at its end."""
    runs: list[int] = []
    for line in lines:
        found, length = [], 0
        for light in line > 145:
            if light:
                length += 1
            elif length:
                found.append(length)
                length = 0
        runs += found[1:]
    return runs


def test_it_renders_uploaded_photos_unstretched_framed_or_cropped(tmp_path):
    storage = tmp_path / "storage"
    (storage / "uploads" / "7").mkdir(parents=True)
    _checkerboard((480, 640), 80).save(storage / "uploads/7/portrait.png")  # 3:4: framed in 16:9
    _checkerboard((1600, 1000), 100).save(storage / "uploads/7/landscape.png")  # 16:10: cover-cropped
    scenes = [
        {"image": "uploads/7/portrait.png", "narration": "A photo.", "duration_sec": 1.5},
        {"image": "uploads/7/landscape.png", "narration": "Another.", "duration_sec": 1.5},
    ]
    # Watercolor: no frame decoration over the photos, whose rules would cross the measured cells.
    plan = parse_plan(tiny_plan_data(scenes=scenes, music="none", watermark="none", style="watercolor"))
    settings = RenderSettings(work_dir=tmp_path / "work", cache_dir=tmp_path / "cache", proxy_short_side=288)

    result = run_pipeline(plan, settings, Callbacks(resolve_image=lambda name: storage / name))

    width, height = 512, 288
    assert (probe(result.video).width, probe(result.video).height) == (width, height)
    # Late in the first scene (its zoom nearly done) and at the very end of the second.
    portrait, portrait_rgb = _frame_at(result.video, 1.0, tmp_path / "portrait_scene.png")
    landscape, _ = _frame_at(result.video, result.duration_sec - 0.2, tmp_path / "landscape_scene.png")
    # Subtitles are burned into the lower part: measure in the upper 60% only.
    upper = round(height * 0.6)
    for frame in (portrait, landscape):
        across = _light_cell_runs(frame[round(height * 0.25) : upper : 4])
        down = _light_cell_runs(frame[:upper, round(width * 0.4) : round(width * 0.6) : 4].T)
        assert len(across) >= 10 and len(down) >= 5
        # Square cells stay square: ~34 pixels either way, within a pixel and a half.
        assert abs(float(np.median(across)) - float(np.median(down))) <= 1.5, (across, down)
        # No black borders anywhere the picture moves.
        assert frame[0].min() > 40 and frame[:upper, 0].min() > 40 and frame[:upper, -1].min() > 40
    # The portrait photo stands whole in the middle; beside it, a dark, smooth blurred copy.
    for side in (portrait[:upper, : round(width * 0.15)], portrait[:upper, round(width * 0.85) :]):
        assert side.max() < 120 and np.abs(np.diff(side, axis=1)).mean() < 2
    assert portrait[:upper, round(width * 0.3) : round(width * 0.7)].max() > 180  # light cells
    # Centred while it zooms: the photo's columns (its cells are saturated yellow or blue, the
    # backdrop a dull dark blend) leave equal margins on both sides, within 3 pixels: a proxy
    # moves its pictures in 4:2:0, so a colour edge may sit a chroma sample off its luma edge.
    photo_columns = np.where((portrait_rgb[:upper].max(axis=2) > 150).any(axis=0))[0]
    assert abs(int(photo_columns.min()) - (width - 1 - int(photo_columns.max()))) <= 3
    # The landscape photo fills the frame edge to edge: light cells reach both sides.
    assert landscape[:upper, :20].max() > 180 and landscape[:upper, -20:].max() > 180
