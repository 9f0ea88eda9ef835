"""Per-scene stock footage against the Pexels stand-in: the clip plays as the scene, frame for
frame; its credit lands in the summary; any failure paints the scene instead and says why."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from renders.pipeline.context import Callbacks, RenderSettings
from renders.pipeline.images import prepare_scene_images, scene_footage
from renders.pipeline.media_probe import count_frames, probe
from renders.pipeline.plan import parse_plan
from renders.pipeline.providers.base import ProviderSet
from renders.pipeline.providers.local import local_providers
from renders.pipeline.providers.pexels_stock import PexelsClient, PexelsFootage
from renders.pipeline.runner import run_pipeline
from tests.standins.pexels_server import API_KEY, NO_RESULTS, sample_mp4
from tests.standins.server import Reply

FRAME = (256, 144)  # proxy frames at proxy_short_side=144; the stand-in's clip is 320x180, 10 fps, 2 s
FPS = 30
CREDIT = {
    "provider": "pexels",
    "video_id": "1000",
    "author": "Stand-in",
    "page_url": "https://www.pexels.com/video/1000/",
}


def _settings(root: Path) -> RenderSettings:
    return RenderSettings(work_dir=root / "work", cache_dir=root / "cache", proxy_short_side=FRAME[1])


def _plan(first_prompt: str = "a river at dawn with lamps", *, stock_footage: bool = True):
    return parse_plan(
        {
            "title": "Ganga",
            "mode": "proxy",
            "music": "none",
            "watermark": "none",
            "style": "watercolor",  # no frame decoration over the clip: the frames compare exactly
            "fps": FPS,
            "scenes": [
                {
                    "image_prompt": first_prompt,
                    "narration": "The river.",
                    "duration_sec": 3,
                    "stock_footage": stock_footage,
                },
                {"image_prompt": "a temple at dusk", "narration": "Bells.", "duration_sec": 1.5},
            ],
        }
    )


def _providers(pexels: PexelsClient | None) -> ProviderSet:
    local = local_providers()
    return ProviderSet(
        images=local.images, speech=local.speech, footage=PexelsFootage(pexels) if pexels is not None else None
    )


@pytest.fixture
def pexels(pexels_standin, policy) -> PexelsClient:
    return PexelsClient(api_key=API_KEY, base_url=pexels_standin.url, policy=policy)


class Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self.callbacks = Callbacks(log=lambda level, message: self.lines.append((level, message)))

    def warnings(self) -> list[str]:
        return [message for level, message in self.lines if level == "warning"]


def _frames(path: Path, count: int, video_filter: str = "null") -> np.ndarray:
    """The first `count` decoded frames of `path` as RGB arrays (frames x height x width x 3)."""
    raw = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-vf", video_filter,
         "-frames:v", str(count), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(-1, FRAME[1], FRAME[0], 3).astype(int)


def test_it_plays_the_stock_clip_as_the_scene_frame_for_frame(tmp_path, pexels, pexels_standin):
    log = Log()
    result = run_pipeline(_plan(), _settings(tmp_path), log.callbacks, _providers(pexels))

    info = probe(result.video)
    assert abs(info.duration_sec - result.duration_sec) < 0.1
    assert count_frames(result.video) == round(result.duration_sec * FPS)
    assert (info.width, info.height) == FRAME
    summary = json.loads(result.summary.read_text())
    assert summary["footage"] == {"1": CREDIT}
    assert summary["plan"]["scenes"][0]["stock_footage"] is True
    assert ("info", "scene 1 image: stock footage from pexels") in log.lines and log.warnings() == []
    search = pexels_standin.calls("/videos/search")[0]
    assert search.query["query"] == "river dawn lamps" and search.query["orientation"] == "landscape"
    assert (tmp_path / "work" / "footage" / "scene_00.mp4").read_bytes() == sample_mp4()

    # The clip, looped and cover-scaled to the frame at the plan's fps, as compose should show it.
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(sample_mp4())
    width, height = FRAME
    reference = _frames(
        clip, 60, f"fps={FPS},scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height}"
    )
    assert len(reference) == 60  # 2 s at 30 fps
    own = 80  # scene 1 is 90 frames; its fade into scene 2 starts later than this
    video = _frames(result.video, own)
    top = slice(0, height // 2)  # above the burned subtitles
    same = [np.abs(video[n, top] - reference[n % 60, top]).mean() for n in range(own)]
    shifted = [np.abs(video[n, top] - reference[(n + 6) % 60, top]).mean() for n in range(own)]
    # Frame n of the scene is clip frame n (the clip loops after 60 frames), across chunk joins.
    assert max(same) < 6, max(same)
    assert np.mean(shifted) > 3 * np.mean(same)
    assert np.abs(video[0] - video[15]).mean() > 10  # it really moves

    # The still (thumbnail, previews) is a frame of the clip, at the oversampled size.
    with Image.open(result.scene_images[0]) as still:
        assert still.size == (320, 180)
        assert len(still.convert("RGB").getcolors(maxcolors=100_000) or []) > 10


def test_it_reuses_the_clip_and_every_segment_on_a_rerun(tmp_path, pexels, pexels_standin):
    settings = _settings(tmp_path)
    run_pipeline(_plan(), settings, Callbacks(), _providers(pexels))
    log = Log()
    again = run_pipeline(_plan(), settings, log.callbacks, _providers(pexels))
    assert len(pexels_standin.calls("/videos/search")) == 1 and len(pexels_standin.calls("/files/")) == 1
    assert ("info", "scene 1 stock footage: reused") in log.lines
    summary = json.loads(again.summary.read_text())
    assert summary["segments"]["rendered"] == 0 and summary["footage"] == {"1": CREDIT}


def test_it_re_renders_a_scene_whose_clip_changed(tmp_path, pexels, pexels_standin):
    settings = _settings(tmp_path)
    first = run_pipeline(_plan(), settings, Callbacks(), _providers(pexels))
    assert json.loads(first.summary.read_text())["segments"]["cached"] == 0
    # Another search finds (here: serves) another clip: the scene's segment and the next scene's,
    # which opens with the fade out of the clip, re-render.
    other = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=10",
         "-t", "1", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-f", "mp4",
         "-movflags", "frag_keyframe+empty_moov", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    pexels_standin.script("/files/", Reply(200, other, {"Content-Type": "video/mp4"}))
    edited = run_pipeline(_plan("a river at dusk with lamps"), settings, Callbacks(), _providers(pexels))
    segments = json.loads(edited.summary.read_text())["segments"]
    assert segments == {"rendered": 2, "cached": 0}  # scene 1 (one segment) and scene 2 (with the fade)
    assert abs(probe(edited.video).duration_sec - edited.duration_sec) < 0.1


def test_it_paints_the_scene_when_pexels_keeps_failing(tmp_path, pexels, pexels_standin, sleeps):
    pexels_standin.fail("/videos/search", 500, times=10)
    log = Log()
    result = run_pipeline(_plan(), _settings(tmp_path), log.callbacks, _providers(pexels))

    assert len(pexels_standin.calls("/videos/search")) == 3  # one try and two retries
    [warning] = log.warnings()
    assert warning.startswith("scene 1: stock footage unavailable (Pexels")
    assert warning.endswith("); painting the scene instead")
    assert "500" in warning
    assert ("info", "scene 1 image: local") in log.lines
    assert abs(probe(result.video).duration_sec - result.duration_sec) < 0.1
    assert json.loads(result.summary.read_text())["footage"] == {}


def test_it_paints_the_scene_when_nothing_matches(tmp_path, pexels):
    log = Log()
    stills = prepare_scene_images(_plan(f"{NO_RESULTS} river"), _settings(tmp_path), log.callbacks, _providers(pexels))
    assert log.warnings() == [
        "scene 1: stock footage unavailable (Pexels has no stock video for 'nothingatall river'); "
        "painting the scene instead"
    ]
    assert scene_footage(stills) == [None, None]


def test_it_paints_the_scene_when_the_clip_is_not_a_video(tmp_path, pexels, pexels_standin):
    pexels_standin.script("/files/", Reply(200, b"<html>not a video</html>", {"Content-Type": "video/mp4"}))
    log = Log()
    settings = _settings(tmp_path)
    stills = prepare_scene_images(_plan(), settings, log.callbacks, _providers(pexels))
    [warning] = log.warnings()
    assert warning.startswith("scene 1: stock footage unavailable (Pexels: ffmpeg could not read the stock clip")
    assert scene_footage(stills) == [None, None]
    # The broken download is not trusted again: the next run searches and downloads afresh.
    stills = prepare_scene_images(_plan(), settings, Log().callbacks, _providers(pexels))
    assert len(pexels_standin.calls("/files/")) == 2
    assert scene_footage(stills)[0] is not None


def test_it_paints_the_scene_when_no_footage_provider_is_configured(tmp_path):
    log = Log()
    stills = prepare_scene_images(_plan(), _settings(tmp_path), log.callbacks, _providers(None))
    assert log.warnings() == [
        "scene 1: stock footage unavailable (no stock footage provider is configured); painting the scene instead"
    ]
    assert scene_footage(stills) == [None, None]


def test_it_leaves_scenes_without_the_switch_alone(tmp_path, pexels, pexels_standin):
    stills = prepare_scene_images(_plan(stock_footage=False), _settings(tmp_path), Log().callbacks, _providers(pexels))
    assert pexels_standin.requests == [] and scene_footage(stills) == [None, None]


def test_the_styles_frame_lies_over_stock_footage_and_uploaded_photos_too(tmp_path, pexels, pexels_standin):
    # The frame belongs to the video's style, not to where a scene's picture came from.
    Image.new("RGB", (320, 180), (30, 90, 200)).save(tmp_path / "photo.png")
    plan = parse_plan(
        {
            "title": "Ganga", "mode": "proxy", "music": "none", "watermark": "none", "style": "miniature", "fps": FPS,
            "captions": "none",
            "scenes": [
                {"image_prompt": "a river at dawn with lamps", "narration": "The river.", "duration_sec": 1,
                 "stock_footage": True},
                {"image": "photo.png", "narration": "A photo.", "duration_sec": 1},
            ],
        }
    )  # fmt: skip
    callbacks = Callbacks(resolve_image=lambda name: tmp_path / name)
    result = run_pipeline(plan, _settings(tmp_path), callbacks, _providers(pexels))

    assert json.loads(result.summary.read_text())["footage"] == {"1": CREDIT}
    video = _frames(result.video, 60)
    red = np.array([140, 24, 30])
    band = max(2, int(FRAME[1] * 0.05))  # the miniature's red border band, as styles draws it
    for frame in (video[5], video[-1]):  # in the clip's scene, then in the photo's
        border = frame[2 : band - 2, band:-band].reshape(-1, 3)
        centre = frame[FRAME[1] // 3 : FRAME[1] // 2, FRAME[0] // 3 : 2 * FRAME[0] // 3].reshape(-1, 3)
        assert (np.abs(border - red).sum(axis=-1) < 60).mean() > 0.4
        assert (np.abs(centre - red).sum(axis=-1) < 60).mean() < 0.05
