#!/usr/bin/env python
"""Contact sheets of the offline painter: every scene of every library story, in every style.

`make contact-sheet` runs it. One PNG per style in var/contact-sheets/ (a row per story, a
column per scene, each cell as the video shows it: the painted still under the style's static
frame decoration), so a person can review the art at a glance, and recognised.txt: per scene
prompt, what the painter recognised in it (time, elements, figures, the deity's symbol).

    .venv/bin/python scripts/contact_sheet.py                       # all stories, all styles
    .venv/bin/python scripts/contact_sheet.py --stories dhruva --styles warli --cell 160x90
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from library.stories import StoryTemplate, list_templates  # noqa: E402
from renders.pipeline.illustrator import STYLES, frame_decoration, paint_scene, recognised  # noqa: E402

LABEL_HEIGHT = 14
GAP = 4


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a cell size is WIDTHxHEIGHT, like 320x180 (got {text!r})") from None
    if not (16 <= width <= 1920 and 16 <= height <= 1080):
        raise argparse.ArgumentTypeError("a cell is 16x16 to 1920x1080")
    return width, height


def cell_image(prompt: str, style: str, size: tuple[int, int], seed: str) -> Image.Image:
    """One scene as the video shows it: the still (seeded like a render) under the static frame."""
    image = paint_scene(prompt, style, size, seed).convert("RGBA")
    decoration = frame_decoration(style, size)
    if decoration is not None:
        image.alpha_composite(decoration)
    return image.convert("RGB")


def sheet(stories: list[StoryTemplate], style: str, cell: tuple[int, int]) -> Image.Image:
    """A grid: a row per story (its id above it), a column per scene."""
    columns = max(len(story.scenes) for story in stories)
    width = GAP + columns * (cell[0] + GAP)
    row_height = LABEL_HEIGHT + cell[1] + GAP
    image = Image.new("RGB", (width, GAP + len(stories) * row_height), (24, 22, 28))
    draw = ImageDraw.Draw(image)
    for row, story in enumerate(stories):
        top = GAP + row * row_height
        draw.text((GAP, top), f"{story.id} ({style})", fill=(230, 220, 200))
        for column, scene in enumerate(story.scenes):
            painted = cell_image(scene.image_prompt, style, cell, f"{story.id}:{column}")
            image.paste(painted, (GAP + column * (cell[0] + GAP), top + LABEL_HEIGHT))
    return image


def recognised_report(stories: list[StoryTemplate]) -> str:
    """Per scene prompt, what the painter recognised in it: one line each, grouped by story."""
    lines: list[str] = []
    for story in stories:
        lines.append(f"# {story.id}")
        for index, scene in enumerate(story.scenes, start=1):
            seen = recognised(scene.image_prompt)
            parts = [f"{key}={','.join(value) if isinstance(value, list) else value}" for key, value in seen.items()]
            lines.append(f"{index}. {' '.join(parts)} | {scene.image_prompt}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--stories", nargs="*", help="story ids (default: every library story)")
    parser.add_argument("--styles", nargs="*", choices=STYLES, help="styles (default: all)")
    parser.add_argument("--cell", type=_size, default=(320, 180), help="a cell's size, WIDTHxHEIGHT")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "contact-sheets")
    args = parser.parse_args(argv)
    stories = list_templates()
    if args.stories:
        known = {story.id: story for story in stories}
        unknown = [name for name in args.stories if name not in known]
        if unknown:
            parser.error(f"no library story called {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        stories = [known[name] for name in args.stories]
    args.out.mkdir(parents=True, exist_ok=True)
    for style in args.styles or STYLES:
        started = time.monotonic()
        path = args.out / f"{style}.png"
        sheet(stories, style, args.cell).save(path, optimize=False)
        print(f"{path}  ({sum(len(s.scenes) for s in stories)} scenes, {time.monotonic() - started:.1f} s)")
    report = args.out / "recognised.txt"
    report.write_text(recognised_report(stories), encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
