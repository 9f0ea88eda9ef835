"""A stand-in for Pexels' video search (/videos/search) and its file CDN, serving a real tiny MP4."""

from __future__ import annotations

import functools
import subprocess
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

from tests.standins.server import Recorded, Reply, StandinServer

API_KEY = "pexels-standin-key"
NO_RESULTS = "nothingatall"  # a query with this word finds no videos


@functools.cache
def sample_mp4() -> bytes:
    """A 2-second 320x180 test-pattern clip (a moving pattern, so frames differ)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clip.mp4"
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10",
             "-t", "2", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", str(out)],
            check=True,
        )  # fmt: skip
        return out.read_bytes()


class PexelsStandin(StandinServer):
    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        # Pexels' allowance: every API answer carries X-Ratelimit-*; at 0 remaining it answers 429.
        self.limit, self.remaining = 200, 200
        self.reset_at = int(time.time()) + 3600

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-Ratelimit-Limit": str(self.limit),
            "X-Ratelimit-Remaining": str(self.remaining),
            "X-Ratelimit-Reset": str(self.reset_at),
        }

    def route(self, request: Recorded) -> Reply:
        if request.path.startswith("/files/"):
            return Reply(200, sample_mp4(), {"Content-Type": "video/mp4"})
        if request.headers.get("authorization") != self.api_key:
            return Reply.json({"error": "Unauthorized"}, 401)
        if request.method == "GET" and request.path == "/videos/search":
            if self.remaining <= 0:
                return Reply(429, b"Too Many Requests", {"Content-Type": "text/plain", **self._rate_headers()})
            self.remaining -= 1
            reply = self._search(request)
            reply.headers.update(self._rate_headers())
            return reply
        return Reply.json({"error": "Not found"}, 404)

    def _search(self, request: Recorded) -> Reply:
        query = request.query.get("query", "")
        per_page = int(request.query.get("per_page", "15"))
        videos = [] if NO_RESULTS in query else [self._video(1000 + index) for index in range(min(per_page, 2))]
        return Reply.json({
            "page": 1, "per_page": per_page, "total_results": len(videos), "videos": videos,
            "url": f"https://www.pexels.com/search/videos/{query}/",
        })  # fmt: skip

    def _video(self, video_id: int) -> dict:
        files = [
            {"id": video_id * 10 + 1, "quality": "sd", "file_type": "video/mp4", "width": 320, "height": 180,
             "fps": 10, "link": f"{self.url}/files/{video_id}-sd.mp4"},
            {"id": video_id * 10 + 2, "quality": "hd", "file_type": "video/mp4", "width": 1280, "height": 720,
             "fps": 10, "link": f"{self.url}/files/{video_id}-hd.mp4"},
        ]  # fmt: skip
        return {
            "id": video_id, "width": 1280, "height": 720, "duration": 2,
            "url": f"https://www.pexels.com/video/{video_id}/", "image": f"{self.url}/files/{video_id}.jpg",
            "user": {"id": 1, "name": "Stand-in", "url": "https://www.pexels.com/@standin"},
            "video_files": files, "video_pictures": [],
        }  # fmt: skip
