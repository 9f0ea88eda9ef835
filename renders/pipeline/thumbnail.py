"""The video's thumbnail: the first scene's still, darkened, with the title in glowing letters. No Django here.

Titles are laid out with raqm (Pillow's complex-script engine), so Hindi conjuncts and vowel
signs come out right; a long title wraps to at most three lines and shrinks until it fits.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

from renders.pipeline import forked
from renders.pipeline.context import RenderError
from renders.pipeline.fonts import bold_font
from renders.pipeline.images import cover_fit
from renders.pipeline.plan import Plan
from renders.pipeline.watermark import watermark_image, watermark_position

THUMBNAIL_SIZES: dict[str, tuple[int, int]] = {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (1080, 1080)}
MAX_LINES = 3
QUALITY = 90
TEXT_FILL = (255, 248, 230)
GLOW = (255, 190, 80)
OUTLINE = (40, 16, 4)


def thumbnail_size(aspect: str) -> tuple[int, int]:
    return THUMBNAIL_SIZES.get(aspect, THUMBNAIL_SIZES["16:9"])


def wrap_title(title: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Greedy word wrap by measured (shaped) width. A word wider than max_width gets a line alone."""
    lines: list[str] = []
    current = ""
    for word in title.split():
        candidate = f"{current} {word}" if current else word
        if current and font.getlength(candidate) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def fit_title(
    title: str, box: tuple[int, int], largest: int, smallest: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest bold font (stepping down) at which `title` fits `box` in at most MAX_LINES lines.

    At the smallest size a title that still needs more lines is cut after the third, with "…".
    """
    width, height = box
    size = largest
    while True:
        font = bold_font(size)
        lines = wrap_title(title, font, width)
        fits_width = all(font.getlength(line) <= width for line in lines)
        if len(lines) <= MAX_LINES and fits_width and _block_height(font, len(lines)) <= height:
            return font, lines
        if size <= smallest:
            kept = lines[:MAX_LINES]
            if len(lines) > MAX_LINES:
                kept[-1] = kept[-1] + " …"
            return font, kept
        size = max(smallest, int(size * 0.92))


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return ascent + descent


def _block_height(font: ImageFont.FreeTypeFont, lines: int) -> int:
    return _line_height(font) * lines


def _darkening(size: tuple[int, int]) -> Image.Image:
    """An alpha mask: a light veil overall, deepening toward the bottom where the title sits."""
    width, height = size
    t = np.linspace(0.0, 1.0, 256)
    ramp = np.clip((t - 0.35) / 0.65, 0, 1) ** 1.3
    alpha = (40 + 170 * ramp).astype(np.uint8)[:, None]
    return Image.fromarray(alpha, "L").resize((width, height), Image.Resampling.BILINEAR)


def render_thumbnail(plan: Plan, image: Path, out: Path, *, in_child: bool = False) -> Path:
    """Write the plan's thumbnail (JPEG, quality 90) to `out` and return it; `in_child`: drawn in
    a forked child (forked.py), so that a render drawing it beside its segments holds none of its
    ~20 MB of layers."""
    data = forked.run_in_child(thumbnail_jpeg, plan, image) if in_child else None
    if data is None:
        data = thumbnail_jpeg(plan, image)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.part")
    partial.write_bytes(data)
    os.replace(partial, out)
    return out


def thumbnail_jpeg(plan: Plan, image: Path) -> bytes:
    """The plan's thumbnail as JPEG bytes (quality 90)."""
    if not features.check("raqm"):
        raise RenderError("Pillow was built without raqm, so Hindi titles cannot be shaped.", step="compose")
    size = thumbnail_size(plan.aspect)
    width, height = size
    with Image.open(image) as still:
        still.load()
        # A still is RGB already: no copy of it is made (convert would make one).
        picture = cover_fit(still if still.mode == "RGB" else still.convert("RGB"), size)
    canvas = picture.convert("RGBA")
    shade = Image.new("RGBA", size, (8, 4, 12, 255))
    shade.putalpha(_darkening(size))
    canvas = Image.alpha_composite(canvas, shade)

    short = min(size)
    margin = round(width * 0.07)
    box = (width - 2 * margin, round(height * (0.42 if plan.aspect == "9:16" else 0.5)))
    font, lines = fit_title(plan.title, box, largest=round(short * 0.13), smallest=round(short * 0.045))
    line_height = round(_line_height(font) * 1.02)
    block = line_height * len(lines)
    bottom = height - round(height * (0.14 if plan.aspect == "9:16" else 0.09))
    top = bottom - block
    positions = [(width // 2, top + i * line_height) for i in range(len(lines))]
    stroke = max(2, round(font.size * 0.06))

    # A blurred bright halo behind the letters, then the outlined letters themselves.
    halo = Image.new("L", size, 0)
    halo_draw = ImageDraw.Draw(halo)
    for (x, y), line in zip(positions, lines, strict=True):
        halo_draw.text((x, y), line, font=font, fill=255, anchor="ma", stroke_width=stroke * 3)
    halo = halo.filter(ImageFilter.GaussianBlur(max(2, font.size * 0.22))).point(lambda v: min(255, v * 3 // 2))
    glow = Image.new("RGBA", size, (*GLOW, 255))
    glow.putalpha(halo.point(lambda v: v * 150 // 255))
    canvas = Image.alpha_composite(canvas, glow)
    draw = ImageDraw.Draw(canvas)
    for (x, y), line in zip(positions, lines, strict=True):
        draw.text(
            (x, y),
            line,
            font=font,
            fill=(*TEXT_FILL, 255),
            anchor="ma",
            stroke_width=stroke,
            stroke_fill=(*OUTLINE, 255),
        )

    if plan.watermark != "none":
        mark = watermark_image(str(plan.extra.get("watermark_text", "Bhakti")), height)
        canvas.alpha_composite(mark, watermark_position(plan.watermark, size, mark.size))

    buffer = io.BytesIO()
    canvas.convert("RGB").save(buffer, "JPEG", quality=QUALITY)
    return buffer.getvalue()
