"""A stand-in for the OpenAI API: images (b64_json), speech (raw pcm), chat completions."""

from __future__ import annotations

import base64
import io
import json
import math
import struct
import time
from collections import deque
from typing import Any

from PIL import Image

from tests.standins.server import Recorded, Reply, StandinServer

API_KEY = "sk-standin-openai"
TTS_SAMPLE_RATE = 24_000


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

    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.chat_replies: deque[str] = deque()
        self.usage = {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200}

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def route(self, request: Recorded) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply.json({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                         "code": "invalid_api_key"}}, 401)  # fmt: skip
        if request.method == "POST" and request.path == "/v1/images/generations":
            return self._image(request.json())
        if request.method == "POST" and request.path == "/v1/audio/speech":
            return self._speech(request.json())
        if request.method == "POST" and request.path == "/v1/chat/completions":
            return self._chat(request.json())
        return Reply.json({"error": {"message": f"Unknown route {request.path}"}}, 404)

    def _image(self, body: dict[str, Any]) -> Reply:
        width, height = (int(side) for side in str(body.get("size", "1024x1024")).split("x"))
        data = png_bytes(max(1, width // 16), max(1, height // 16))
        return Reply.json({
            "created": int(time.time()),
            "data": [{"b64_json": base64.b64encode(data).decode()}],
            "usage": {"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210},
        })  # fmt: skip

    def _speech(self, body: dict[str, Any]) -> Reply:
        if body.get("response_format") != "pcm":
            return Reply(200, b"ID3fake-mp3", {"Content-Type": "audio/mpeg"})
        seconds = max(0.2, 0.06 * len(str(body.get("input", ""))))
        return Reply(200, tone_pcm(seconds), {"Content-Type": "audio/pcm"})

    def _chat(self, body: dict[str, Any]) -> Reply:
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

    def _echo_plan(self, body: dict[str, Any]) -> str:
        scenes = [
            {"image_prompt": f"scene {index + 1} of the story", "narration": f"Narration {index + 1}.",
             "duration_sec": 4, "keywords": ["temple"]}
            for index in range(3)
        ]  # fmt: skip
        return json.dumps({"title": "A stand-in story", "scenes": scenes})
