"""A stand-in for the OpenAI API: images (b64_json), speech (raw pcm), chat completions.

Chat messages are checked as Chat Completions checks them: `content` is a string or a list of
parts; system and developer messages take `text` parts only; a user message's `image_url` part
holds `{"url", "detail"?}` with detail `auto|low|high|original`, and the url is http(s) or a
base64 data URL of a PNG, JPEG, WebP or non-animated GIF that really decodes (at most 20 MB an
image, 50 MB of image bytes and 500 images a request), else a 400 as OpenAI answers.

It takes only the models the pinned SDK lists (its `ImageModel`, `SpeechModel`, `ChatModel`
types) and refuses, as OpenAI does, those shut down by today (renders/pipeline/providers/catalog.py,
itself checked against the SDK's texts), with OpenAI's error bodies.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import math
import re
import struct
import time
from collections import deque
from typing import Any, get_args

from openai.types.audio.speech_model import SpeechModel
from openai.types.image_model import ImageModel
from openai.types.shared.chat_model import ChatModel
from PIL import Image

from renders.pipeline.providers.catalog import is_shut_down
from tests.standins.server import Recorded, Reply, StandinServer

API_KEY = "sk-standin-openai"
TTS_SAMPLE_RATE = 24_000
KNOWN_MODELS = {
    "image": set(get_args(ImageModel)),
    "speech": set(get_args(SpeechModel)),
    "chat": set(get_args(ChatModel)),
}
CHAT_ROLES = {"system", "developer", "user", "assistant", "tool"}
IMAGE_DETAILS = {"auto", "low", "high", "original"}
VISION_FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp", "GIF": "gif"}
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_REQUEST_IMAGE_BYTES = 50 * 1024 * 1024
MAX_REQUEST_IMAGES = 500
_DATA_URL = re.compile(r"data:(image/[a-z+.-]+);base64,(.*)", re.DOTALL)
STANDARD_IMAGE_SIZES = {"1024x1024", "1536x1024", "1024x1536", "auto"}
# The built-in voices the SDK's audio.speech.create docstring lists.
TTS_VOICES = {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin",
              "cedar"}  # fmt: skip


def openai_error(status: int, message: str, type_: str, code: str | None, param: str | None = None) -> Reply:
    return Reply.json({"error": {"message": message, "type": type_, "param": param, "code": code}}, status)


def insufficient_quota() -> Reply:
    """What OpenAI answers when the account has no credit: a 429 that no retry will pass."""
    return openai_error(
        429,
        "You exceeded your current quota, please check your plan and billing details. For more information on "
        "this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
        "insufficient_quota",
        "insufficient_quota",
    )


def rate_limited(retry_after: str = "1") -> Reply:
    reply = openai_error(
        429, "Rate limit reached for requests per min (RPM). Please try again in 1s.", "requests", "rate_limit_exceeded"
    )
    reply.headers["Retry-After"] = retry_after
    return reply


def png_bytes(width: int, height: int, color: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def tone_pcm(seconds: float, sample_rate: int = TTS_SAMPLE_RATE, hz: float = 220.0) -> bytes:
    count = int(seconds * sample_rate)
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / sample_rate))) for i in range(count))


class OpenAIStandin(StandinServer):
    """Speaks /v1/images/generations, /v1/audio/speech and /v1/chat/completions.

    Images come back smaller than asked (a sixteenth per side) to keep tests fast; chat answers
    are taken from `chat_replies` (strings, used in order) or else echo a minimal valid plan.
    """

    def __init__(self, api_key: str = API_KEY, *, today: dt.date | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self.today = today  # None: the real date; a test may move it past a shutdown
        self.chat_replies: deque[str] = deque()
        # (mime type, size) of each image a chat request showed the model, in order.
        self.images_seen: list[tuple[str, tuple[int, int]]] = []
        self.usage = {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200}

    def refused_model(self, kind: str, model: object) -> Reply | None:
        """OpenAI's 404 for a model it does not serve (unknown, or shut down by today)."""
        today = self.today or dt.datetime.now(tz=dt.UTC).date()
        if isinstance(model, str) and model in KNOWN_MODELS[kind] and not is_shut_down(kind, model, today):
            return None
        return openai_error(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        )

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def route(self, request: Recorded) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply.json({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                         "code": "invalid_api_key"}}, 401)  # fmt: skip
        kinds = {"/v1/images/generations": "image", "/v1/audio/speech": "speech", "/v1/chat/completions": "chat"}
        kind = kinds.get(request.path) if request.method == "POST" else None
        if kind is None:
            return openai_error(404, f"Unknown route {request.path}", "invalid_request_error", None)
        body = request.json()
        refused = self.refused_model(kind, body.get("model"))
        if refused is not None:
            return refused
        if kind == "image":
            return self._image(body)
        if kind == "speech":
            return self._speech(body)
        return self._chat(body)

    def _image(self, body: dict[str, Any]) -> Reply:
        if "response_format" in body:  # the SDK: "Unsupported for GPT image models"
            return openai_error(
                400, "Unknown parameter: 'response_format'.", "invalid_request_error", "unknown_parameter",
                "response_format",
            )  # fmt: skip
        size = str(body.get("size", "auto"))
        match = re.fullmatch(r"(\d+)x(\d+)", size)
        if size not in STANDARD_IMAGE_SIZES and not (match and int(match[1]) % 16 == 0 and int(match[2]) % 16 == 0):
            return openai_error(400, f"Invalid value: '{size}'.", "invalid_request_error", "invalid_value", "size")
        if size == "auto":
            size = "1024x1024"
        width, height = (int(side) for side in size.split("x"))
        data = png_bytes(max(1, width // 16), max(1, height // 16))
        return Reply.json({
            "created": int(time.time()),
            "data": [{"b64_json": base64.b64encode(data).decode()}],
            "usage": {"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210},
        })  # fmt: skip

    def _speech(self, body: dict[str, Any]) -> Reply:
        voice = body.get("voice")
        if not (isinstance(voice, dict) and voice.get("id")) and voice not in TTS_VOICES:
            return openai_error(
                400, f"Invalid value: '{voice}'. Supported values are: {', '.join(sorted(TTS_VOICES))}.",
                "invalid_request_error", "invalid_value", "voice",
            )  # fmt: skip
        if body.get("response_format") != "pcm":
            return Reply(200, b"ID3fake-mp3", {"Content-Type": "audio/mpeg"})
        seconds = max(0.2, 0.06 * len(str(body.get("input", ""))))
        return Reply(200, tone_pcm(seconds), {"Content-Type": "audio/pcm"})

    def _chat(self, body: dict[str, Any]) -> Reply:
        refused = self._refused_messages(body.get("messages"))
        if refused is not None:
            return refused
        content = self.chat_replies.popleft() if self.chat_replies else self._echo_plan(body)
        return Reply.json({
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "gpt"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content, "refusal": None}}],
            "usage": self.usage,
        })  # fmt: skip

    def _refused_messages(self, messages: object) -> Reply | None:
        """OpenAI's 400 for messages it would refuse; records the images it would look at."""
        if not isinstance(messages, list) or not messages:
            return openai_error(400, "[] is too short - 'messages'", "invalid_request_error", None, "messages")
        images: list[tuple[str, tuple[int, int]]] = []
        image_bytes = 0
        for index, message in enumerate(messages):
            where = f"messages.[{index}]"
            role = message.get("role") if isinstance(message, dict) else None
            if role not in CHAT_ROLES:
                return openai_error(400, f"Invalid value: '{role}'.", "invalid_request_error", "invalid_value",
                                    f"{where}.role")  # fmt: skip
            content = message.get("content")
            if isinstance(content, str) or (content is None and role == "assistant"):
                continue
            if not isinstance(content, list):
                return openai_error(400, f"Invalid type for '{where}.content'.", "invalid_request_error",
                                    "invalid_type", f"{where}.content")  # fmt: skip
            allowed = {"text", "image_url", "input_audio", "file"} if role == "user" else {"text"}
            for number, part in enumerate(content):
                at = f"{where}.content.[{number}]"
                kind = part.get("type") if isinstance(part, dict) else None
                if kind not in allowed:
                    return openai_error(400, f"Invalid value: '{kind}'. Supported values are: "
                                        + ", ".join(f"'{name}'" for name in sorted(allowed)) + ".",
                                        "invalid_request_error", "invalid_value", f"{at}.type")  # fmt: skip
                if kind == "text" and not isinstance(part.get("text"), str):
                    return openai_error(400, f"Missing required parameter: '{at}.text'.", "invalid_request_error",
                                        "missing_required_parameter", f"{at}.text")  # fmt: skip
                if kind != "image_url":
                    continue
                seen = self._image_part(part.get("image_url"), f"{at}.image_url")
                if isinstance(seen, Reply):
                    return seen
                mime, size, length = seen
                image_bytes += length
                images.append((mime, size))
        if len(images) > MAX_REQUEST_IMAGES or image_bytes > MAX_REQUEST_IMAGE_BYTES:
            return openai_error(400, f"Too many images or image bytes in one request ({len(images)} images, "
                                f"{image_bytes} bytes).", "invalid_request_error", "too_many_images",
                                "messages")  # fmt: skip
        self.images_seen.extend(images)
        return None

    @staticmethod
    def _image_part(image_url: object, at: str) -> Reply | tuple[str, tuple[int, int], int]:
        if not isinstance(image_url, dict) or not isinstance(image_url.get("url"), str):
            return openai_error(400, f"Missing required parameter: '{at}.url'.", "invalid_request_error",
                                "missing_required_parameter", f"{at}.url")  # fmt: skip
        detail = image_url.get("detail", "auto")
        if detail not in IMAGE_DETAILS:
            return openai_error(400, f"Invalid value: '{detail}'. Supported values are: 'auto', 'low', 'high' and "
                                "'original'.", "invalid_request_error", "invalid_value", f"{at}.detail")  # fmt: skip
        url = image_url["url"]
        if url.startswith(("https://", "http://")):
            return ("image/url", (0, 0), 0)  # not fetched here
        match = _DATA_URL.fullmatch(url)
        unsupported = openai_error(400, "You uploaded an unsupported image. Please make sure your image has of one "
                                   "the following formats: ['png', 'jpeg', 'gif', 'webp'].", "invalid_request_error",
                                   "invalid_image_format", None)  # fmt: skip
        if match is None:
            return openai_error(400, "Invalid image URL: expected a URL or a base64 data URL.",
                                "invalid_request_error", "invalid_image_url", f"{at}.url")  # fmt: skip
        try:
            data = base64.b64decode(match[2], validate=True)
        except ValueError:
            return openai_error(400, "Invalid base64 image_url.", "invalid_request_error", "invalid_base64",
                                f"{at}.url")  # fmt: skip
        if len(data) > MAX_IMAGE_BYTES:
            return openai_error(400, "Image is too large; the limit is 20MB.", "invalid_request_error",
                                "image_too_large", f"{at}.url")  # fmt: skip
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                kind, size, frames = image.format or "", image.size, getattr(image, "n_frames", 1)
        except (OSError, ValueError, SyntaxError):
            return openai_error(400, "The image data you provided does not represent a valid image.",
                                "invalid_request_error", "invalid_image", None)  # fmt: skip
        if kind not in VISION_FORMATS or (kind == "GIF" and frames > 1):
            return unsupported
        if match[1] != f"image/{VISION_FORMATS[kind]}":  # the declared type must be the real one
            return openai_error(400, f"Invalid MIME type {match[1]} for {VISION_FORMATS[kind]} image data.",
                                "invalid_request_error", "invalid_image_format", f"{at}.url")  # fmt: skip
        return (match[1], size, len(data))

    def _echo_plan(self, body: dict[str, Any]) -> str:
        messages = body.get("messages") or []
        system = messages[0].get("content") if messages and isinstance(messages[0], dict) else ""
        if isinstance(system, str) and '"narrations"' in system:  # photo narration: one line per image shown
            parts = messages[-1].get("content") or []
            count = sum(1 for part in parts if isinstance(part, dict) and part.get("type") == "image_url")
            return json.dumps({"narrations": [f"This is photo {index + 1}." for index in range(count)]})
        scenes = [
            {"image_prompt": f"scene {index + 1} of the story", "narration": f"Narration {index + 1}.",
             "duration_sec": 4, "keywords": ["temple"]}
            for index in range(3)
        ]  # fmt: skip
        return json.dumps({"title": "A stand-in story", "scenes": scenes})
