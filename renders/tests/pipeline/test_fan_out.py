"""One job's segments shared with helpers through the segment cache (renders/pipeline/fan_out.py)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from renders.pipeline import compose, fan_out
from renders.pipeline.context import Callbacks
from renders.pipeline.ffmpeg import running_processes
from renders.tests.pipeline.test_compose import Inputs, _final_inputs


def _video_keys(cache_dir: Path) -> list[tuple[str, str]]:
    return [(path.name[: -len(".mp4")], ".mp4") for path in (cache_dir / "segments").rglob("*.mp4")]


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_it_renders_the_same_bytes_when_a_helper_renders_every_video_segment(tmp_path):
    inputs = Inputs(tmp_path, [1.0, 1.2, 1.0])
    alone = inputs.compose().video.read_bytes()
    shutil.rmtree(inputs.settings.cache_dir)

    helped: list[int] = []

    def helper(manifest_name: str) -> None:
        # Runs to the end before the owner starts: every video segment is the helper's.
        helped.append(compose.help_render_segments(manifest_name, inputs.settings.cache_dir, 2, lambda: False))

    inputs.settings = dataclasses.replace(inputs.settings, fan_out=True)
    logged: list[str] = []
    shared = inputs.compose(Callbacks(fan_out=helper, log=lambda level, message: logged.append(message)))

    assert helped == [3]  # a preview's three scenes (their fades ride inside them); the audio stays with the owner
    assert shared.video.read_bytes() == alone
    assert (shared.segments_rendered, shared.segments_cached) == (3, 0)  # rendered for this job, as alone
    assert "compose: 3 of 3 video segments rendered by other workers" in logged
    assert not list(fan_out.claims_dir(inputs.settings.cache_dir).iterdir())  # every claim released
    assert not list(fan_out.manifests_dir(inputs.settings.cache_dir).iterdir())  # the manifest removed


def test_a_helper_prepares_a_finals_stills_itself_and_renders_the_same_bytes(tmp_path):
    """A final's segments read prepared stills, which the helper that renders them first makes."""
    inputs = _final_inputs(tmp_path, [1.0, 1.0])
    alone = inputs.compose().video.read_bytes()
    shutil.rmtree(inputs.settings.cache_dir)
    helped: list[int] = []
    stills: list[str] = []

    def helper(manifest_name: str) -> None:
        manifest = fan_out.read_manifest(inputs.settings.cache_dir, manifest_name)
        assert manifest is not None
        stills.extend(path for segment in manifest.segments for path, _ in segment.stills)
        assert not any(Path(path).exists() for path in stills)  # the owner has not made them
        helped.append(compose.help_render_segments(manifest_name, inputs.settings.cache_dir, 2, lambda: False))

    inputs.settings = dataclasses.replace(inputs.settings, fan_out=True)
    shared = inputs.compose(Callbacks(fan_out=helper))
    assert helped == [2] and len(set(stills)) == 3  # scene 2 opens with the fade (both stills); the overlay
    assert shared.video.read_bytes() == alone
    assert not any(Path(path).exists() for path in stills)  # gone with the owner's run


def test_it_renders_nothing_twice_with_a_helper_beside_the_owner(tmp_path):
    inputs = Inputs(tmp_path, [1.0, 1.0, 1.0, 1.0])
    inputs.settings = dataclasses.replace(inputs.settings, fan_out=True, parallelism=1)
    helpers: list[threading.Thread] = []
    helped: list[int] = []

    def start_helper(manifest_name: str) -> None:
        args = (manifest_name, inputs.settings.cache_dir, 1, lambda: False)
        helpers.append(threading.Thread(target=lambda: helped.append(compose.help_render_segments(*args))))
        helpers[-1].start()

    rendered: list[str] = []
    real_render = compose._render_job

    def counting_render(job, *args, **kwargs):  # type: ignore[no-untyped-def]
        rendered.append(job.key)
        return real_render(job, *args, **kwargs)

    compose._render_job = counting_render  # type: ignore[assignment]
    try:
        logged: list[str] = []
        result = inputs.compose(Callbacks(fan_out=start_helper, log=lambda level, message: logged.append(message)))
    finally:
        compose._render_job = real_render  # type: ignore[assignment]
    for helper in helpers:
        helper.join(timeout=30)

    # A preview's 4 scene segments (fades inside) and an audio piece per scene, each rendered once.
    assert sorted(rendered) == sorted(set(rendered)) and len(rendered) == 8
    assert result.segments_rendered == 4
    [summary] = [message for message in logged if "by other workers" in message]
    assert summary == f"compose: {helped[0]} of 4 video segments rendered by other workers"


