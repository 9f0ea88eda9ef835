"""Stock footage from Pexels: search videos by a scene's keywords, download one, cut it to the scene.

`PexelsFootage` is the FootageProvider: it downloads a clip for a scene that asks for stock
footage, and compose plays that clip (looped, cover-cropped) as the scene's moving picture.
`PexelsStockImages` is an ImageProvider: it puts a clip's most representative frame (ffmpeg's
`thumbnail` filter) in as the scene's still, so it chains with fallback like any image provider.
`fetch_clip` cuts a downloaded clip to a scene's length and frame as a file of its own.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import imageio_ffmpeg

from renders.pipeline.providers.base import Footage, Picture, ProviderError
from renders.pipeline.providers.retry import (
    DEFAULT_POLICY,
    RetryableError,
    RetryPolicy,
    call_with_retries,
    status_error,
)

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://api.pexels.com"
MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024
_STOPWORDS = frozenset(
    "a an the and or of in on at to by with from for into over under near his her their its as is are was "
    "were be this that these those while who whom which what where when very".split()
)


@dataclass(frozen=True)
class StockFile:
    link: str
    width: int
    height: int


@dataclass(frozen=True)
class StockVideo:
    id: int
    duration_sec: float
    page_url: str
    author: str
    files: tuple[StockFile, ...]


def stock_keywords(prompt: str, limit: int = 4) -> str:
    """The first few content words of a prompt: stock search works best with a short query."""
    words: list[str] = []
    for word in re.findall(r"[^\W\d_]+", prompt.lower()):
        if len(word) > 2 and word not in _STOPWORDS and word not in words:
            words.append(word)
        if len(words) == limit:
            break
    return " ".join(words)


def orientation_for(size: tuple[int, int]) -> str:
    width, height = size
    if width > height:
        return "landscape"
    if height > width:
        return "portrait"
    return "square"


def pick_file(video: StockVideo, size: tuple[int, int]) -> StockFile:
    """The smallest file that still covers the frame's short side, else the largest there is."""
    short = min(size)
    covering = [item for item in video.files if min(item.width, item.height) >= short]
    if covering:
        return min(covering, key=lambda item: item.width * item.height)
    return max(video.files, key=lambda item: item.width * item.height)


def _cover_filter(size: tuple[int, int]) -> str:
    width, height = size
    return f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},setsar=1"


def _ffmpeg(args: list[str], what: str) -> None:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-v", "error", "-y", *args]
    try:
        # Its own session: not killed by a Ctrl-C meant for the worker (see ffmpeg.py).
        completed = subprocess.run(command, capture_output=True, text=True, timeout=300, start_new_session=True)
    except subprocess.TimeoutExpired as error:
        raise ProviderError(f"{what}: ffmpeg took more than {error.timeout:g} s to read the stock clip") from error
    if completed.returncode != 0:
        raise ProviderError(f"{what}: ffmpeg could not read the stock clip ({completed.stderr.strip()[-300:]})")


def best_frame(clip: Path, out: Path, size: tuple[int, int]) -> Path:
    """The clip's most representative frame (ffmpeg `thumbnail`), cover-cropped to `size`, as PNG."""
    _ffmpeg(["-i", str(clip), "-vf", f"thumbnail=50,{_cover_filter(size)}", "-frames:v", "1", str(out)], "Pexels")
    if not out.exists() or out.stat().st_size == 0:
        raise ProviderError("Pexels: the stock clip has no frames")
    return out


def trim_clip(
    clip: Path, out: Path, *, duration_sec: float, size: tuple[int, int], fps: int, start_sec: float = 0.0
) -> Path:
    """Cut `duration_sec` from `start_sec`, cover-cropped to `size` at `fps`, silent H.264.

    A clip shorter than the scene is looped so the scene never runs out of footage.
    """
    _ffmpeg(
        ["-stream_loop", "-1", "-ss", f"{start_sec:.3f}", "-i", str(clip), "-t", f"{duration_sec:.3f}",
         "-vf", f"{_cover_filter(size)},fps={fps}", "-an", "-c:v", "libx264", "-preset", "veryfast",
         "-pix_fmt", "yuv420p", str(out)],
        "Pexels",
    )  # fmt: skip
    return out


