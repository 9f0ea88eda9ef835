"""The canvas and its drawing primitives: box-limited masks, fills, shading, light and noise, in C."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

Colour = tuple[int, int, int]
Point = tuple[float, float]
# A drawing primitive in canvas pixels: ("poly", points) | ("ellipse", box) | ("line", points, width)
Shape = tuple[Any, ...]


def lerp(a: Sequence[float], b: Sequence[float], t: float) -> Colour:
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def tint(colour: Sequence[float], ambient: Sequence[float], lift: float = 0.0) -> Colour:
    return tuple(int(max(0, min(255, c * a + lift))) for c, a in zip(colour, ambient, strict=True))  # type: ignore[return-value]


def gradient_column(height: int, stops: Sequence[tuple[float, Colour]]) -> np.ndarray:
    positions = np.linspace(0.0, 1.0, height)
    xs = [s[0] for s in stops]
    return np.stack([np.interp(positions, xs, [s[1][c] for s in stops]) for c in range(3)], axis=1)


# Whole-canvas steps that work pixel by pixel go this many rows at a time, so a painting in
# flight holds its canvas and a strip, never a second canvas (a 1080p still's canvas is 13 MB).
STRIP_ROWS = 96


def in_strips(
    image: Image.Image,
    box: tuple[int, int, int, int],
    op: Callable[[Image.Image, tuple[int, int, int, int]], Image.Image],
) -> None:
    """Replace `box` of `image` by op(part, part's box), a band of STRIP_ROWS rows at a time.

    Precondition: op works pixel by pixel (a point table, a blend, screen, soft light), so the
    bands give the very bytes the whole box would.
    """
    x0, y0, x1, y1 = box
    for top in range(y0, y1, STRIP_ROWS):
        band = (x0, top, x1, min(y1, top + STRIP_ROWS))
        image.paste(op(image.crop(band), band), band[:2])


class Gradient:
    """A canvas-sized fill whose `box` rows carry a vertical gradient, black elsewhere, made only
    where it is cropped: the fill of a shape costs the shape's box, not a second canvas."""

    def __init__(self, size: tuple[int, int], box: tuple[int, int, int, int], stops: Sequence[tuple[float, Colour]]):
        self.size = size
        self.box = box
        x0, y0, x1, y1 = box
        self._column = gradient_column(max(1, y1 - y0), stops).astype(np.uint8)

    def crop(self, box: tuple[int, int, int, int]) -> Image.Image:
        """The fill's pixels in `box` (which lies inside the canvas)."""
        bx0, by0, bx1, by1 = box
        x0, y0, x1, y1 = self.box
        # The gradient is pasted as the canvas does it: its rows from y0, its width x1 - x0 (at least 1).
        gx1, gy1 = x0 + max(1, x1 - x0), y0 + self._column.shape[0]
        left, top = max(bx0, x0, 0), max(by0, y0, 0)
        right, bottom = min(bx1, gx1, self.size[0]), min(by1, gy1, self.size[1])
        if left >= right or top >= bottom:
            return Image.new("RGB", (bx1 - bx0, by1 - by0))
        rows = np.ascontiguousarray(self._column[top - y0 : bottom - y0, None, :])
        strip = Image.fromarray(rows, "RGB").resize((right - left, bottom - top), Image.Resampling.NEAREST)
        if (left, top, right, bottom) == box:
            return strip
        part = Image.new("RGB", (bx1 - bx0, by1 - by0))
        part.paste(strip, (left - bx0, top - by0))
        return part

    def getpixel(self, xy: tuple[int, int]) -> tuple[int, int, int]:
        x, y = xy
        pixel = self.crop((x, y, x + 1, y + 1)).getpixel((0, 0))
        return pixel  # type: ignore[return-value]  # RGB: a tuple


class Painter:
    """A canvas plus the few drawing operations the scene needs, all box-limited and in C."""

    SUPERSAMPLE = 2

    def __init__(self, size: tuple[int, int], rng: np.random.Generator):
        self.width, self.height = size
        self.unit = min(size)
        self.rng = rng
        self.image = Image.new("RGB", size, (0, 0, 0))

    # --- masks and fills -------------------------------------------------------------------
    def mask(self, shapes: Iterable[Shape], blur: float = 0.0) -> tuple[Image.Image, tuple[int, int]] | None:
        """The shapes' coverage in their own bounding box (clipped to the canvas), anti-aliased."""
        shapes = list(shapes)
        xs: list[float] = []
        ys: list[float] = []
        for shape in shapes:
            pad = shape[2] / 2 if shape[0] == "line" else 0
            for x, y in _shape_points(shape):
                xs += [x - pad, x + pad]
                ys += [y - pad, y + pad]
        if not xs:
            return None
        margin = int(math.ceil(blur * 3)) + 2
        x0 = max(0, int(min(xs)) - margin)
        y0 = max(0, int(min(ys)) - margin)
        x1 = min(self.width, int(max(xs)) + margin + 1)
        y1 = min(self.height, int(max(ys)) + margin + 1)
        if x1 <= x0 or y1 <= y0:
            return None
        ss = self.SUPERSAMPLE
        layer = Image.new("L", ((x1 - x0) * ss, (y1 - y0) * ss), 0)
        draw = ImageDraw.Draw(layer)

        def local(points: Iterable[Point]) -> list[Point]:
            return [((x - x0) * ss, (y - y0) * ss) for x, y in points]

        for shape in shapes:
            kind = shape[0]
            if kind == "poly":
                draw.polygon(local(shape[1]), fill=255)
            elif kind == "ellipse":
                (ax, ay), (bx, by) = local([shape[1][:2], shape[1][2:]])
                draw.ellipse((min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)), fill=255)
            elif kind == "line":
                draw.line(local(shape[1]), fill=255, width=max(1, int(shape[2] * ss)), joint="curve")
            elif kind == "ring":
                (ax, ay), (bx, by) = local([shape[1][:2], shape[1][2:]])
                draw.ellipse((ax, ay, bx, by), outline=255, width=max(1, int(shape[2] * ss)))
        layer = layer.reduce(ss)
        if blur > 0:
            layer = layer.filter(ImageFilter.GaussianBlur(blur))
        return layer, (x0, y0)

    def fill(
        self, shapes: Iterable[Shape], colour: Colour | Image.Image | Gradient, alpha: float = 1.0, blur: float = 0.0
    ) -> None:
        """Paint shapes with a flat colour or with a full-canvas fill image, at `alpha` opacity."""
        made = self.mask(shapes, blur)
        if made is None:
            return
        layer, (x0, y0) = made
        if alpha < 1.0:
            layer = layer.point(lambda v: int(v * alpha))
        if isinstance(colour, Image.Image | Gradient):
            # A band of rows at a time: a fill as large as the land costs a band, not its box.
            for top in range(0, layer.height, STRIP_ROWS):
                bottom = min(layer.height, top + STRIP_ROWS)
                band = (x0, y0 + top, x0 + layer.width, y0 + bottom)
                self.image.paste(colour.crop(band), band[:2], layer.crop((0, top, layer.width, bottom)))
        else:
            self.image.paste(colour, (x0, y0, x0 + layer.width, y0 + layer.height), layer)

    def shade(self, shapes: Iterable[Shape], colour: Colour, strength: float, lit_from_left: bool) -> None:
        """Darken shapes with a horizontal ramp, deepest on the side away from the light."""
        made = self.mask(shapes)
        if made is None:
            return
        layer, (x0, y0) = made
        ramp = np.linspace(0, strength * 255, 64) if lit_from_left else np.linspace(strength * 255, 0, 64)
        ramp = np.clip((ramp - strength * 255 * 0.35) / 0.65, 0, 255)
        ramp_image = Image.fromarray(ramp.astype(np.uint8)[None, :], "L").resize(layer.size, Image.Resampling.BILINEAR)
        layer = ImageChops.multiply(layer, ramp_image)
        self.image.paste(colour, (x0, y0, x0 + layer.width, y0 + layer.height), layer)

    def glow(self, centre: Point, radius: float, colour: Colour, strength: float = 1.0, falloff: float = 2.0) -> None:
        """Add light: a soft radial glow, screened over the canvas (never darkens)."""
        cx, cy = centre
        x0, y0 = max(0, int(cx - radius)), max(0, int(cy - radius))
        x1, y1 = min(self.width, int(cx + radius) + 1), min(self.height, int(cy + radius) + 1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return
        scale = 4
        w, h = max(2, (x1 - x0) // scale), max(2, (y1 - y0) // scale)
        xs = (np.linspace(x0, x1, w) - cx) / radius
        ys = (np.linspace(y0, y1, h) - cy) / radius
        # The same arithmetic as the plain expressions, done in place: a large glow's float
        # arrays are the painting's biggest transient (two paintings run at once).
        intensity = xs[None, :] ** 2 + ys[:, None] ** 2
        np.sqrt(intensity, out=intensity)
        np.subtract(1.0, intensity, out=intensity)
        np.clip(intensity, 0.0, 1.0, out=intensity)
        np.power(intensity, falloff, out=intensity)
        np.multiply(intensity, strength, out=intensity)
        light = np.empty((*intensity.shape, 3), dtype=np.uint8)
        channel = np.empty_like(intensity)
        for index, value in enumerate(np.array(colour, dtype=np.float32)):
            np.multiply(intensity, value, out=channel)
            np.clip(channel, 0, 255, out=channel)
            light[:, :, index] = channel  # truncated, as astype(np.uint8) does
        del intensity, channel
        self.screen_scaled(Image.fromarray(light, "RGB"), (x0, y0, x1, y1))

    def screen_scaled(self, light: Image.Image, box: tuple[int, int, int, int]) -> None:
        """Screen `light`, scaled up bilinearly to fill `box`, over the canvas, a band of columns at a time.

        The same bytes as one resize: Pillow resizes across, then down; the first pass is done
        whole (it is as short as `light`), the second per band of columns, each of which it
        resamples with the very coefficients of the whole.
        """
        x0, y0, x1, y1 = box
        across = light.resize((x1 - x0, light.height), Image.Resampling.BILINEAR)
        for left in range(0, x1 - x0, STRIP_ROWS):
            right = min(x1 - x0, left + STRIP_ROWS)
            layer = across.crop((left, 0, right, light.height)).resize(
                (right - left, y1 - y0), Image.Resampling.BILINEAR
            )
            band = (x0 + left, y0, x0 + right, y1)
            self.image.paste(ImageChops.screen(self.image.crop(band), layer), band[:2])

    def vertical_gradient(self, box: tuple[int, int, int, int], stops: Sequence[tuple[float, Colour]]) -> Gradient:
        """A full-canvas fill whose `box` rows carry the gradient (for `fill` with a texture)."""
        return Gradient((self.width, self.height), box, stops)

    def in_strips(
        self,
        op: Callable[[Image.Image, tuple[int, int, int, int]], Image.Image],
        box: tuple[int, int, int, int] | None = None,
    ) -> None:
        """`in_strips` over the canvas (or its `box`)."""
        in_strips(self.image, box or (0, 0, self.width, self.height), op)

    def low_noise(self, cells: tuple[int, int], mode: str = "L") -> Image.Image:
        """Smooth random variation over the canvas: a few random cells, scaled up bicubically."""
        w, h = cells
        channels = 3 if mode == "RGB" else 1
        values = self.rng.integers(0, 256, size=(h, w, channels), dtype=np.uint8)
        small = Image.fromarray(values[:, :, 0] if channels == 1 else values, mode)
        return small.resize((self.width, self.height), Image.Resampling.BICUBIC)

    def grain_bands(self, amount: int) -> Callable[[tuple[int, int, int, int]], Image.Image]:
        """`grain`'s pixels in any box, made when asked (the random tile is drawn now)."""
        tile = self.rng.normal(128, amount, size=(128, 128)).clip(0, 255).astype(np.uint8)

        def band(box: tuple[int, int, int, int]) -> Image.Image:
            x0, y0, x1, y1 = box
            rows = tile[np.arange(y0, y1) % 128][:, np.arange(x0, x1) % 128]
            return Image.fromarray(np.ascontiguousarray(rows), "L")

        return band

    def grain(self, amount: int) -> Image.Image:
        """Fine noise around mid-grey (for soft_light): a random tile repeated over the canvas."""
        return self.grain_bands(amount)((0, 0, self.width, self.height))


def _shape_points(shape: Shape) -> list[Point]:
    if shape[0] in ("poly", "line"):
        return list(shape[1])
    x0, y0, x1, y1 = shape[1]
    return [(x0, y0), (x1, y1)]


def fractal_ridge(rng: np.random.Generator, points: int, roughness: float) -> np.ndarray:
    """A 1-D fractal line in 0..1 by midpoint displacement: mountain ridges, tree lines, banks."""
    size = 1 << int(math.ceil(math.log2(max(2, points - 1))))
    line = np.zeros(size + 1)
    line[0], line[-1] = rng.random(), rng.random()
    step, scale = size, 1.0
    while step > 1:
        half = step // 2
        mids = (line[0:-1:step] + line[step::step]) / 2 + rng.uniform(-scale, scale, size // step)
        line[half::step] = mids
        step, scale = half, scale * roughness
    line -= line.min()
    peak = line.max()
    return line / peak if peak > 0 else line
