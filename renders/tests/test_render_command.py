"""`manage.py render`: a video from a plan file or a template, without the web or a worker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from conftest import tiny_plan_data
from renders.pipeline.context import RenderError
from renders.pipeline.media_probe import probe


def _write_plan(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_it_renders_a_plan_file_into_the_out_dir(tmp_path, capsys):
    plan = _write_plan(tmp_path / "plan.json", tiny_plan_data(language="hi", scenes=[
        {"image_prompt": "a lamp in a temple", "narration": "प्रह्लाद ने प्रार्थना की।", "narration_alt": "Prahlad prayed.",
         "duration_sec": 1.5},
    ]))  # fmt: skip
    out = tmp_path / "out"
    call_command("render", str(plan), "--out", str(out))
    for name in ("video.mp4", "thumbnail.jpg", "narration.m4a", "job_summary.json", "hi.srt", "hi.vtt", "en.srt"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "images" / "scene_00.jpg").is_file()
    summary = json.loads((out / "job_summary.json").read_text())
    info = probe(out / "video.mp4")
    assert abs(info.duration_sec - summary["duration_sec"]) < 0.1
    assert info.height == settings.PROXY_SHORT_SIDE  # proxy mode, as the plan asks
    assert "Rendered" in capsys.readouterr().out
    assert not [path for path in out.iterdir() if path.name.startswith("bhakti-render-")]  # work dir removed


def test_it_names_every_bad_field(tmp_path):
    bad = tiny_plan_data(language="fr")
    bad["scenes"][1]["duration_sec"] = 50
    with pytest.raises(CommandError) as caught:
        call_command("render", str(_write_plan(tmp_path / "bad.json", bad)), "--out", str(tmp_path / "out"))
    message = str(caught.value)
    assert "language: must be one of en, hi (got 'fr')" in message
    assert "scenes[1].duration_sec" in message and "(got 50)" in message
    assert not (tmp_path / "out").exists()  # nothing rendered, nothing written


def test_it_exits_non_zero_with_the_message_from_a_terminal(tmp_path):
    bad = _write_plan(tmp_path / "bad.json", tiny_plan_data(aspect="4:3"))
    finished = subprocess.run(
        [sys.executable, "manage.py", "render", str(bad), "--out", str(tmp_path / "out")],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "BHAKTI_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert finished.returncode != 0
    assert "aspect" in finished.stderr and "4:3" in finished.stderr
    assert "Traceback" not in finished.stderr


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ([], "Give a plan file"),
        (["missing.json"], "does not exist"),
        (["broken.json"], "is not valid JSON"),
        (["--template", "ramayana-in-a-minute"], "ramayana-in-a-minute"),
    ],
)
def test_it_explains_what_is_missing(tmp_path, monkeypatch, arguments, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.json").write_text("{scenes: [", encoding="utf-8")
    with pytest.raises(CommandError, match=expected):
        call_command("render", *arguments, "--out", str(tmp_path / "out"))


def test_it_builds_the_plan_from_a_template_in_the_language_asked(tmp_path, monkeypatch):
    seen = []

    def stop_before_rendering(plan, *args, **kwargs):
        seen.append(plan)
        raise RenderError("stopped by the test", step="images")

    monkeypatch.setattr("renders.management.commands.render.run_pipeline", stop_before_rendering)
    with pytest.raises(CommandError, match="Render failed during images: stopped by the test"):
        call_command("render", "--template", "prahlad", "--language", "en", "--mode", "proxy", "--out", str(tmp_path))
    plan = seen[0]
    assert plan.language == "en" and plan.mode == "proxy"
    assert 6 <= len(plan.scenes) <= 10
    assert all(scene.narration.isascii() for scene in plan.scenes)  # English narration
    assert any("\u0900" <= char <= "\u097f" for scene in plan.scenes for char in scene.narration_alt)  # Hindi second
