"""The images step: creator pictures, painted stills, provider fallback, resume."""

from __future__ import annotations

import dataclasses
import io
import json
import threading
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
        super().__init__()
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


class GatedIllustrator(LocalIllustrator):
    """Paints each prompt once `release(prompt)` lets it, and counts how many paint at once."""

    name = "gated"

    def __init__(self, fail: str = "") -> None:
        super().__init__()
        self.fail = fail
        self.gates: dict[str, threading.Event] = {}
        self.started: list[str] = []
        self.finished: list[str] = []
        self.lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0

    def gate(self, prompt: str) -> threading.Event:
        with self.lock:
            return self.gates.setdefault(prompt.split(".")[0], threading.Event())

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        with self.lock:
            self.started.append(prompt.split(".")[0])
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            assert self.gate(prompt).wait(timeout=10), "a painting waited for a scene that never started"
            if self.fail and prompt.startswith(self.fail):
                raise ProviderError("the painter dropped its brush")
            picture = super().generate(prompt, style, size, seed)
            with self.lock:
                self.finished.append(prompt.split(".")[0])
            return picture
        finally:
            with self.lock:
                self.running -= 1


def _scenes(count: int) -> list[dict]:
    return [_scene(f"scene {number} of a temple by a river") for number in range(1, count + 1)]


def test_it_paints_on_several_threads_and_reports_in_scene_order(tmp_path):
    painter = GatedIllustrator()
    for number in range(2, 6):
        painter.gate(f"scene {number} of a temple by a river").set()
    first = painter.gate("scene 1 of a temple by a river")
    recorder = Recorder()
    settings = dataclasses.replace(_settings(tmp_path), parallelism=2)
    plan = _plan(*_scenes(5))

    # Scene 1 is held back until scene 2 has been painted beside it: it finishes second.
    def release_first() -> None:
        while "scene 2 of a temple by a river" not in painter.finished:
            threading.Event().wait(0.01)
        first.set()

    releaser = threading.Thread(target=release_first, daemon=True)
    releaser.start()
    stills = prepare_scene_images(plan, settings, recorder.callbacks, ProviderSet(images=[painter]))
    releaser.join()

    assert painter.finished[:2] == ["scene 2 of a temple by a river", "scene 1 of a temple by a river"]
    assert stills == [settings.work_dir / "images" / f"scene_{index:02d}.jpg" for index in range(5)]
    assert painter.most_at_once == 2
    assert [fraction for _, fraction in recorder.progress] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert [paths for _, paths in recorder.produced] == [[still] for still in stills]
    assert [message for _, message in recorder.logs] == [f"scene {number} image: gated" for number in range(1, 6)]
    for still in stills:
        assert _still(still).std() > 20


def test_it_paints_as_many_at_once_as_the_parallelism(tmp_path):
    painter = GatedIllustrator()
    for number in range(1, 7):
        painter.gate(f"scene {number} of a temple by a river").set()
    settings = dataclasses.replace(_settings(tmp_path), parallelism=3)

    stills = prepare_scene_images(_plan(*_scenes(6)), settings, Recorder().callbacks, ProviderSet(images=[painter]))

    assert len(stills) == 6
    assert 1 <= painter.most_at_once <= 3
    assert sorted(painter.started) == sorted(f"scene {number} of a temple by a river" for number in range(1, 7))


def test_it_paints_the_same_stills_one_at_a_time_and_in_parallel(tmp_path):
    plan = _plan(*_scenes(4))
    one = prepare_scene_images(
        plan, dataclasses.replace(_settings(tmp_path / "one"), parallelism=1), Recorder().callbacks,
        ProviderSet(images=[LocalIllustrator()]),
    )  # fmt: skip
    two = prepare_scene_images(
        plan, dataclasses.replace(_settings(tmp_path / "two"), parallelism=2), Recorder().callbacks,
        ProviderSet(images=[LocalIllustrator()]),
    )  # fmt: skip
    assert [path.read_bytes() for path in one] == [path.read_bytes() for path in two]


def test_it_names_the_scene_whose_painting_failed_when_painting_in_parallel(tmp_path):
    painter = GatedIllustrator(fail="scene 2 ")
    for number in range(1, 5):
        painter.gate(f"scene {number} of a temple by a river").set()
    recorder = Recorder()
    settings = dataclasses.replace(_settings(tmp_path), parallelism=2)

    with pytest.raises(RenderError) as raised:
        prepare_scene_images(_plan(*_scenes(4)), settings, recorder.callbacks, ProviderSet(images=[painter]))

    assert str(raised.value) == (
        "Scene 2's picture could not be made: scene 2 image: every provider failed; last error: the painter dropped "
        "its brush"
    )
    assert raised.value.step == "images"
    assert [fraction for _, fraction in recorder.progress] == [0.25]  # scene 1 only, as one by one
    assert not any(message.startswith(("scene 3", "scene 4")) for _, message in recorder.logs)


def test_it_stops_painting_when_canceled_between_scenes(tmp_path):
    painter = GatedIllustrator()
    for number in range(1, 9):
        painter.gate(f"scene {number} of a temple by a river").set()
    recorder = Recorder()
    recorder.callbacks.is_canceled = lambda: len(recorder.progress) >= 2
    settings = dataclasses.replace(_settings(tmp_path), parallelism=2)

    with pytest.raises(Canceled):
        prepare_scene_images(_plan(*_scenes(8)), settings, recorder.callbacks, ProviderSet(images=[painter]))

    # Cancelled after two scenes were reported: at most the two then in flight were still painted.
    assert len(painter.started) <= 4
    assert [fraction for _, fraction in recorder.progress][:2] == [0.125, 0.25]
