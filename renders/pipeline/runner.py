"""The pipeline: plan → images → speech → subtitles → compose. No Django here.

The CLI, the django-q2 task and the tests all call `run_pipeline`. Everything it writes lives
in `settings.work_dir` (per job) or `settings.cache_dir` (segments, shared), so a rerun of a
half-finished job picks up what is already there.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from renders.pipeline import captions, compose, images, music, speech, subtitles, thumbnail
from renders.pipeline.context import SAMPLE_RATE, Callbacks, RenderResult, RenderSettings
from renders.pipeline.plan import Plan
from renders.pipeline.providers.base import ProviderSet
from renders.pipeline.providers.local import local_providers


def run_pipeline(
    plan: Plan,
    settings: RenderSettings,
    callbacks: Callbacks | None = None,
    providers: ProviderSet | None = None,
) -> RenderResult:
    callbacks = callbacks or Callbacks()
    providers = providers or local_providers()
    work = settings.work_dir
    work.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    def step(name: str) -> float:
        callbacks.check_canceled()
        callbacks.progress(name, 0.0)
        callbacks.log("info", f"{name}: started")
        return time.monotonic()

    def done(name: str, started: float) -> None:
        timings[name] = round(time.monotonic() - started, 3)
        callbacks.progress(name, 1.0)
        callbacks.log("info", f"{name}: done in {timings[name]:.1f} s")

    started = step("images")
    scene_images = images.prepare_scene_images(plan, settings, callbacks, providers)
    footage = images.scene_footage(scene_images)
    motions = images.scene_motions(scene_images, plan.frame_size(settings.proxy_short_side))
    done("images", started)

    # The music bed's drone and bells, made while the narration is spoken on one core (not
    # while the stills paint: two paintings at once are the render's Python peak).
    threading.Thread(target=music.warm_up, args=(plan.music, SAMPLE_RATE), name="music", daemon=True).start()
    started = step("speech")
    narration = speech.narrate_plan(plan, settings, callbacks, providers)
    done("speech", started)

    started = step("subtitles")
    subtitle_files, line_cues = subtitles.write_subtitle_files(plan, narration, work / "subtitles")
    scene_cues = captions.burn_cues(plan, narration, line_cues, subtitles.alt_scene_cues(plan, narration))
    callbacks.produced("subtitles", [path for files in subtitle_files.values() for path in files.values()])
    done("subtitles", started)

    started = step("compose")
    clips = [use.clip if use else None for use in footage]
    # The thumbnail is drawn (in a child process: its layers never join the render's Python
    # peak) while the first segments render, not after the join, when a core would wait for it.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="thumbnail") as pool:
        drawing = pool.submit(thumbnail.render_thumbnail, plan, scene_images[0], work / "thumbnail.jpg", in_child=True)
        composed = compose.compose_video(plan, scene_images, narration, scene_cues, settings, callbacks, clips, motions)
        thumb = drawing.result()
    done("compose", started)

    width, height = plan.frame_size(settings.proxy_short_side)
    summary_path = work / "job_summary.json"
    result = RenderResult(
        video=composed.video,
        thumbnail=thumb,
        subtitles=subtitle_files,
        narration_audio=composed.narration_audio,
        scene_images=scene_images,
        summary=summary_path,
        encoder=composed.encoder,
        duration_sec=narration.total_sec,
        width=width,
        height=height,
        fps=plan.fps,
        timings=timings,
        pieces_reused=composed.pieces_reused,
        pieces_total=composed.pieces_total,
    )
    summary = {
        "plan": plan.to_dict(),
        "encoder": composed.encoder,
        "duration_sec": round(narration.total_sec, 3),
        "size": [width, height],
        "fps": plan.fps,
        "timings_sec": timings,
        "segments": {"rendered": composed.segments_rendered, "cached": composed.segments_cached},
        "pieces": {"reused": composed.pieces_reused, "total": composed.pieces_total},
        "compose_sec": composed.timings,  # prepare, segments (parallel ffmpeg), join
        "speech_provider": narration.provider,
        # Scenes (numbered from 1) that play stock footage, with the credit its licence asks for.
        "footage": {str(index + 1): use.credit() for index, use in enumerate(footage) if use},
        "files": {
            path.name: path.stat().st_size
            for path in [composed.video, thumb, composed.narration_audio, *scene_images]
            if path.exists()
        },
    }
    summary_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return result
