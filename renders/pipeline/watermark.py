"""The channel watermark: a small semi-transparent PNG that compose overlays in a corner. No Django here."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from renders.pipeline.fonts import bold_font

# The mark's height as a share of the frame's height (text plus its soft glow).
MARK_HEIGHT = 0.045
# Distance from the frame's edges, as a share of the frame's shorter side.
MARGIN = 0.03
POSITIONS = ("tl", "tr", "bl", "br")


def watermark_image(text: str, frame_height: int) -> Image.Image:
    """The mark as an RGBA image about MARK_HEIGHT of the frame tall: light text, dark outline, soft glow."""
    target = max(12, round(frame_height * MARK_HEIGHT))
    font = bold_font(max(8, round(target * 0.72)))
    left, top, right, bottom = font.getbbox(text, stroke_width=1)
    pad = max(2, round(target * 0.16))
    size = (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad)  # FreeType's box is whole pixels
    origin = (pad - left, pad - top)
    stroke = max(1, round(font.size * 0.05))

    # A dark glow keeps the mark readable on bright skies without a box around it.
    shadow = Image.new("L", size, 0)
    ImageDraw.Draw(shadow).text(origin, text, font=font, fill=255, stroke_width=stroke * 2)
    shadow = shadow.filter(ImageFilter.GaussianBlur(max(1.0, pad / 2))).point(lambda v: v * 110 // 255)
    mark = Image.new("RGBA", size, (0, 0, 0, 0))
    mark.putalpha(shadow)
    text_layer = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(text_layer).text(
        origin, text, font=font, fill=(255, 246, 225, 200), stroke_width=stroke, stroke_fill=(40, 24, 10, 150)
    )
    return Image.alpha_composite(mark, text_layer)


def render_watermark(text: str, frame_height: int, out: Path) -> Path:
    """Write the mark as a PNG at `out` (atomically) and return the path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.part")
    watermark_image(text, frame_height).save(partial, "PNG")
    os.replace(partial, out)
    return out


def watermark_position(position: str, frame: tuple[int, int], mark: tuple[int, int]) -> tuple[int, int]:
    """Top-left x, y of a `mark`-sized overlay in corner `position` (tl|tr|bl|br), inset by a margin."""
    if position not in POSITIONS:
        raise ValueError(f"watermark position must be one of {', '.join(POSITIONS)} (got {position!r})")
    width, height = frame
    mark_width, mark_height = mark
    margin = round(min(frame) * MARGIN)
    x = margin if position[1] == "l" else width - mark_width - margin
    y = margin if position[0] == "t" else height - mark_height - margin
    return max(0, x), max(0, y)
