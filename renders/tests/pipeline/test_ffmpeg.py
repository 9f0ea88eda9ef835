"""The ffmpeg runner (cancel, kill, failures), encoder choice, filter escaping and media probing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from renders.pipeline import ffmpeg
from renders.pipeline.context import Canceled, RenderError
from renders.pipeline.ffmpeg import (
    FfmpegFailed,
    encoder_args,
    escape_filter_value,
    meaningful_lines,
    pick_encoder,
    run_ffmpeg,
    running_processes,
)
from renders.pipeline.media_probe import count_frames, parse_media_info, probe


def _never() -> bool:
    return False


def _children_named_ffmpeg() -> list[int]:
    """Live (non-zombie) children of this process running the ffmpeg binary, read from /proc."""
    exe = os.path.realpath(ffmpeg.ffmpeg_exe())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == os.getpid() and state != "Z" and os.path.realpath(f"/proc/{entry}/exe") == exe:
                found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def _tiny_clip(path: Path, seconds: float = 1.0, audio: bool = True) -> Path:
    args = ["-loglevel", "error", "-f", "lavfi", "-i", f"testsrc2=s=160x90:r=25:d={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:d={seconds}", "-ac", "1"]
        args += ["-c:a", "aac"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    run_ffmpeg(args, is_canceled=_never)
    return path


@pytest.fixture
def fresh_nvenc_probe():
    """The probe result is cached for the process: forget it before and after, so a stubbed
    answer never leaks into another test and the real probe runs again afterwards."""
    ffmpeg.nvenc_available.cache_clear()
    yield
    ffmpeg.nvenc_available.cache_clear()


def test_it_falls_back_to_libx264_when_the_nvenc_probe_fails(monkeypatch, fresh_nvenc_probe):
    # What ffmpeg answers on a host without an NVIDIA GPU or driver, whatever this host has.
    def probe_fails(args, **kwargs):
        assert "h264_nvenc" in args
        raise FfmpegFailed(
            "NVENC probe failed: Cannot load libcuda.so.1",
            step="compose",
            stderr="Cannot load libcuda.so.1",
            returncode=1,
        )

    monkeypatch.setattr(ffmpeg, "run_ffmpeg", probe_fails)
    assert ffmpeg.nvenc_available() is False
    assert pick_encoder("auto") == "libx264"
    assert pick_encoder("h264_nvenc") == "libx264"
    assert pick_encoder("libx264") == "libx264"
    with pytest.raises(ValueError):
        pick_encoder("vp9")


def test_it_picks_nvenc_when_the_probe_encode_succeeds(monkeypatch, fresh_nvenc_probe):
    monkeypatch.setattr(ffmpeg, "run_ffmpeg", lambda args, **kwargs: ffmpeg.CompletedRun(list(args), 0, "", 0.1))
    assert ffmpeg.nvenc_available() is True
    assert pick_encoder("auto") == "h264_nvenc"
    assert pick_encoder("h264_nvenc") == "h264_nvenc"
    assert pick_encoder("libx264") == "libx264"  # an explicit choice wins over the GPU


def test_it_encodes_with_nvenc_where_the_gpu_has_it(tmp_path, fresh_nvenc_probe):
    if not ffmpeg.nvenc_available():
        pytest.skip("no NVENC on this host: ffmpeg's h264_nvenc probe encode failed (no NVIDIA GPU or driver)")
    assert pick_encoder("auto") == "h264_nvenc"
    out = tmp_path / "nvenc.mp4"
    args = ["-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=2"]
    args += encoder_args("h264_nvenc", "final", threads=1) + ["-an", str(out)]
    run_ffmpeg(args, is_canceled=_never, timeout=60, what="NVENC encode")
    info = probe(out)
    assert (info.video_codec, info.width, info.height) == ("h264", 640, 360)
    assert count_frames(out) == 50


def test_it_uses_identical_settings_for_every_segment():
    final = encoder_args("libx264", "final", threads=1)
    assert final[final.index("-preset") + 1] == "veryfast"
    assert final[final.index("-crf") + 1] == "20"
    assert final[final.index("-pix_fmt") + 1] == "yuv420p"
    proxy = encoder_args("libx264", "proxy", threads=2)
    assert proxy[proxy.index("-preset") + 1] == "ultrafast"
    # Above one thread x264 slices each frame (one frame's memory) instead of frame threading.
    assert proxy[proxy.index("-x264-params") + 1] == "sliced-threads=1"
    assert "-x264-params" not in final
    nvenc = encoder_args("h264_nvenc", "final", threads=1)
    assert nvenc[nvenc.index("-preset") + 1] == "p4" and nvenc[nvenc.index("-cq") + 1] == "21"


def test_it_reports_a_failure_with_ffmpegs_reason_and_a_hint(tmp_path):
    missing = tmp_path / "nowhere.jpg"
    with pytest.raises(FfmpegFailed) as caught:
        run_ffmpeg(["-i", str(missing), "-f", "null", "-"], is_canceled=_never, what="scene 2 segment")
    error = caught.value
    assert isinstance(error, RenderError) and error.step == "compose"
    message = str(error)
    assert message.startswith("scene 2 segment failed: ")
    assert "No such file or directory" in message
    assert "Hint: an input file is missing" in message
    assert running_processes() == []


def test_it_keeps_the_root_cause_and_drops_knock_on_lines():
    stderr = "\n".join(
        [
            "[mjpeg @ 0x55db09406e80] No JPEG data found in image",
            "[vist#0:0/mjpeg @ 0x55db09407ac0] [dec:mjpeg @ 0x55db0940b740] Error submitting packet to decoder",
            "[vf#0:0 @ 0x55db0940f740] Task finished with error code: -1094995529 (Invalid data)",
            "[vf#0:0 @ 0x55db0940f740] Terminating thread with return code -1094995529",
            "[mjpeg @ 0x55db09406e80] No JPEG data found in image",
        ]
    )
    assert meaningful_lines(stderr) == ["No JPEG data found in image", "Error submitting packet to decoder"]


def test_it_kills_ffmpeg_when_the_job_is_canceled():
    flipped_at: list[float] = []

    def is_canceled() -> bool:
        if not flipped_at and time.monotonic() - started > 0.4:
            flipped_at.append(time.monotonic())
        return bool(flipped_at)

    started = time.monotonic()
    # -re reads the source in real time: this ffmpeg would run for 60 s on its own.
    args = ["-re", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=60", "-f", "null", "-"]
    with pytest.raises(Canceled):
        run_ffmpeg(args, is_canceled=is_canceled)
    assert time.monotonic() - flipped_at[0] < 1.5
    assert running_processes() == []
    assert _children_named_ffmpeg() == []


def test_it_stops_a_hung_ffmpeg_at_its_timeout():
    started = time.monotonic()
    with pytest.raises(RenderError, match="took longer than 1 s"):
        run_ffmpeg(
            ["-re", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=60", "-f", "null", "-"],
            is_canceled=_never,
            timeout=1,
            what="probe",
        )
    assert time.monotonic() - started < 4
    assert _children_named_ffmpeg() == []


def test_it_reports_frames_as_ffmpeg_writes_them(tmp_path):
    seen: list[int] = []
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=2", "-c:v", "libx264", "-preset", "ultrafast",
         str(tmp_path / "out.mp4")],
        is_canceled=_never,
        on_frame=seen.append,
    )  # fmt: skip
    assert seen and seen[-1] == 50
    assert seen == sorted(seen)


def test_it_escapes_awkward_paths_for_libass(tmp_path):
    # A directory name with every character that means something in a filter graph.
    odd = tmp_path / "we:ird, [dir]; it's"
    odd.mkdir()
    script = odd / "cues.ass"
    script.write_text(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: 160\nPlayResY: 90\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding\n"
        "Style: Default,Noto Sans Devanagari,40,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,"
        "0,0,1,0,0,5,0,0,0,1\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:00.00,0:00:05.00,Default,,0,0,0,,█████\n"
    )
    from renders.pipeline.fonts import fonts_dir

    out = tmp_path / "frame.png"
    graph = f"ass=filename={escape_filter_value(str(script))}:fontsdir={escape_filter_value(str(fonts_dir()))}"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "color=c=black:s=160x90:d=1", "-vf", graph, "-frames:v", "1", str(out)],
        is_canceled=_never,
    )
    from PIL import Image

    with Image.open(out) as frame:
        # The cue was found and drawn: white blocks in the middle of a black frame.
        assert frame.convert("L").getpixel((80, 45)) > 200


def test_it_probes_a_clip(tmp_path):
    clip = _tiny_clip(tmp_path / "clip.mp4", seconds=2)
    info = probe(clip)
    assert (info.width, info.height, info.fps) == (160, 90, 25)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert info.audio_channels == 1 and info.audio_sample_rate == 48000 and info.has_audio
    assert abs(info.duration_sec - 2.0) < 0.1
    assert count_frames(clip) == 50


def test_it_probes_a_clip_without_audio(tmp_path):
    info = probe(_tiny_clip(tmp_path / "silent.mp4", audio=False))
    assert info.has_video and not info.has_audio and info.audio_channels == 0


def test_it_parses_stereo_and_fractional_rates():
    text = (
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':\n"
        "  Duration: 00:01:02.50, start: 0.000000, bitrate: 2000 kb/s\n"
        "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), "
        "1080x1920 [SAR 1:1 DAR 9:16], 1900 kb/s, 29.97 fps, 29.97 tbr, 90k tbn (default)\n"
        "  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 192 kb/s\n"
    )
    info = parse_media_info(text)
    assert info.duration_sec == 62.5
    assert (info.width, info.height, info.fps) == (1080, 1920, 29.97)
    assert (info.audio_channels, info.audio_sample_rate) == (2, 44100)


def test_it_refuses_to_probe_something_that_is_not_media(tmp_path):
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video")
    with pytest.raises(ValueError):
        probe(junk)
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "missing.mp4")


def test_it_gives_an_ffmpeg_the_mmap_threshold_it_is_asked_for(tmp_path, monkeypatch):
    tunables: list[str] = []
    real_popen = ffmpeg.subprocess.Popen

    def spy(command, **kwargs):
        tunables.append(kwargs["env"]["GLIBC_TUNABLES"])
        return real_popen(command, **kwargs)

    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.setattr(ffmpeg.subprocess, "Popen", spy)
    args = ["-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=0.2", "-f", "null", "-"]
    run_ffmpeg(args, is_canceled=_never)
    run_ffmpeg(args, is_canceled=_never, mmap_threshold=5_184_000)
    run_ffmpeg(args, is_canceled=_never, mmap_threshold=10**9)  # glibc takes at most 32 MiB
    assert tunables[0] == ffmpeg.MALLOC_TUNABLES
    assert tunables[1] == ffmpeg.MALLOC_TUNABLES.replace("mmap_threshold=33554432", "mmap_threshold=5184000")
    assert tunables[2] == ffmpeg.MALLOC_TUNABLES
    assert all("arena_max=1" in entry and "trim_threshold=268435456" in entry for entry in tunables)
