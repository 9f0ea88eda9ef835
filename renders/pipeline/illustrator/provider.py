"""The offline image provider: a seeded painting of a prompt, encoded as the chain's JPEG."""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image

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


class LocalIllustrator:
    """The offline image provider at the end of every chain: never fails, costs nothing."""

    name = "local"
    version = PAINTER_VERSION  # part of every painted still's cache key

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        image = paint_scene(prompt, style, size, seed)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=False)
        return Picture(data=buffer.getvalue(), cost=0.0)
