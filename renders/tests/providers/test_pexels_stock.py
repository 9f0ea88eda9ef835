"""Pexels against its stand-in: search by keywords, download, best frame, trim and crop, fallback."""

from __future__ import annotations

import io
import subprocess

import imageio_ffmpeg
import pytest
from PIL import Image

from renders.pipeline.providers.base import Picture, ProviderError, with_fallback
from renders.pipeline.providers.pexels_stock import (
    PexelsClient,
    PexelsStockImages,
    StockFile,
    StockVideo,
    pick_file,
    stock_keywords,
)
from tests.standins.pexels_server import API_KEY, NO_RESULTS
from tests.standins.server import Reply


@pytest.fixture
def pexels(pexels_standin, policy) -> PexelsClient:
    return PexelsClient(api_key=API_KEY, base_url=pexels_standin.url, policy=policy)


class FlatColour:
    """The last provider in a test chain: always answers (the real chain ends in the local illustrator)."""

    name = "local"

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        buffer = io.BytesIO()
        Image.new("RGB", size, (10, 20, 30)).save(buffer, format="PNG")
        return Picture(data=buffer.getvalue())


def test_it_turns_a_prompt_into_a_short_search():
    assert stock_keywords("A child praying by the river at dawn, in the temple") == "child praying river dawn"
    assert stock_keywords("!!! 123") == ""


def test_it_uses_the_best_frame_of_a_stock_clip_as_the_still(pexels, pexels_standin):
    picture = PexelsStockImages(pexels).generate("a river at dawn with lamps", "watercolor", (256, 144), "s1")
    with Image.open(io.BytesIO(picture.data)) as image:
        assert image.size == (256, 144)
        assert (
            len(image.convert("RGB").getcolors(maxcolors=100_000) or []) > 10
        )  # a real frame of the test pattern, not a flat fill
    assert picture.cost == 0
    search = pexels_standin.calls("/videos/search")[0]
    assert search.query == {"query": "river dawn lamps", "orientation": "landscape", "per_page": "5"}
    assert search.headers["authorization"] == API_KEY
    # The smallest file covering the frame's short side (144) is the 320x180 one.
    assert [request.path for request in pexels_standin.calls("/files/")] == ["/files/1000-sd.mp4"]


def test_it_trims_and_crops_a_clip_to_the_scene(pexels, tmp_path):
    video, clip = pexels.fetch_clip("temple bells", size=(90, 160), duration_sec=3.0, fps=10, out=tmp_path / "s.mp4")
    assert video.id == 1000
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(clip)], capture_output=True, text=True)
    assert "90x160" in probe.stderr
    assert "Duration: 00:00:03.00" in probe.stderr  # a 2 s source looped to the scene's 3 s


def test_it_retries_a_429_and_falls_back_when_nothing_matches(pexels, pexels_standin, job_log, sleeps):
    pexels_standin.fail("/videos/search", 429, headers={"Retry-After": "1"})
    provider, picture = with_fallback(
        [PexelsStockImages(pexels), FlatColour()],
        lambda p: p.generate(f"{NO_RESULTS} here", "watercolor", (160, 90), "s"),
        job_log,
        "image for scene 1",
    )
    assert provider.name == "local" and picture.data
    assert sleeps.waits == [1.0] and len(pexels_standin.calls("/videos/search")) == 2
    assert job_log.warnings() == [
        "image for scene 1: pexels failed (Pexels has no stock video for 'nothingatall here'); falling back to local"
    ]


def test_it_falls_back_after_repeated_500s(pexels, pexels_standin, job_log):
    pexels_standin.fail("/videos/search", 500, times=5)
    provider, _picture = with_fallback(
        [PexelsStockImages(pexels), FlatColour()],
        lambda p: p.generate("temple", "watercolor", (160, 90), "s"),
        job_log,
        "image for scene 2",
    )
    assert provider.name == "local"
    assert "Pexels had a server error (HTTP 500)" in job_log.warnings()[0] and "after 3 tries" in job_log.warnings()[0]


def test_it_rejects_malformed_answers(pexels, pexels_standin):
    pexels_standin.script("/videos/search", Reply(200, b"<html>oops</html>", {"Content-Type": "text/html"}))
    with pytest.raises(ProviderError, match="could not read"):
        PexelsStockImages(pexels).generate("temple", "watercolor", (160, 90), "s")
    pexels_standin.script("/files/", Reply(200, b"not a video at all", {"Content-Type": "video/mp4"}))
    with pytest.raises(ProviderError, match="ffmpeg could not read the stock clip"):
        PexelsStockImages(pexels).generate("temple", "watercolor", (160, 90), "s")


def test_it_picks_the_largest_file_when_none_covers_the_frame():
    video = StockVideo(1, 2, "", "", (StockFile("a", 320, 180), StockFile("b", 640, 360)))
    assert pick_file(video, (3840, 2160)).link == "b"
    assert pick_file(video, (256, 144)).link == "a"


def test_it_stops_at_once_when_the_allowance_is_used_up_and_says_until_when(pexels, pexels_standin, sleeps):
    import datetime as dt

    pexels_standin.remaining = 0
    pexels_standin.reset_at = int(dt.datetime(2027, 1, 1, 0, 0, tzinfo=dt.UTC).timestamp())
    with pytest.raises(ProviderError, match="allowance is used up until 2027-01-01 00:00 UTC"):
        pexels.search_videos("river dawn", orientation="landscape")
    assert sleeps.waits == [] and len(pexels_standin.calls("/videos/search")) == 1


def test_it_waits_for_a_reset_that_is_near(pexels, pexels_standin, sleeps):
    import time

    pexels_standin.reset_at = int(time.time()) + 5
    pexels_standin.script(
        "/videos/search",
        Reply(429, b"", {"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": str(pexels_standin.reset_at)}),
    )
    assert pexels.search_videos("river dawn", orientation="landscape")
    assert len(sleeps.waits) == 1 and 3 <= sleeps.waits[0] <= 5
