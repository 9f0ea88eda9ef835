"""`manage.py render PLAN.json --out DIR`: render a video from the terminal, no web, no database."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from renders.execution import progress_pct, render_settings
from renders.pipeline.context import Callbacks, Canceled, RenderError
from renders.pipeline.plan import PlanError, parse_plan
from renders.pipeline.runner import run_pipeline
from renders.providers_config import build_providers
from renders.services import plan_limits
from renders.starting_plans import UnknownStartingPlan, plan_from_template_id


def _load_plan(options: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    plan_file: str | None = options["plan"]
    template_id: str | None = options["template"]
    if template_id:
        try:
            data = plan_from_template_id(
                template_id,
                language=options["language"] or "en",
                voice=options["voice"] or "female",
                length_sec=options["length"],
            ).plan
        except (UnknownStartingPlan, ValueError) as error:
            raise CommandError(str(error)) from None
        return data, Path.cwd()
    if not plan_file:
        raise CommandError("Give a plan file (render PLAN.json --out DIR) or a template (--template prahlad).")
    path = Path(plan_file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommandError(f"Plan file {path} does not exist.") from None
    except json.JSONDecodeError as error:
        raise CommandError(f"Plan file {path} is not valid JSON: {error}") from None
    if isinstance(data, dict):
        for key in ("language", "voice", "mode", "resolution", "aspect"):
            if options.get(key):
                data[key] = options[key]
    return data, path.resolve().parent


class Command(BaseCommand):
    help = "Render a video from a plan file or a story template, without the web server."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("plan", nargs="?", help="path to a plan JSON file")
        parser.add_argument("--out", required=True, help="directory for the video and its files")
        parser.add_argument("--template", help="a story template id instead of a plan file, e.g. prahlad")
        parser.add_argument("--language", choices=["en", "hi"])
        parser.add_argument("--voice", choices=["male", "female"])
        parser.add_argument("--mode", choices=["proxy", "final"])
        parser.add_argument("--resolution", choices=["720p", "1080p", "4k"])
        parser.add_argument("--aspect", choices=["16:9", "9:16", "1:1"])
        parser.add_argument("--length", type=float, help="with --template: target length in seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        data, base_dir = _load_plan(options)
        if options["template"]:
            for key in ("mode", "resolution", "aspect"):
                if options.get(key):
                    data[key] = options[key]
        try:
            plan = parse_plan(data, plan_limits())
        except PlanError as error:
            lines = "\n".join(f"  {path}: {message}" for path, message in error.errors.items())
            raise CommandError(f"The plan is invalid:\n{lines}") from None

        out_dir = Path(options["out"])
        out_dir.mkdir(parents=True, exist_ok=True)
        work_dir = Path(tempfile.mkdtemp(prefix="bhakti-render-", dir=out_dir))
        # No one watches a command-line render while it runs: no live stream to mux.
        settings_for_run = dataclasses.replace(render_settings(work_dir), live_stream=False)

        def resolve_image(name: str) -> Path:
            path = Path(name) if Path(name).is_absolute() else base_dir / name
            if not path.is_file():
                raise RenderError(f"Scene image {name} was not found (looked at {path}).", step="images")
            return path

        def progress(step: str, fraction: float) -> None:
            pct = progress_pct(step, fraction)
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r[{bar:<25}] {pct:3d}% {step:<10}")
            sys.stderr.flush()

        def log(level: str, message: str) -> None:
            if level != "info" or options["verbosity"] > 1:
                sys.stderr.write(f"\n{level}: {message}\n")

        callbacks = Callbacks(progress=progress, log=log, resolve_image=resolve_image)
        try:
            result = run_pipeline(plan, settings_for_run, callbacks, build_providers())
        except RenderError as error:
            raise CommandError(f"Render failed during {error.step or 'the render'}: {error}") from None
        except (Canceled, KeyboardInterrupt):
            raise CommandError("Render canceled.") from None
        progress("store", 1.0)
        sys.stderr.write("\n")

        copies = [result.video, result.thumbnail, result.narration_audio, result.summary]
        for files in result.subtitles.values():
            copies += list(files.values())
        for path in copies:
            shutil.copy2(path, out_dir / path.name)
        images_dir = out_dir / "images"
        images_dir.mkdir(exist_ok=True)
        for image in result.scene_images:
            shutil.copy2(image, images_dir / image.name)
        shutil.rmtree(work_dir, ignore_errors=True)
        self.stdout.write(
            f"Rendered {result.duration_sec:.1f} s at {result.width}x{result.height} {result.fps} fps "
            f"with {result.encoder}: {out_dir / result.video.name}"
        )
