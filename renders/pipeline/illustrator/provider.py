"""The offline image provider: a seeded painting of a prompt, encoded as the chain's JPEG."""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image

from renders.pipeline import forked
from renders.pipeline.illustrator.folk import FOLK_STYLES, FolkPainter
from renders.pipeline.illustrator.keywords import read_scene
from renders.pipeline.illustrator.puppet import PUPPET_STYLES, PuppetPainter
from renders.pipeline.illustrator.scene import ScenePainter
from renders.pipeline.providers.base import Picture

# Bump when the painting changes, so cached stills made by an older painter are repainted.
# 2: no borders in the still (compose overlays them); water clipped to its banks
# 3: figures as rim-lit silhouettes with haloes and symbols; the shadow-puppet style
PAINTER_VERSION = "3"
JPEG_QUALITY = 94
MIN_PAINT_SIDE = 96


def paint_scene(prompt: str, style: str, size: tuple[int, int], seed: str) -> Image.Image:
    """The painted picture, as a Pillow image of exactly `size`."""
    digest = hashlib.sha256(f"{PAINTER_VERSION}\x1f{prompt}\x1f{style}\x1f{size}\x1f{seed}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    spec = read_scene(prompt, rng)
    width, height = max(1, size[0]), max(1, size[1])
    # Borders, figures and strokes need some room: tiny sizes are painted larger and scaled down.
    scale = max(1.0, MIN_PAINT_SIDE / min(width, height))
    paint_size = (round(width * scale), round(height * scale))
    painter: ScenePainter | FolkPainter
    if style in PUPPET_STYLES:
        painter = PuppetPainter(spec, style, paint_size, rng)
    elif style in FOLK_STYLES:
        painter = FolkPainter(spec, style, paint_size, rng)
    else:
        painter = ScenePainter(spec, style, paint_size, rng)
    image = painter.paint()
    return image if paint_size == (width, height) else image.resize((width, height), Image.Resampling.LANCZOS)


def paint_jpeg(prompt: str, style: str, size: tuple[int, int], seed: str) -> bytes:
    """paint_scene's picture as the chain's JPEG."""
    buffer = io.BytesIO()
    paint_scene(prompt, style, size, seed).save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=False)
    return buffer.getvalue()


class LocalIllustrator:
    """The offline image provider at the end of every chain: never fails, costs nothing.

    `in_child`: paint in a forked child process (forked.py) — the render's painting threads
    then each have a core and a GIL of their own, and a painting's memory leaves with its child.
    A web request's thumbnail paints in its own process (no fork in a server's threads).
    """

    name = "local"
    version = PAINTER_VERSION  # part of every painted still's cache key

    def __init__(self, *, in_child: bool = False):
        self.in_child = in_child

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        data = forked.run_in_child(paint_jpeg, prompt, style, size, seed) if self.in_child else None
        if data is None:
            data = paint_jpeg(prompt, style, size, seed)
        return Picture(data=data, cost=0.0)
