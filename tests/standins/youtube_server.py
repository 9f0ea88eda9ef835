"""A stand-in for the YouTube Data API v3: channels.list, resumable videos.insert, thumbnails.set,
captions.insert (multipart), videos.update. Bearer tokens are checked against the OAuth stand-in.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
from dataclasses import dataclass, field
from email.parser import BytesParser
from typing import Any

from googleapiclient.discovery_cache import get_static_doc

from tests.standins.google_oauth_server import GoogleOAuthStandin
from tests.standins.server import Recorded, Reply, StandinServer

CHANNEL_ID = "UCstandinChannel000000000"
CHANNEL_TITLE = "Bhakti Stories"
STATUS_DEFAULTS = {"embeddable": True, "license": "youtube", "publicStatsViewable": True}
UPLOAD_GRANULARITY = 256 * 1024  # every chunk but the last must be a multiple of this
DESCRIPTION_MAX_BYTES = 5000  # YouTube counts the description in UTF-8 bytes


@functools.cache
def required_parameters() -> dict[tuple[str, str], tuple[str, ...]]:
    """(HTTP method, path) -> required query parameters, read from the discovery document the client uses."""
    doc = json.loads(get_static_doc("youtube", "v3"))
    table: dict[tuple[str, str], tuple[str, ...]] = {}
    for resource in doc["resources"].values():
        for method in resource.get("methods", {}).values():
            required = tuple(
                name
                for name, spec in method.get("parameters", {}).items()
                if spec.get("required") and spec.get("location") == "query"
            )
            table[(method["httpMethod"], "/" + method["path"])] = required
            if method.get("mediaUpload"):  # the client sends media to /upload/<path>
                table[(method["httpMethod"], "/upload/" + method["path"])] = required
    return table


def youtube_error(status: int, reason: str, message: str, domain: str = "youtube.api") -> Reply:
    return Reply.json(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
            }
        },
        status,
    )


def quota_exceeded() -> Reply:
    return youtube_error(
        403,
        "quotaExceeded",
        'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
        domain="youtube.quota",
    )


@dataclass
class UploadSession:
    metadata: dict[str, Any]
    total: int
    data: bytearray = field(default_factory=bytearray)
    chunks: int = 0


@dataclass
class Video:
    id: str
    metadata: dict[str, Any]
    data: bytes
    chunks: int
    thumbnails: list[bytes] = field(default_factory=list)
    captions: list[dict[str, Any]] = field(default_factory=list)  # {"snippet": ..., "body": bytes}
    updates: list[dict[str, Any]] = field(default_factory=list)
    processing_polls: int = 0  # videos.list answers "processing" this many more times
    unapplied_thumbnails: list[bytes] = field(default_factory=list)  # set on a Short still processing
    is_short: bool = False


class YouTubeStandin(StandinServer):
    def __init__(self, oauth: GoogleOAuthStandin) -> None:
        super().__init__()
        self.oauth = oauth
        self.sessions: dict[str, UploadSession] = {}
        self.videos: dict[str, Video] = {}
        # A channel that is not phone-verified may not set custom thumbnails: 403 `forbidden`.
        self.custom_thumbnails = True
        # Chunk PUTs whose connection drops after the bytes arrived (the client then has to ask
        # how far the upload got: an empty PUT with Content-Range bytes */TOTAL, answered 308 + Range).
        self.drop_chunks = 0
        # How many videos.list polls a new upload stays "processing" for, and whether it is a Short.
        self.processing_polls = 0
        self.shorts = False

    @property
    def root_url(self) -> str:
        return f"{self.url}/"

    def route(self, request: Recorded) -> Reply:
        if request.path.startswith("/upload/sessions/"):
            return self._chunk(request)  # the session URI itself is the credential, as on YouTube
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not self.oauth.is_valid_access_token(token):
            return youtube_error(401, "authError", "Request had invalid authentication credentials.")
        path = request.path
        required = required_parameters().get((request.method, path))
        if required is None:
            return youtube_error(404, "notFound", f"No such method in the discovery document: {request.method} {path}")
        missing = [name for name in required if not request.query.get(name)]
        if missing:
            return youtube_error(400, "required", f"Required parameter: {', '.join(missing)}")
        if request.method == "GET" and path.endswith("/youtube/v3/channels"):
            return Reply.json({"kind": "youtube#channelListResponse",
                               "items": [{"id": CHANNEL_ID, "snippet": {"title": CHANNEL_TITLE}}]})  # fmt: skip
        if request.method == "GET" and path.endswith("/youtube/v3/videos"):
            return self._list_videos(request)
        if request.method == "POST" and re.search(r"/upload/youtube/v3/videos$", path):
            return self._start_upload(request)
        if request.method == "POST" and path.endswith("/upload/youtube/v3/thumbnails/set"):
            return self._thumbnail(request)
        if request.method == "POST" and path.endswith("/upload/youtube/v3/captions"):
            return self._caption(request)
        if request.method == "PUT" and path.endswith("/youtube/v3/videos"):
            body = request.json()
            video = self.videos.get(body.get("id", ""))
            if video is None:
                return youtube_error(404, "videoNotFound", "The video could not be found.")
            video.updates.append(body)
            if "status" in request.query.get("part", "").split(","):
                # As on YouTube, the status part is replaced whole: a field left out takes its default.
                video.metadata["status"] = {**STATUS_DEFAULTS, **(body.get("status") or {})}
            return Reply.json({"kind": "youtube#video", **body})
        return youtube_error(404, "notFound", f"Unknown route {request.method} {path}")

    def _start_upload(self, request: Recorded) -> Reply:
        if request.query.get("uploadType") != "resumable":
            return youtube_error(400, "badRequest", "stand-in only takes resumable video uploads")
        metadata = request.json()
        status = metadata.get("status", {})
        if "selfDeclaredMadeForKids" not in status:
            return youtube_error(400, "invalidValue", "status.selfDeclaredMadeForKids is required")
        if status.get("publishAt") and status.get("privacyStatus") != "private":
            return youtube_error(400, "invalidPublishAt", "publishAt requires privacyStatus private")
        description = str(metadata.get("snippet", {}).get("description", ""))
        if len(description.encode()) > DESCRIPTION_MAX_BYTES or "<" in description or ">" in description:
            return youtube_error(
                400, "invalidDescription", "The request metadata specifies an invalid video description."
            )
        session_id = secrets.token_hex(8)
        self.sessions[session_id] = UploadSession(
            metadata=metadata, total=int(request.headers.get("x-upload-content-length", "0"))
        )
        return Reply(200, b"", {"Location": f"{self.url}/upload/sessions/{session_id}"})

    def _chunk(self, request: Recorded) -> Reply:
        session = self.sessions.get(request.path.rsplit("/", 1)[-1])
        if session is None or request.method != "PUT":
            return youtube_error(404, "notFound", "No such upload session")
        match = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)", request.headers.get("content-range", ""))
        if match:
            start, end = int(match.group(1)), int(match.group(2))
            if start != len(session.data):
                return youtube_error(400, "badRequest", f"chunk starts at {start}, expected {len(session.data)}")
            final = match.group(3) != "*" and end + 1 == int(match.group(3))
            if not final and len(request.body) % UPLOAD_GRANULARITY:
                return youtube_error(
                    400, "badRequest", f"a chunk of {len(request.body)} bytes is not a multiple of 256 KiB"
                )
            session.data.extend(request.body)
            session.chunks += 1
            if self.drop_chunks > 0:
                self.drop_chunks -= 1
                return Reply(drop=True)
            if match.group(3) != "*":
                session.total = int(match.group(3))
        if session.total and len(session.data) >= session.total:
            video_id = "vid" + secrets.token_hex(4)
            self.videos[video_id] = Video(
                id=video_id,
                metadata=session.metadata,
                data=bytes(session.data),
                chunks=session.chunks,
                processing_polls=self.processing_polls,
                is_short=self.shorts,
            )
            return Reply.json({"kind": "youtube#video", "id": video_id, **session.metadata})
        headers = {"Range": f"bytes=0-{len(session.data) - 1}"} if session.data else {}
        return Reply(308, b"", headers)

    def _thumbnail(self, request: Recorded) -> Reply:
        video = self.videos.get(request.query.get("videoId", ""))
        if video is None:
            return youtube_error(404, "videoNotFound", "The video could not be found.")
        if not self.custom_thumbnails:
            return youtube_error(
                403,
                "forbidden",
                "The authenticated user doesn't have permissions to upload and set custom video thumbnails.",
                domain="youtube.thumbnail",
            )
        if video.is_short and video.processing_polls > 0:
            # YouTube: a Short's custom thumbnail set before processing completes may not be applied.
            video.unapplied_thumbnails.append(request.body)
        else:
            video.thumbnails.append(request.body)
        return Reply.json(
            {"kind": "youtube#thumbnailSetResponse", "items": [{"default": {"url": "https://i.ytimg.com/x.jpg"}}]}
        )

    def _list_videos(self, request: Recorded) -> Reply:
        items = []
        for video_id in request.query.get("id", "").split(","):
            video = self.videos.get(video_id)
            if video is None:
                continue
            parts = request.query.get("part", "").split(",")
            item: dict[str, Any] = {"kind": "youtube#video", "id": video.id}
            if "processingDetails" in parts:
                state = "processing" if video.processing_polls > 0 else "succeeded"
                video.processing_polls = max(0, video.processing_polls - 1)
                item["processingDetails"] = {"processingStatus": state}
            if "status" in parts:
                item["status"] = {**STATUS_DEFAULTS, "uploadStatus": "processed", **video.metadata.get("status", {})}
            items.append(item)
        return Reply.json({"kind": "youtube#videoListResponse", "items": items})

    def _caption(self, request: Recorded) -> Reply:
        content_type = request.headers.get("content-type", "")
        message = BytesParser().parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + request.body)
        parts = message.get_payload() if message.is_multipart() else []
        if len(parts) != 2:
            return youtube_error(400, "badRequest", "captions.insert needs multipart metadata + file")
        metadata = json.loads(parts[0].get_payload(decode=True))
        snippet = metadata.get("snippet", {})
        video = self.videos.get(snippet.get("videoId", ""))
        if video is None:
            return youtube_error(404, "videoNotFound", "The video could not be found.")
        video.captions.append({"snippet": snippet, "body": parts[1].get_payload(decode=True)})
        return Reply.json({"kind": "youtube#caption", "id": f"cap{len(video.captions)}", "snippet": snippet})
