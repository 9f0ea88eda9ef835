"""The images step: creator pictures, painted stills, provider fallback, resume."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from renders.pipeline import images
from renders.pipeline.context import Callbacks, Canceled, RenderError, RenderSettings
from renders.pipeline.illustrator import LocalIllustrator
from renders.pipeline.images import OVERSAMPLE, oversample_size, prepare_scene_images, scene_motions, styled_prompt
from renders.pipeline.ken_burns import motion_for_scene
from renders.pipeline.plan import Plan, parse_plan
from renders.pipeline.providers.base import Picture, ProviderError, ProviderSet

# Proxy frames 128x72 (short side 72) make 160x90 stills: tiny and fast.
PROXY_SHORT_SIDE = 72
STILL = (160, 90)


def _plan(*scenes: dict, aspect: str = "16:9") -> Plan:
    return parse_plan(
        {"title": "Prahlad", "mode": "proxy", "aspect": aspect, "style": "storybook", "scenes": list(scenes)}
    )


def _scene(prompt: str = "a child praying by a river at dawn", **extra: object) -> dict:
    return {"image_prompt": prompt, "narration": "Prahlad prayed.", "duration_sec": 1, **extra}


def _settings(tmp_path: Path) -> RenderSettings:
    return RenderSettings(work_dir=tmp_path / "job", cache_dir=tmp_path / "cache", proxy_short_side=PROXY_SHORT_SIDE)


class Recorder:
    """Callbacks that remember what the step reported."""

    def __init__(self, uploads: Path | None = None, canceled: bool = False):
        self.logs: list[tuple[str, str]] = []
        self.progress: list[tuple[str, float]] = []
        self.produced: list[tuple[str, list[Path]]] = []
        self.callbacks = Callbacks(
            progress=lambda step, fraction: self.progress.append((step, fraction)),
            log=lambda level, message: self.logs.append((level, message)),
            is_canceled=lambda: canceled,
            resolve_image=(lambda name: uploads / name) if uploads else Path,
            produced=lambda step, paths: self.produced.append((step, paths)),
        )


class CountingIllustrator(LocalIllustrator):
    name = "counting"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        self.calls.append(prompt)
        return super().generate(prompt, style, size, seed)


class FailingProvider:
    name = "cloud"

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        raise ProviderError("quota exceeded")


class GarbageProvider:
    name = "garbage"

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        return Picture(data=b"<html>rate limited</html>")


class SquareCloudProvider:
    """Answers like a cloud API: a PNG of its own size, not the size asked for."""

    name = "square"

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        image = Image.new("RGB", (300, 300), (200, 40, 40))
        image.paste((40, 40, 200), (0, 100, 300, 200))  # a blue band across the middle
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return Picture(data=buffer.getvalue(), cost=0.04)


def _still(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.size == STILL
        return np.asarray(image.convert("RGB")).astype(int)


def test_it_oversamples_the_frame_by_a_quarter_to_even_sizes():
    assert OVERSAMPLE == 1.25
    assert oversample_size((1920, 1080)) == (2400, 1350)
    assert oversample_size((640, 360)) == (800, 450)
    assert oversample_size((128, 72)) == STILL
    assert all(side % 2 == 0 for side in oversample_size((642, 362)))


def test_it_paints_one_still_per_scene_at_the_oversampled_size(tmp_path):
    plan = _plan(_scene(), _scene("a king in his palace at night"))
    recorder = Recorder()
    stills = prepare_scene_images(
        plan, _settings(tmp_path), recorder.callbacks, ProviderSet(images=[LocalIllustrator()])
    )
    assert [still.name for still in stills] == ["scene_00.jpg", "scene_01.jpg"]
    assert all(still.parent == tmp_path / "job" / "images" for still in stills)
    first, second = _still(stills[0]), _still(stills[1])
    assert np.abs(first - second).mean() > 10
    assert recorder.progress == [("images", 0.5), ("images", 1.0)]
    assert recorder.produced == [("images", [stills[0]]), ("images", [stills[1]])]


def test_it_fits_a_portrait_plan(tmp_path):
    stills = prepare_scene_images(
        _plan(_scene(), aspect="9:16"),
        _settings(tmp_path),
        Recorder().callbacks,
        ProviderSet(images=[LocalIllustrator()]),
    )
    with Image.open(stills[0]) as image:
        assert image.size == (90, 160)


def test_it_uses_the_creators_picture_upright_and_framed(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    # Stored landscape, top half red, bottom half blue; EXIF says "rotate 90° clockwise to view".
    stored = Image.new("RGB", (120, 80), (220, 20, 20))
    stored.paste((20, 20, 220), (0, 40, 120, 80))
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(uploads / "phone.jpg", "JPEG", quality=95, exif=exif)
    painter = CountingIllustrator()
    plan = _plan(_scene(image="phone.jpg"))

    stills = prepare_scene_images(plan, _settings(tmp_path), Recorder(uploads).callbacks, ProviderSet(images=[painter]))

    pixels = _still(stills[0])
    # Upright, the picture is portrait (56x85 here) with blue on the left and red on the right;
    # too narrow for 16:9, it stands whole in the middle of the still over a dark backdrop.
    left, right = pixels[8:82, 55:77].mean(axis=(0, 1)), pixels[8:82, 83:105].mean(axis=(0, 1))
    assert left[2] > 150 > 60 > left[0]
    assert right[0] > 150 > 60 > right[2]
    assert pixels[:, :40].max() < 120 and pixels[:, 120:].max() < 120
    fit = json.loads(stills[0].with_suffix(".json").read_text())["fit"]
    assert fit["layout"] == "framed"
    assert painter.calls == []  # the creator's picture is used, nothing is painted


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.jpg", b"this is not a picture at all"),
        ("cut.png", None),  # a PNG cut in half
        ("anim.gif", "GIF"),
    ],
)
def test_it_refuses_an_upload_that_is_not_a_picture(tmp_path, name, content):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    if content is None:
        buffer = io.BytesIO()
        Image.effect_noise((200, 200), 60).save(buffer, "PNG")
        (uploads / name).write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    elif content == "GIF":
        Image.new("RGB", (50, 50), (9, 9, 9)).save(uploads / name, "GIF")
    else:
        (uploads / name).write_bytes(content)
    plan = _plan(_scene(), _scene(image=name))

    with pytest.raises(RenderError) as caught:
        prepare_scene_images(
            plan, _settings(tmp_path), Recorder(uploads).callbacks, ProviderSet(images=[LocalIllustrator()])
        )

    assert caught.value.step == "images"
    message = str(caught.value)
    assert message.startswith("Scene 2's image could not be read as a picture: ")
    assert message.endswith("Upload a JPEG, PNG or WebP.")


def test_it_refuses_a_missing_upload(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    with pytest.raises(RenderError, match="Scene 1's image could not be read as a picture: the file is missing"):
        prepare_scene_images(
            _plan(_scene(image="gone.png")), _settings(tmp_path), Recorder(uploads).callbacks, ProviderSet()
        )


def test_it_falls_back_to_the_local_illustrator_and_says_why(tmp_path):
    recorder = Recorder()
    providers = ProviderSet(images=[FailingProvider(), GarbageProvider(), LocalIllustrator()])

    stills = prepare_scene_images(_plan(_scene()), _settings(tmp_path), recorder.callbacks, providers)

    warnings = [message for level, message in recorder.logs if level == "warning"]
    assert warnings[0] == "scene 1 image: cloud failed (quota exceeded); falling back to garbage"
    assert warnings[1].startswith("scene 1 image: garbage failed (garbage returned bytes that are not a picture")
    assert warnings[1].endswith("falling back to local")
    assert json.loads((stills[0].with_suffix(".json")).read_text())["provider"] == "local"
    assert _still(stills[0]).std() > 20


def test_it_fits_a_cloud_picture_to_the_still_size(tmp_path):
    stills = prepare_scene_images(
        _plan(_scene()), _settings(tmp_path), Recorder().callbacks, ProviderSet(images=[SquareCloudProvider()])
    )
    pixels = _still(stills[0])
    # The 300x300 square is cover-cropped to 16:9: its middle (the blue band) fills most of it.
    assert pixels[45, 80, 2] > 150
    assert json.loads(stills[0].with_suffix(".json").read_text())["cost"] == 0.04


def test_it_gives_every_provider_the_styled_prompt(tmp_path):
    painter = CountingIllustrator()
    prepare_scene_images(
        _plan(_scene("a lotus pond")), _settings(tmp_path), Recorder().callbacks, ProviderSet(images=[painter])
    )
    assert painter.calls == [styled_prompt("a lotus pond", "storybook")]
    assert painter.calls[0].startswith("a lotus pond. Art direction: warm children's storybook illustration")
    assert styled_prompt(painter.calls[0], "storybook") == painter.calls[0]  # idempotent


def test_it_reuses_stills_on_a_rerun_and_repaints_only_what_changed(tmp_path):
    settings = _settings(tmp_path)
    painter = CountingIllustrator()
    providers = ProviderSet(images=[painter])
    first_run = prepare_scene_images(
        _plan(_scene(), _scene("a temple at dusk")), settings, Recorder().callbacks, providers
    )
    written = [still.stat().st_mtime_ns for still in first_run]
    assert len(painter.calls) == 2

    recorder = Recorder()
    second_run = prepare_scene_images(
        _plan(_scene(), _scene("a temple at dusk")), settings, recorder.callbacks, providers
    )
    assert second_run == first_run
    assert len(painter.calls) == 2
    assert [still.stat().st_mtime_ns for still in second_run] == written
    assert ("info", "scene 1 image: reused") in recorder.logs

    prepare_scene_images(_plan(_scene(), _scene("a temple at dawn")), settings, Recorder().callbacks, providers)
    assert len(painter.calls) == 3
    assert "a temple at dawn" in painter.calls[-1]


def test_it_repaints_a_still_when_the_painter_has_changed(tmp_path, monkeypatch):
    settings = _settings(tmp_path)
    painter = CountingIllustrator()
    providers = ProviderSet(images=[painter])
    prepare_scene_images(_plan(_scene()), settings, Recorder().callbacks, providers)
    prepare_scene_images(_plan(_scene()), settings, Recorder().callbacks, providers)
    assert len(painter.calls) == 1  # the same painter: reused
    # A new painter version: neither the job's still nor the shared cache's is reused.
    monkeypatch.setattr(CountingIllustrator, "version", "next", raising=False)
    recorder = Recorder()
    prepare_scene_images(_plan(_scene()), settings, recorder.callbacks, providers)
    assert len(painter.calls) == 2
    assert not any("reused" in message for _, message in recorder.logs)


def test_it_stops_between_scenes_when_canceled(tmp_path):
    painter = CountingIllustrator()
    with pytest.raises(Canceled):
        prepare_scene_images(
            _plan(_scene()), _settings(tmp_path), Recorder(canceled=True).callbacks, ProviderSet(images=[painter])
        )
    assert painter.calls == []


def test_it_moves_a_photo_its_own_way_and_painted_art_as_before(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    Image.new("RGB", (90, 160), (200, 120, 40)).save(uploads / "tall.png")
    plan = _plan(_scene(), _scene(image="tall.png"))

    stills = prepare_scene_images(
        plan, _settings(tmp_path), Recorder(uploads).callbacks, ProviderSet(images=[LocalIllustrator()])
    )
    motions = scene_motions(stills, plan.frame_size(PROXY_SHORT_SIDE))

    assert motions[0] is None  # compose gives painted art motion_for_scene(0), as always
    assert motions[1] is not None and motions[1].name == "photo-framed-zoom-out"
    assert motions[1] != motion_for_scene(1)


def test_it_prepares_a_photo_again_when_the_fitting_changes(tmp_path, monkeypatch):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    Image.new("RGB", (160, 90), (200, 120, 40)).save(uploads / "wide.png")
    settings = _settings(tmp_path)
    plan = _plan(_scene(image="wide.png"))
    first = prepare_scene_images(plan, settings, Recorder(uploads).callbacks, ProviderSet())
    key = json.loads(first[0].with_suffix(".json").read_text())["key"]

    recorder = Recorder(uploads)
    prepare_scene_images(plan, settings, recorder.callbacks, ProviderSet())
    assert ("info", "scene 1 image: reused") in recorder.logs

    monkeypatch.setattr(images, "PHOTO_FIT_VERSION", "next")
    recorder = Recorder(uploads)
    prepare_scene_images(plan, settings, recorder.callbacks, ProviderSet())
    assert ("info", "scene 1 image: reused") not in recorder.logs
    assert json.loads(first[0].with_suffix(".json").read_text())["key"] != key
