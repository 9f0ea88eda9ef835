"""A stand-in for ElevenLabs' /v1/text-to-speech/{voice_id}/with-timestamps.

Like ElevenLabs it refuses a voice id it does not serve (404 `voice_not_found`, e.g. the retired
Rachel) and a model id it does not know, and can be told to answer `quota_exceeded` or
`too_many_concurrent_requests`, with ElevenLabs' `{"detail": {"status", "message"}}` bodies.
"""

from __future__ import annotations

import base64

from tests.standins.openai_server import tone_pcm
from tests.standins.server import Recorded, Reply, StandinServer

API_KEY = "el-standin-key"
SECONDS_PER_CHAR = 0.05
# Default voices the stand-in serves (George, Sarah), and the text-to-speech models it knows.
VOICES = {"JBFqnCBsd6RMkjVDRZzb": "George", "EXAVITQu4vr4xnSDxMaL": "Sarah"}
MODELS = {"eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_v3", "eleven_flash_v2"}


def elevenlabs_error(status: int, code: str, message: str) -> Reply:
    return Reply.json({"detail": {"status": code, "message": message}}, status)


def quota_exceeded() -> Reply:
    return elevenlabs_error(
        401, "quota_exceeded", "This request exceeds your quota of 10000. You have 12 credits remaining."
    )


def too_many_concurrent_requests() -> Reply:
    return elevenlabs_error(429, "too_many_concurrent_requests", "Too many concurrent requests for your subscription.")


class ElevenLabsStandin(StandinServer):
    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key

    def route(self, request: Recorded) -> Reply:
        if request.headers.get("xi-api-key") != self.api_key:
            return elevenlabs_error(401, "invalid_api_key", "Invalid API key")
        parts = request.path.strip("/").split("/")
        if (
            request.method == "POST"
            and len(parts) == 4
            and parts[:2] == ["v1", "text-to-speech"]
            and parts[3] == "with-timestamps"
        ):
            return self._speak(request)
        return elevenlabs_error(404, "not_found", f"Unknown route {request.path}")

    def _speak(self, request: Recorded) -> Reply:
        voice_id = request.path.strip("/").split("/")[2]
        if voice_id not in VOICES:
            return elevenlabs_error(404, "voice_not_found", f"A voice with the voice_id {voice_id} was not found.")
        model_id = request.json().get("model_id", "eleven_multilingual_v2")
        if model_id not in MODELS:
            return elevenlabs_error(400, "model_not_found", f"A model with model ID {model_id} does not exist.")
        output_format = request.query.get("output_format", "mp3_44100_128")
        if not output_format.startswith("pcm_"):
            return elevenlabs_error(422, "unsupported", "stand-in only speaks pcm_*")
        sample_rate = int(output_format.split("_")[1])
        text = str(request.json().get("text", ""))
        starts = [round(index * SECONDS_PER_CHAR, 3) for index in range(len(text))]
        ends = [round(start + SECONDS_PER_CHAR, 3) for start in starts]
        alignment = {
            "characters": list(text),
            "character_start_times_seconds": starts,
            "character_end_times_seconds": ends,
        }
        audio = tone_pcm(max(0.2, len(text) * SECONDS_PER_CHAR), sample_rate)
        return Reply.json({
            "audio_base64": base64.b64encode(audio).decode(),
            "alignment": alignment,
            "normalized_alignment": alignment,
        })  # fmt: skip
