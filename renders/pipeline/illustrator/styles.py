"""Style finishing: each style's grade and texture over the painted scene, and its frame decoration.

The decoration (a gilded frame, an ornamental border) is never painted into the still: the still
moves under Ken Burns, which would drift and crop a border. `frame_decoration` draws it once at
the output size, and compose lays it over the moving picture as a static overlay.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from renders.pipeline.illustrator.canvas import Colour, Painter, Point
from renders.pipeline.illustrator.keywords import SceneSpec


def _curve_lut(r: Sequence[float], g: Sequence[float], b: Sequence[float]) -> list[int]:
    """A Pillow point() table from per-channel tone curves given as values at 0, 64, 128, 192, 255."""
    knots = [0, 64, 128, 192, 255]
    table: list[int] = []
    for curve in (r, g, b):
        table += [int(v) for v in np.clip(np.interp(np.arange(256), knots, curve), 0, 255)]
    return table


def _vignette(p: Painter, strength: float, colour: Colour = (0, 0, 0)) -> None:
    w, h = max(4, p.width // 16), max(4, p.height // 16)
    xs, ys = np.meshgrid(np.linspace(-1, 1, w), np.linspace(-1, 1, h))
    falloff = np.clip((np.sqrt(xs**2 + ys**2) - 0.55) / 0.9, 0, 1) ** 1.5 * strength
    mask = Image.fromarray((falloff * 255).astype(np.uint8), "L").resize((p.width, p.height), Image.Resampling.BILINEAR)
    p.image.paste(colour, (0, 0, p.width, p.height), mask)


def finish_style(p: Painter, style: str, spec: SceneSpec) -> Image.Image:
    """The style's grade and texture over the painted scene (no border: see `frame_decoration`)."""
    if style == "temple-painting":
        # Warm gold: lift reds, keep greens, pull blues down; rich saturation; gilded frame.
        lut = _curve_lut([0, 78, 150, 214, 255], [0, 66, 132, 196, 248], [0, 50, 106, 168, 220])
        grain = p.grain_bands(10)
        p.in_strips(
            lambda part, box: ImageChops.soft_light(
                ImageEnhance.Color(part.point(lut)).enhance(1.25), grain(box).convert("RGB")
            )
        )
        _vignette(p, 0.55, (40, 18, 4))
    elif style == "watercolor":
        # Soft washes on paper: blur, lighter and less saturated, blotchy pigment, paper grain.
        small = p.image.reduce(2).filter(ImageFilter.GaussianBlur(max(1.0, p.unit / 500)))
        p.image = small.resize(p.image.size, Image.Resampling.BILINEAR)
        p.image = p.image.point(_curve_lut([26, 94, 160, 218, 252], [26, 94, 160, 218, 250], [30, 98, 162, 218, 246]))
        p.image = ImageEnhance.Color(p.image).enhance(1.1)
        blotches = p.low_noise((12, 7)).point(lambda v: 96 + v // 4).convert("RGB")
        p.image = ImageChops.soft_light(p.image, blotches)
        paper = p.grain(22).filter(ImageFilter.BoxBlur(1)).convert("RGB")
        p.image = ImageChops.soft_light(p.image, paper)
        _vignette(p, 0.5, (250, 244, 230))
    elif style == "miniature":
        # Vivid, flatter colour (gentle posterising), fine dark ink outlines.
        p.image = ImageEnhance.Color(p.image).enhance(1.4)
        p.image = ImageOps.posterize(p.image, 5).filter(ImageFilter.SMOOTH_MORE)
        _ink_outlines(p, (50, 24, 16))
        p.image = ImageChops.soft_light(p.image, p.grain(8).convert("RGB"))
    elif style == "cinematic":
        # Teal shadows, orange highlights, more contrast, heavy vignette and film grain.
        p.image = p.image.point(_curve_lut([0, 52, 134, 214, 255], [4, 62, 130, 200, 246], [14, 80, 128, 182, 226]))
        p.image = ImageEnhance.Contrast(p.image).enhance(1.12)
        _vignette(p, 0.8)
        p.image = ImageChops.soft_light(p.image, p.grain(18).convert("RGB"))
    elif style == "storybook":
        # Bright pastel: lifted shadows, gentle saturation, soft, warm paper edge.
        p.image = p.image.point(
            _curve_lut([40, 110, 176, 228, 255], [36, 106, 172, 226, 255], [44, 108, 168, 218, 250])
        )
        p.image = ImageEnhance.Color(p.image).enhance(1.1)
        p.image = p.image.filter(ImageFilter.SMOOTH_MORE)
        _vignette(p, 0.45, (255, 236, 200))
    return p.image


def _ink_outlines(p: Painter, colour: Colour) -> None:
    """Dark lines where the picture has edges, found on a half-size copy (cheap, slightly soft)."""
    edges = p.image.reduce(2).convert("L").filter(ImageFilter.FIND_EDGES)
    edges = edges.point(lambda v: 0 if v < 24 else min(255, (v - 24) * 4))
    edges = edges.resize(p.image.size, Image.Resampling.BILINEAR)
    p.image.paste(colour, (0, 0, p.width, p.height), edges)


def frame_decoration(style: str, size: tuple[int, int]) -> Image.Image | None:
    """The style's frame decoration as a transparent RGBA image of `size`, or None if it has none."""
    drawer = FRAME_DRAWERS.get(style)
    if drawer is None:
        return None
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    drawer(ImageDraw.Draw(image), size[0], size[1])
    return image


def _gilded_frame(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    """Thin gold rules just inside the edge, with lotus-bud corners, like a temple panel."""
    unit = min(width, height)
    gold, dark = (228, 178, 70), (110, 60, 20)
    inset = unit * 0.03
    line = max(1, int(unit / 220))
    for k, colour in ((0, dark), (1, gold), (2.6, gold)):
        d = inset + k * line * 2
        draw.rectangle((d, d, width - 1 - d, height - 1 - d), outline=colour, width=line)
    r = unit * 0.018
    for cx, cy in (
        (inset, inset),
        (width - inset, inset),
        (inset, height - inset),
        (width - inset, height - inset),
    ):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=gold, outline=dark, width=line)


def _ornamental_border(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
    """A miniature's border: a deep red band between gold rules, with a repeating flower motif."""
    band = max(2, int(min(w, h) * 0.05))
    red, gold, cream, green = (140, 24, 30), (226, 176, 64), (246, 232, 200), (40, 110, 70)
    for box in ((0, 0, w, band), (0, h - band, w, h), (0, 0, band, h), (w - band, 0, w, h)):
        draw.rectangle(box, fill=red)
    rule = max(1, band // 10)
    draw.rectangle((band - rule, band - rule, w - band + rule - 1, h - band + rule - 1), outline=gold, width=rule)
    draw.rectangle((rule, rule, w - rule - 1, h - rule - 1), outline=gold, width=rule)
    step = band * 1.1
    r = band * 0.26
    positions: list[Point] = []
    count_x = max(2, int((w - band) / step))
    count_y = max(2, int((h - band) / step))
    for i in range(count_x + 1):
        x = band / 2 + (w - band) * i / count_x
        positions += [(x, band / 2), (x, h - band / 2)]
    for i in range(1, count_y):
        y = band / 2 + (h - band) * i / count_y
        positions += [(band / 2, y), (w - band / 2, y)]
    for x, y in positions:
        for angle in range(0, 360, 90):
            a = math.radians(angle + 45)
            px, py = x + math.cos(a) * r * 0.55, y + math.sin(a) * r * 0.55
            draw.ellipse((px - r * 0.45, py - r * 0.45, px + r * 0.45, py + r * 0.45), fill=cream)
        draw.ellipse((x - r * 0.35, y - r * 0.35, x + r * 0.35, y + r * 0.35), fill=gold)
        draw.ellipse((x - r * 0.12, y - r * 0.12, x + r * 0.12, y + r * 0.12), fill=green)


def _madhubani_border(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
    """Madhubani's border: two black rules with a row of red and yellow triangles between them."""
    band = max(3, int(min(w, h) * 0.035))
    ink, red, yellow, paper = (26, 18, 14), (204, 40, 44), (240, 168, 30), (243, 226, 186)
    for box in ((0, 0, w, band), (0, h - band, w, h), (0, 0, band, h), (w - band, 0, w, h)):
        draw.rectangle(box, fill=paper)
    rule = max(1, band // 6)
    draw.rectangle((0, 0, w - 1, h - 1), outline=ink, width=rule)
    draw.rectangle((band - rule, band - rule, w - band + rule - 1, h - band + rule - 1), outline=ink, width=rule)
    inner = band - 2 * rule
    count_x, count_y = max(2, w // max(1, inner)), max(2, h // max(1, inner))
    for i in range(count_x):
        x0, x1 = w * i / count_x, w * (i + 1) / count_x
        colour = red if i % 2 else yellow
        draw.polygon([(x0, band - rule), ((x0 + x1) / 2, rule), (x1, band - rule)], fill=colour, outline=ink)
        draw.polygon(
            [(x0, h - band + rule), ((x0 + x1) / 2, h - rule), (x1, h - band + rule)], fill=colour, outline=ink
        )
    for i in range(count_y):
        y0, y1 = h * i / count_y, h * (i + 1) / count_y
        colour = yellow if i % 2 else red
        draw.polygon([(band - rule, y0), (rule, (y0 + y1) / 2), (band - rule, y1)], fill=colour, outline=ink)
        draw.polygon(
            [(w - band + rule, y0), (w - rule, (y0 + y1) / 2), (w - band + rule, y1)], fill=colour, outline=ink
        )


FRAME_DRAWERS: dict[str, Callable[[ImageDraw.ImageDraw, int, int], None]] = {
    "temple-painting": _gilded_frame,
    "miniature": _ornamental_border,
    "madhubani": _madhubani_border,
}