def test_it_takes_over_a_claim_whose_holder_is_gone_or_silent_and_leaves_a_live_one(tmp_path, monkeypatch):
    monkeypatch.setattr(fan_out, "CLAIM_LEASE_SEC", 5.0)
    mine = fan_out.Claims(tmp_path, fan_out.holder_name())
    folder = fan_out.claims_dir(tmp_path)
    folder.mkdir(parents=True)
    (folder / "gone.mp4.claim").write_text(f"{socket.gethostname()}:{_dead_pid()}:run")  # its process exited
    (folder / "silent.mp4.claim").write_text("elsewhere:1:run")
    an_old_time = time.time() - 6
    os.utime(folder / "silent.mp4.claim", (an_old_time, an_old_time))  # untouched for a lease
    (folder / "live.mp4.claim").write_text("elsewhere:1:run")

    try:
        assert mine.acquire("gone", ".mp4") and mine.acquire("silent", ".mp4")
        assert not mine.acquire("live", ".mp4")
        assert (folder / "silent.mp4.claim").read_text() == mine.holder
        mine.release("live", ".mp4")  # not ours: left alone
        assert (folder / "live.mp4.claim").exists()
    finally:
        mine.close()
    assert sorted(path.name for path in folder.iterdir()) == ["live.mp4.claim"]


def test_it_renders_a_silent_helpers_segment_again_once_its_lease_runs_out(tmp_path, monkeypatch):
    inputs = Inputs(tmp_path, [1.0, 1.0])
    alone = inputs.compose().video.read_bytes()
    keys = _video_keys(inputs.settings.cache_dir)
    shutil.rmtree(inputs.settings.cache_dir)

    monkeypatch.setattr(fan_out, "CLAIM_LEASE_SEC", 1.5)
    folder = fan_out.claims_dir(inputs.settings.cache_dir)
    folder.mkdir(parents=True)
    for key, suffix in keys:  # a helper on another machine claimed every segment, then died
        (folder / f"{key}{suffix}.claim").write_text("elsewhere:1:run")
    inputs.settings = dataclasses.replace(inputs.settings, fan_out=True)

    started = time.monotonic()
    result = inputs.compose()

    assert time.monotonic() - started >= 1.4  # it waited for the lease, then took the segments over
    assert result.video.read_bytes() == alone


def test_a_helper_stops_its_ffmpeg_and_releases_its_claims_when_told(tmp_path):
    canceled_at: list[float] = []

    def is_canceled() -> bool:
        if running_processes() and not canceled_at:
            canceled_at.append(time.monotonic())
        return bool(canceled_at)

    endless = ["-f", "lavfi", "-i", "testsrc=s=96x64:r=30", "-frames:v", "9000", "-c:v", "libx264"]
    specs = [fan_out.SharedSegment("scene 1", 9000, "k" * 64, ".mp4", endless)]
    name = fan_out.write_manifest(tmp_path, fan_out.Manifest("elsewhere:1:run", str(tmp_path), specs)).name

    assert compose.help_render_segments(name, tmp_path, 1, is_canceled) == 0

    assert time.monotonic() - canceled_at[0] < 2.0
    assert running_processes() == []
    assert not list(fan_out.claims_dir(tmp_path).iterdir())
    assert not list((tmp_path / "segments").rglob("*.mp4"))


def test_a_helper_leaves_when_the_job_is_done_or_its_inputs_are_not_here(tmp_path):
    specs = [fan_out.SharedSegment("scene 1", 30, "k" * 64, ".mp4", ["-f", "lavfi", "-i", "testsrc"])]
    elsewhere = fan_out.write_manifest(tmp_path, fan_out.Manifest("elsewhere:1:run", "/nowhere/work", specs)).name

    assert compose.help_render_segments("gone.json", tmp_path, 1, lambda: False) == 0
    assert compose.help_render_segments(elsewhere, tmp_path, 1, lambda: False) == 0
    with pytest.raises(ValueError):
        compose.help_render_segments("../escape.json", tmp_path, 1, lambda: False)


def test_a_holder_keeps_its_claim_alive_past_the_lease_while_it_renders(tmp_path, monkeypatch):
    monkeypatch.setattr(fan_out, "CLAIM_LEASE_SEC", 0.8)
    rendering = fan_out.Claims(tmp_path, "elsewhere:1:rendering")
    other = fan_out.Claims(tmp_path, fan_out.holder_name())
    try:
        assert rendering.acquire("busy", ".mp4")
        time.sleep(1.5)  # two leases: only the holder's touches keep it
        assert not other.acquire("busy", ".mp4")
    finally:
        rendering.close()
        other.close()
    assert not list(fan_out.claims_dir(tmp_path).iterdir())


def test_a_helper_whose_segment_fails_leaves_it_unclaimed_for_the_owner(tmp_path):
    broken = ["-i", str(tmp_path / "missing.png"), "-frames:v", "1"]
    specs = [fan_out.SharedSegment("scene 1", 1, "b" * 64, ".mp4", broken)]
    name = fan_out.write_manifest(tmp_path, fan_out.Manifest("elsewhere:1:run", str(tmp_path), specs)).name

    assert compose.help_render_segments(name, tmp_path, 1, lambda: False) == 0

    assert not list(fan_out.claims_dir(tmp_path).iterdir())
