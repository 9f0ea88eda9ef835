"""A stand-in for ElevenLabs' /v1/text-to-speech/{voice_id}/with-timestamps."""

from __future__ import annotations

import base64

from tests.standins.openai_server import tone_pcm
from tests.standins.server import Recorded, Reply, StandinServer

API_KEY = "el-standin-key"
SECONDS_PER_CHAR = 0.05


class ElevenLabsStandin(StandinServer):
    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key

    def route(self, request: Recorded) -> Reply:
        if request.headers.get("xi-api-key") != self.api_key:
            return Reply.json({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}, 401)
        parts = request.path.strip("/").split("/")
        if (
            request.method == "POST"
            and len(parts) == 4
            and parts[:2] == ["v1", "text-to-speech"]
            and parts[3] == "with-timestamps"
        ):
            return self._speak(request)
        return Reply.json({"detail": {"status": "not_found", "message": f"Unknown route {request.path}"}}, 404)

    def _speak(self, request: Recorded) -> Reply:
        output_format = request.query.get("output_format", "mp3_44100_128")
        if not output_format.startswith("pcm_"):
            return Reply.json({"detail": {"status": "unsupported", "message": "stand-in only speaks pcm_*"}}, 422)
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