class PexelsClient:
    def __init__(self, *, api_key: str, base_url: str = "", policy: RetryPolicy = DEFAULT_POLICY):
        self.api_key = api_key
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.policy = policy

    def _get(self, client: httpx.Client, url: str, **kwargs: object) -> httpx.Response:
        import httpx  # here, not at the top: a render without stock footage never loads it (~20 MB)

        def attempt() -> httpx.Response:
            try:
                response = client.get(url, **kwargs)  # type: ignore[arg-type]
            except httpx.TimeoutException as error:
                raise RetryableError(f"Pexels timed out after {self.policy.timeout_sec:g} s") from error
            except httpx.TransportError as error:
                raise RetryableError(f"Pexels could not be reached ({error})") from error
            if response.status_code == 429:
                raise self._rate_limited(response)
            if response.status_code >= 400:
                raise status_error("Pexels", response.status_code, response.headers, response.text)
            return response

        return call_with_retries(attempt, self.policy)

    def _rate_limited(self, response: httpx.Response) -> ProviderError:
        """Pexels' 429 says in X-Ratelimit-Remaining / X-Ratelimit-Reset (a UNIX time) when the
        key's allowance comes back: wait for it when that is soon, else stop now and say when."""
        try:
            reset_at = dt.datetime.fromtimestamp(int(response.headers["X-Ratelimit-Reset"]), tz=dt.UTC)
        except (KeyError, ValueError, OverflowError, OSError):
            return status_error("Pexels", 429, response.headers, response.text)
        wait = max(0.0, (reset_at - dt.datetime.now(tz=dt.UTC)).total_seconds())
        if response.headers.get("X-Ratelimit-Remaining") == "0" and wait > self.policy.max_wait_sec:
            return ProviderError(
                f"Pexels: this API key's request allowance is used up until {reset_at:%Y-%m-%d %H:%M} UTC "
                "(X-Ratelimit-Reset); not retrying before then"
            )
        return RetryableError("Pexels is rate limiting us (HTTP 429)", retry_after=wait, status=429, provider="Pexels")

    def search_videos(self, query: str, *, orientation: str, per_page: int = 5) -> list[StockVideo]:
        import httpx

        with httpx.Client(timeout=self.policy.timeout_sec) as client:
            response = self._get(
                client,
                f"{self.base_url}/videos/search",
                params={"query": query, "orientation": orientation, "per_page": per_page},
                headers={"Authorization": self.api_key},
            )
        try:
            return [_video(item) for item in response.json()["videos"]]
        except (ValueError, KeyError, TypeError) as error:
            raise ProviderError(f"Pexels sent a search answer we could not read ({error!r})") from error

    def download(self, file: StockFile, dest: Path) -> Path:
        """Fetch the file to `dest`; refuse anything over MAX_DOWNLOAD_BYTES.

        Written under a temporary name and moved into place, so `dest` is whole or absent.
        """
        import httpx

        with httpx.Client(timeout=self.policy.timeout_sec, follow_redirects=True) as client:
            response = self._get(client, file.link)
        if len(response.content) > MAX_DOWNLOAD_BYTES:
            raise ProviderError(f"Pexels clip is larger than {MAX_DOWNLOAD_BYTES // 2**20} MB")
        if not response.content:
            raise ProviderError("Pexels sent an empty clip")
        partial = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        try:
            partial.write_bytes(response.content)
            os.replace(partial, dest)
        finally:
            partial.unlink(missing_ok=True)
        return dest

    def first_clip(self, query: str, size: tuple[int, int], dest: Path) -> tuple[StockVideo, Path]:
        if not query:
            raise ProviderError("Pexels: the scene has no keywords to search for")
        videos = [video for video in self.search_videos(query, orientation=orientation_for(size)) if video.files]
        if not videos:
            raise ProviderError(f"Pexels has no stock video for {query!r}")
        video = videos[0]
        return video, self.download(pick_file(video, size), dest)

    def fetch_clip(
        self, query: str, *, size: tuple[int, int], duration_sec: float, fps: int, out: Path
    ) -> tuple[StockVideo, Path]:
        """Search, download and cut a clip for one scene (for a compose step that takes footage)."""
        with tempfile.TemporaryDirectory() as tmp:
            video, raw = self.first_clip(query, size, Path(tmp) / "source.mp4")
            return video, trim_clip(raw, out, duration_sec=duration_sec, size=size, fps=fps)


def _video(item: dict[str, Any]) -> StockVideo:
    files = tuple(
        StockFile(link=str(entry["link"]), width=int(entry["width"]), height=int(entry["height"]))
        for entry in item.get("video_files") or []
        if entry.get("link") and entry.get("width") and entry.get("height")
    )
    user = item.get("user") or {}
    return StockVideo(
        id=int(item["id"]),
        duration_sec=float(item.get("duration") or 0),
        page_url=str(item.get("url") or ""),
        author=str(user.get("name") or ""),
        files=files,
    )


class PexelsFootage:
    """A footage provider: the first Pexels video for a scene's keywords, downloaded whole.

    The clip is not cut here: compose loops, crops and trims it frame-exactly per segment.
    """

    name = "pexels"

    def __init__(self, client: PexelsClient):
        self.client = client

    def fetch(self, query: str, size: tuple[int, int], dest: Path) -> Footage:
        video, clip = self.client.first_clip(query, size, dest)
        return Footage(
            clip=clip, provider=self.name, video_id=str(video.id), author=video.author, page_url=video.page_url
        )


class PexelsStockImages:
    """An image provider that uses a stock clip's best frame as the scene's still."""

    name = "pexels"

    def __init__(self, client: PexelsClient):
        self.client = client

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        # Stock footage is real-world: the art style is left out of the search on purpose.
        with tempfile.TemporaryDirectory() as tmp:
            _video_found, clip = self.client.first_clip(stock_keywords(prompt), size, Path(tmp) / "clip.mp4")
            still = best_frame(clip, Path(tmp) / "still.png", size)
            return Picture(data=still.read_bytes(), cost=0.0)
