"""What a media file holds, read from `ffmpeg -i` (the wheel ships no ffprobe). No Django here.

`ffmpeg -i FILE` with no output prints the container and stream summary on stderr and exits
with status 1 ("At least one output file must be specified"); that summary is stable enough to
parse for the few facts tests and the job summary need.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from renders.pipeline.ffmpeg import ffmpeg_exe

_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+)(.*)")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+)(.*)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS = re.compile(r"([\d.]+)(k?) fps")
_RATE = re.compile(r"(\d+) Hz")
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6, "7.1": 8}
_CHANNELS = re.compile(r"(\d+) channels")
_FRAME = re.compile(r"frame=\s*(\d+)")


@dataclass(frozen=True)
class MediaInfo:
    duration_sec: float
    width: int
    height: int
    fps: float
    video_codec: str
    audio_codec: str
    audio_channels: int
    audio_sample_rate: int

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_codec)

    @property
    def has_video(self) -> bool:
        return bool(self.video_codec)


def _describe(path: Path) -> str:
    if not path.is_file():
        raise FileNotFoundError(path)
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        start_new_session=True,  # not killed by a Ctrl-C meant for the worker (see ffmpeg.py)
        timeout=60,
        check=False,
    )
    return done.stderr.decode("utf-8", "replace")


def parse_media_info(text: str) -> MediaInfo:
    """MediaInfo from the stderr of `ffmpeg -i FILE`; fields absent from it are 0 or ''."""
    duration = 0.0
    if match := _DURATION.search(text):
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    width = height = 0
    fps = 0.0
    video_codec = audio_codec = ""
    channels = sample_rate = 0
    for line in text.splitlines():
        if not video_codec and (video := _VIDEO.search(line)):
            video_codec, rest = video.group(1), video.group(2)
            if size := _SIZE.search(rest):
                width, height = int(size.group(1)), int(size.group(2))
            if rate := _FPS.search(rest):
                fps = float(rate.group(1)) * (1000 if rate.group(2) else 1)
        elif not audio_codec and (audio := _AUDIO.search(line)):
            audio_codec, rest = audio.group(1), audio.group(2)
            if hz := _RATE.search(rest):
                sample_rate = int(hz.group(1))
            fields = [field.strip() for field in rest.split(",")]
            channels = next((_LAYOUT_CHANNELS[f] for f in fields if f in _LAYOUT_CHANNELS), 0)
            if not channels and (counted := _CHANNELS.search(rest)):
                channels = int(counted.group(1))
    return MediaInfo(duration, width, height, fps, video_codec, audio_codec, channels, sample_rate)


def probe(path: Path) -> MediaInfo:
    """Container duration, first video stream's size/fps/codec and first audio stream's facts."""
    text = _describe(path)
    if "Invalid data found" in text or "Duration:" not in text:
        raise ValueError(f"{path} is not a readable media file: {text.strip().splitlines()[-1:]}")
    return parse_media_info(text)


def count_frames(path: Path) -> int:
    """Number of video frames in `path`, counted by remuxing its video stream to nowhere."""
    if not path.is_file():
        raise FileNotFoundError(path)
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"],
        capture_output=True,
        start_new_session=True,  # not killed by a Ctrl-C meant for the worker (see ffmpeg.py)
        timeout=120,
        check=False,
    )
    text = done.stderr.decode("utf-8", "replace")
    frames = _FRAME.findall(text)
    if done.returncode != 0 or not frames:
        raise ValueError(f"could not count frames of {path}: {text.strip().splitlines()[-1:]}")
    return int(frames[-1])
