"""The offline illustrator: paints a devotional scene from a prompt's words. No Django here.

It is the last provider in every image chain, so a render never needs the network. It reads
the prompt for things it knows how to paint (English and Hindi words: river, fire, mountains,
temple, lotus, a sage, a king, a child, a deity, night, dawn, …), lays them out with a seeded
random generator and paints them back to front: sky and light, clouds, mountains, forest,
water or ground, buildings, fire, lotus flowers, figures, then the style's grade, texture and
border. Same inputs, same bytes.

Speed comes from Pillow's C loops: shapes are drawn as masks in their own box (supersampled
2× for clean edges) and pasted; soft light is computed at a quarter of the size with numpy and
scaled up. Nothing walks the full-size image in Python or in float arrays.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from renders.pipeline.images import ART_DIRECTION_MARKER
from renders.pipeline.providers.base import Picture

# Bump when the painting changes, so cached stills made by an older painter are repainted.
PAINTER_VERSION = "1"
JPEG_QUALITY = 94
MIN_PAINT_SIDE = 96

Colour = tuple[int, int, int]
Point = tuple[float, float]
# A drawing primitive in canvas pixels: ("poly", points) | ("ellipse", box) | ("line", points, width)
Shape = tuple[Any, ...]

# What the painter can paint, and the words that ask for it. An English keyword matches a word
# exactly, with a plural ending, or as a prefix when it is 5+ letters long; Hindi likewise.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "night": ("night", "midnight", "moon", "moonlight", "moonlit", "star", "starry", "stars", "dark",
              "रात", "रात्रि", "चाँद", "चांद", "चंद्र", "चन्द्र", "चंद्रमा", "तारे", "तारों", "अंधेरा", "अंधकार"),
    "dawn": ("dawn", "sunrise", "morning", "daybreak", "सुबह", "भोर", "प्रभात", "सूर्योदय", "प्रातः"),
    "dusk": ("dusk", "sunset", "evening", "twilight", "शाम", "संध्या", "सांझ", "सूर्यास्त", "गोधूलि"),
    "day": ("day", "noon", "sunny", "daylight", "दिन", "दोपहर", "धूप"),
    "water": ("river", "ganga", "ganges", "water", "lake", "pond", "sea", "ocean", "yamuna", "ghat", "shore",
              "bank", "flood", "stream", "wave", "waves", "boat",
              "नदी", "गंगा", "जल", "पानी", "सागर", "समुद्र", "यमुना", "घाट", "तट", "किनारे", "सरोवर", "तालाब", "नाव", "लहर"),
    "fire": ("fire", "flame", "flames", "holika", "bonfire", "pyre", "blaze", "burning", "burn", "agni", "holi",
             "आग", "अग्नि", "ज्वाला", "होलिका", "होली", "लपटें", "लपट", "जलती", "चिता"),
    "mountains": ("mountain", "himalaya", "himalayas", "peak", "peaks", "kailash", "hill", "hills", "summit",
                  "snow", "glacier", "gangotri",
                  "पर्वत", "पहाड़", "हिमालय", "कैलाश", "शिखर", "हिम", "बर्फ", "गंगोत्री", "पहाड़ों"),
    "forest": ("forest", "tree", "trees", "jungle", "woods", "grove", "banyan", "peepal", "garden", "vrindavan",
               "जंगल", "वन", "पेड़", "वृक्ष", "बरगद", "पीपल", "उपवन", "बगीचा", "वृंदावन", "कानन"),
    "temple": ("temple", "shrine", "shikhara", "mandir", "kashi", "varanasi", "tirtha", "ashram",
               "मंदिर", "मन्दिर", "देवालय", "शिवालय", "काशी", "वाराणसी", "आश्रम", "तीर्थ"),
    "palace": ("palace", "court", "throne", "fort", "kingdom", "darbar", "city", "ayodhya", "lanka",
               "महल", "राजमहल", "दरबार", "सिंहासन", "किला", "राज्य", "नगर", "अयोध्या", "लंका"),
    "lotus": ("lotus", "lotuses", "flower", "flowers", "kamal", "padma", "bloom",
              "कमल", "पद्म", "फूल", "पुष्प"),
    "clouds": ("cloud", "clouds", "sky", "heaven", "heavens", "monsoon", "storm", "rain",
               "बादल", "मेघ", "आकाश", "आसमान", "स्वर्ग", "वर्षा", "बारिश"),
    "lamps": ("lamp", "lamps", "diya", "diyas", "aarti", "arti", "deepak", "diwali", "candle",
              "दीप", "दीया", "दिया", "दीपक", "आरती", "दिवाली", "दीपावली"),
    "child": ("child", "boy", "girl", "son", "prahlad", "prahlada", "kid", "young", "dhruva", "baby",
              "बालक", "बच्चा", "बच्चे", "प्रह्लाद", "पुत्र", "बेटा", "बालिका", "ध्रुव", "बाल"),
    "sage": ("sage", "sages", "rishi", "saint", "hermit", "yogi", "ascetic", "monk", "guru", "narada", "devotee",
             "bhagiratha", "priest", "meditating", "meditation", "pilgrim",
             "ऋषि", "मुनि", "साधु", "संत", "योगी", "तपस्वी", "गुरु", "नारद", "भक्त", "भगीरथ", "पुजारी", "तपस्या", "ध्यान"),
    "king": ("king", "kings", "raja", "emperor", "prince", "hiranyakashipu", "ruler", "royal", "ravana",
             "राजा", "सम्राट", "राजकुमार", "हिरण्यकशिपु", "हिरण्यकश्यप", "रावण", "नरेश"),
    "demon": ("demon", "demons", "asura", "rakshasa", "monster", "evil",
              "राक्षस", "असुर", "दैत्य", "दानव"),
    "deity": ("god", "goddess", "lord", "deity", "divine", "vishnu", "krishna", "shiva", "rama", "ram", "narasimha",
              "hanuman", "durga", "lakshmi", "ganesha", "devi", "bhagwan", "avatar", "ganga devi",
              "भगवान", "देवी", "देवता", "ईश्वर", "प्रभु", "विष्णु", "कृष्ण", "शिव", "राम", "नरसिंह", "नृसिंह",
              "हनुमान", "दुर्गा", "लक्ष्मी", "गणेश", "अवतार", "महादेव", "श्रीहरि", "हरि"),
    "woman": ("woman", "women", "mother", "queen", "maiden", "sita", "radha", "mira", "meera", "holika",
              "होलिका", "स्त्री", "महिला", "माता", "माँ", "मां", "रानी", "सीता", "राधा", "मीरा"),
}  # fmt: skip

FIGURE_KINDS = ("deity", "king", "demon", "sage", "woman", "child")
STYLES = ("temple-painting", "watercolor", "miniature", "cinematic", "storybook")

# Sky colour stops (position 0 = top of the image, 1 = the horizon), sun or moon colour,
# the ambient light that tints everything lit by it, and the rim light on silhouettes.
SKIES: dict[str, dict[str, Any]] = {
    "dawn": {"stops": [(0.0, (58, 74, 140)), (0.45, (214, 140, 150)), (0.8, (250, 190, 150)), (1.0, (255, 226, 170))],
             "light": (255, 222, 170), "ambient": (0.92, 0.78, 0.78), "rim": (255, 210, 160), "ground": (96, 92, 70)},
    "day": {"stops": [(0.0, (48, 112, 200)), (0.6, (120, 178, 232)), (1.0, (206, 228, 242))],
            "light": (255, 250, 225), "ambient": (1.0, 0.98, 0.94), "rim": (255, 245, 210), "ground": (104, 128, 62)},
    "dusk": {"stops": [(0.0, (34, 30, 84)), (0.4, (150, 64, 96)), (0.75, (236, 112, 64)), (1.0, (255, 182, 84))],
             "light": (255, 176, 90), "ambient": (0.78, 0.56, 0.5), "rim": (255, 160, 80), "ground": (70, 50, 44)},
    "night": {"stops": [(0.0, (4, 8, 26)), (0.6, (14, 24, 60)), (1.0, (34, 48, 92))],
              "light": (220, 230, 255), "ambient": (0.34, 0.4, 0.62), "rim": (170, 190, 255), "ground": (18, 22, 34)},
}  # fmt: skip

# Per figure kind: height (× image height), skin, garment, accent (crowns, ornaments), hair.
FIGURES: dict[str, dict[str, Any]] = {
    "deity": {"height": 0.5, "skin": (70, 110, 190), "robe": (236, 180, 40), "accent": (250, 210, 90), "hair": (20, 20, 40)},
    "king": {"height": 0.44, "skin": (190, 130, 90), "robe": (150, 30, 40), "accent": (230, 180, 60), "hair": (30, 20, 20)},
    "demon": {"height": 0.52, "skin": (60, 90, 70), "robe": (70, 30, 60), "accent": (200, 160, 60), "hair": (20, 10, 10)},
    "sage": {"height": 0.42, "skin": (180, 120, 85), "robe": (230, 120, 30), "accent": (240, 240, 230), "hair": (225, 225, 220)},
    "woman": {"height": 0.4, "skin": (196, 136, 100), "robe": (200, 40, 90), "accent": (236, 190, 70), "hair": (25, 15, 15)},
    "child": {"height": 0.28, "skin": (200, 140, 100), "robe": (250, 220, 110), "accent": (240, 120, 40), "hair": (25, 15, 15)},
}  # fmt: skip


@dataclass(frozen=True)
class SceneSpec:
    """What a prompt asks for, as far as this painter understands it."""

    time_of_day: str
    elements: frozenset[str]
    figures: tuple[str, ...] = field(default=())


def subject_of(prompt: str) -> str:
    """The creator's words, without the art direction `images.styled_prompt` appended."""
    return prompt.split(ART_DIRECTION_MARKER, 1)[0]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+|[\u0900-\u097f]+", text.lower())


def _matches(tokens: Sequence[str], text: str, keyword: str) -> bool:
    if " " in keyword:
        return keyword in text
    long_enough = len(keyword) >= 5 if keyword.isascii() else len(keyword) >= 3
    for token in tokens:
        if token == keyword or token in (keyword + "s", keyword + "es"):
            return True
        if long_enough and token.startswith(keyword):
            return True
    return False


def found_keywords(prompt: str) -> list[str]:
    """The painter's elements a prompt mentions, in KEYWORDS order."""
    text = subject_of(prompt).lower()
    tokens = _tokens(text)
    return [name for name, words in KEYWORDS.items() if any(_matches(tokens, text, word) for word in words)]


def read_scene(prompt: str, rng: np.random.Generator) -> SceneSpec:
    found = found_keywords(prompt)
    times = [name for name in ("night", "dusk", "dawn", "day") if name in found]
    if times:
        time_of_day = times[0]
    elif "fire" in found:
        time_of_day = "night" if rng.random() < 0.6 else "dusk"
    else:
        time_of_day = str(rng.choice(["dawn", "day", "dusk", "day", "dawn"]))
    elements = {name for name in found if name in ("water", "fire", "mountains", "forest", "temple", "palace",
                                                      "lotus", "clouds", "lamps")}  # fmt: skip
    figures = [kind for kind in FIGURE_KINDS if kind in found]
    if not elements:
        # Nothing recognisable: a calm devotional landscape, different for every prompt.
        pool = ["mountains", "water", "forest", "temple", "clouds", "lotus"]
        count = int(rng.integers(2, 4))
        elements = {str(name) for name in rng.choice(pool, size=count, replace=False)}
    if "lotus" in elements:
        elements.add("water")
    if time_of_day != "night" and "clouds" not in elements and rng.random() < 0.55:
        elements.add("clouds")
    return SceneSpec(time_of_day=time_of_day, elements=frozenset(elements), figures=tuple(figures[:4]))


def _lerp(a: Sequence[float], b: Sequence[float], t: float) -> Colour:
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _tint(colour: Sequence[float], ambient: Sequence[float], lift: float = 0.0) -> Colour:
    return tuple(int(max(0, min(255, c * a + lift))) for c, a in zip(colour, ambient, strict=True))  # type: ignore[return-value]


def _gradient_column(height: int, stops: Sequence[tuple[float, Colour]]) -> np.ndarray:
    positions = np.linspace(0.0, 1.0, height)
    xs = [s[0] for s in stops]
    return np.stack([np.interp(positions, xs, [s[1][c] for s in stops]) for c in range(3)], axis=1)


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
        self, shapes: Iterable[Shape], colour: Colour | Image.Image, alpha: float = 1.0, blur: float = 0.0
    ) -> None:
        """Paint shapes with a flat colour or with a full-canvas fill image, at `alpha` opacity."""
        made = self.mask(shapes, blur)
        if made is None:
            return
        layer, (x0, y0) = made
        if alpha < 1.0:
            layer = layer.point(lambda v: int(v * alpha))
        if isinstance(colour, Image.Image):
            box = (x0, y0, x0 + layer.width, y0 + layer.height)
            self.image.paste(colour.crop(box), box[:2], layer)
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
        distance = np.sqrt(xs[None, :] ** 2 + ys[:, None] ** 2)
        intensity = np.clip(1.0 - distance, 0.0, 1.0) ** falloff * strength
        light = (intensity[:, :, None] * np.array(colour, dtype=np.float32)[None, None, :]).clip(0, 255)
        layer = Image.fromarray(light.astype(np.uint8), "RGB").resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
        region = self.image.crop((x0, y0, x1, y1))
        self.image.paste(ImageChops.screen(region, layer), (x0, y0))

    def vertical_gradient(self, box: tuple[int, int, int, int], stops: Sequence[tuple[float, Colour]]) -> Image.Image:
        """A full-canvas image whose `box` rows carry the gradient (for `fill` with a texture)."""
        x0, y0, x1, y1 = box
        column = _gradient_column(max(1, y1 - y0), stops).astype(np.uint8)[:, None, :]
        strip = Image.fromarray(column, "RGB").resize((max(1, x1 - x0), max(1, y1 - y0)), Image.Resampling.NEAREST)
        canvas = Image.new("RGB", (self.width, self.height))
        canvas.paste(strip, (x0, y0))
        return canvas

    def low_noise(self, cells: tuple[int, int], mode: str = "L") -> Image.Image:
        """Smooth random variation over the canvas: a few random cells, scaled up bicubically."""
        w, h = cells
        channels = 3 if mode == "RGB" else 1
        values = self.rng.integers(0, 256, size=(h, w, channels), dtype=np.uint8)
        small = Image.fromarray(values[:, :, 0] if channels == 1 else values, mode)
        return small.resize((self.width, self.height), Image.Resampling.BICUBIC)

    def grain(self, amount: int) -> Image.Image:
        """Fine noise around mid-grey (for soft_light): a random tile repeated over the canvas."""
        tile = self.rng.normal(128, amount, size=(128, 128)).clip(0, 255).astype(np.uint8)
        reps = (self.height // 128 + 1, self.width // 128 + 1)
        full = np.tile(tile, reps)[: self.height, : self.width]
        return Image.fromarray(full, "L")


def _shape_points(shape: Shape) -> list[Point]:
    if shape[0] in ("poly", "line"):
        return list(shape[1])
    x0, y0, x1, y1 = shape[1]
    return [(x0, y0), (x1, y1)]


def _ridge(rng: np.random.Generator, points: int, roughness: float) -> np.ndarray:
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


class ScenePainter:
    """Paints one SceneSpec in one style. Each element is a method; `paint` calls them in order."""

    def __init__(self, spec: SceneSpec, style: str, size: tuple[int, int], rng: np.random.Generator):
        self.spec = spec
        self.style = style if style in STYLES else "temple-painting"
        self.p = Painter(size, rng)
        self.rng = rng
        self.w, self.h = size
        self.u = self.p.unit
        self.sky = SKIES[spec.time_of_day]
        self.ambient = self.sky["ambient"]
        has = spec.elements.__contains__
        figures_low = 0.03 if len(spec.figures) >= 2 else 0.0
        self.horizon = self.h * (rng.uniform(0.55, 0.63) + figures_low - (0.04 if has("mountains") else 0))
        self.ground_line = self.h * rng.uniform(0.84, 0.9)
        # The light source: sun high by day, low at dawn and dusk, a moon at night.
        side = rng.uniform(0.15, 0.85)
        height = {"day": rng.uniform(0.12, 0.25), "night": rng.uniform(0.12, 0.28)}.get(
            spec.time_of_day, rng.uniform(0.62, 0.8)
        )
        self.light = (self.w * side, self.horizon * height)
        self.light_from_left = side < 0.5
        self.fire_at: Point | None = None

    # --- the sky ---------------------------------------------------------------------------
    def paint_sky(self) -> None:
        p = self.p
        column = _gradient_column(max(2, int(self.horizon) + 2), self.sky["stops"])
        below = np.repeat(column[-1:], self.h - column.shape[0] + 1, axis=0)
        full = np.concatenate([column, below])[: self.h].astype(np.uint8)[:, None, :]
        p.image.paste(Image.fromarray(full, "RGB").resize((self.w, self.h), Image.Resampling.NEAREST))
        if self.spec.time_of_day == "night":
            self.paint_stars()
        lx, ly = self.light
        tod = self.spec.time_of_day
        if tod in ("dawn", "dusk"):
            self.paint_rays(self.sky["light"], strength=0.22)
        p.glow(self.light, self.u * (0.9 if tod != "night" else 0.5), self.sky["light"], 0.55, falloff=2.2)
        p.glow(self.light, self.u * 0.22, self.sky["light"], 0.6, falloff=1.5)
        r = self.u * (0.055 if tod == "night" else 0.07 if tod == "day" else 0.09)
        disc = (255, 252, 236) if tod == "day" else (255, 236, 190) if tod == "dawn" else (255, 200, 120)
        if tod == "night":
            disc = (240, 240, 226)
        p.fill([("ellipse", (lx - r, ly - r, lx + r, ly + r))], disc)
        if tod == "night":
            # The moon's seas: a few faint darker blotches.
            for _ in range(4):
                dx, dy, rr = (
                    self.rng.uniform(-0.5, 0.4) * r,
                    self.rng.uniform(-0.5, 0.4) * r,
                    self.rng.uniform(0.15, 0.3) * r,
                )
                p.fill(
                    [("ellipse", (lx + dx - rr, ly + dy - rr, lx + dx + rr, ly + dy + rr))],
                    (200, 204, 200),
                    0.5,
                    blur=r * 0.1,
                )

    def paint_stars(self) -> None:
        p = self.p
        count = int(260 * self.w * self.h / (1920 * 1080)) + 40
        xs = self.rng.uniform(0, self.w, count)
        ys = self.horizon * 0.95 * self.rng.random(count) ** 1.6  # denser high up
        bright = self.rng.uniform(90, 255, count)
        draw = ImageDraw.Draw(p.image)
        size = max(1.0, self.u / 700)
        for x, y, b in zip(xs, ys, bright, strict=True):
            c = (int(b), int(b), min(255, int(b * 1.1) + 10))
            r = size * (1.6 if b > 235 else 1.0)
            draw.ellipse((x - r / 2, y - r / 2, x + r / 2, y + r / 2), fill=c)
        for x, y in zip(xs[:8], ys[:8], strict=True):
            p.glow((x, y), self.u * 0.02, (200, 210, 255), 0.5)

    def paint_rays(self, colour: Colour, strength: float) -> None:
        """Crepuscular rays from the light source, computed small and scaled up."""
        p = self.p
        w, h = max(8, self.w // 8), max(8, self.h // 8)
        lx, ly = self.light[0] / 8, self.light[1] / 8
        xs, ys = np.meshgrid(np.arange(w) - lx, np.arange(h) - ly)
        angle = np.arctan2(ys, xs)
        phases = self.rng.uniform(0, 2 * math.pi, 3)
        rays = sum(np.maximum(0, np.sin(angle * k + ph)) ** 6 for k, ph in zip((7, 13, 23), phases, strict=True))
        distance = np.sqrt(xs**2 + ys**2) / max(w, h)
        intensity = rays / 3 * np.exp(-distance * 2.5) * strength
        light = (intensity[:, :, None] * np.array(colour)[None, None, :]).clip(0, 255).astype(np.uint8)
        layer = Image.fromarray(light, "RGB").resize((self.w, self.h), Image.Resampling.BILINEAR)
        p.image = ImageChops.screen(p.image, layer)

    def paint_clouds(self) -> None:
        p = self.p
        count = int(self.rng.integers(3, 7))
        lit = _lerp(self.sky["stops"][-1][1], (255, 255, 255), 0.5)
        shade = _lerp(self.sky["stops"][1][1], (80, 80, 100), 0.35)
        for _ in range(count):
            cx = self.rng.uniform(-0.1, 1.1) * self.w
            cy = self.rng.uniform(0.1, 0.55) * self.horizon
            width = self.rng.uniform(0.18, 0.4) * self.w
            height = width * self.rng.uniform(0.18, 0.3)
            puffs = []
            for _ in range(int(self.rng.integers(5, 9))):
                px = cx + self.rng.uniform(-0.45, 0.45) * width
                py = cy + self.rng.uniform(-0.35, 0.15) * height
                pr = self.rng.uniform(0.35, 0.6) * height
                puffs.append(("ellipse", (px - pr * 1.4, py - pr, px + pr * 1.4, py + pr)))
            puffs.append(("ellipse", (cx - width / 2, cy - height * 0.1, cx + width / 2, cy + height * 0.45)))
            soft = height * 0.12
            p.fill(puffs, shade, 0.85, blur=soft)
            # The lit top: the same puffs nudged toward the light, lighter.
            dx = -height * 0.08 if self.light_from_left else height * 0.08
            lit_puffs = [
                ("ellipse", (b[0] + dx, b[1] - height * 0.1, b[2] + dx, b[3] - height * 0.22)) for _, b in puffs
            ]
            p.fill(lit_puffs, lit, 0.7, blur=soft * 1.3)

    # --- land ------------------------------------------------------------------------------
    def paint_mountains(self) -> None:
        p = self.p
        layers = 3
        far = self.sky["stops"][-1][1]
        for layer in range(layers):
            depth = layer / (layers - 1)  # 0 far, 1 near
            ridge = _ridge(self.rng, 129, 0.55)
            top = self.horizon - self.h * (0.42 - 0.12 * depth) * self.rng.uniform(0.8, 1.1)
            base = self.horizon + 2
            xs = np.linspace(-0.02 * self.w, 1.02 * self.w, ridge.size)
            ys = base - (base - top) * (0.25 + 0.75 * ridge) * (0.6 + 0.4 * (1 - depth))
            outline = list(zip(xs, ys, strict=True))
            rock = _tint(_lerp((92, 84, 110), (56, 62, 70), depth), self.ambient)
            colour = _lerp(far, rock, 0.35 + 0.55 * depth)
            shade = _lerp(colour, (0, 0, 0), 0.25)
            fill_image = p.vertical_gradient((0, int(top), self.w, int(base) + 2), [(0.0, colour), (1.0, shade)])
            p.fill([("poly", [*outline, (xs[-1], base), (xs[0], base)])], fill_image)
            if depth < 0.9:  # snow on all but the nearest range
                snowline = top + (base - top) * 0.35
                snow_ys = [min(y + (base - top) * self.rng.uniform(0.05, 0.14), max(y, snowline)) for y in ys]
                snow = [*outline, *reversed(list(zip(xs, snow_ys, strict=True)))]
                white = _tint((246, 248, 255), self.ambient, 12)
                p.fill([("poly", snow)], _lerp(far, white, 0.55 + 0.4 * depth), 0.95)
            # Haze pooling at the foot of each range gives depth.
            haze = p.vertical_gradient((0, int(base - (base - top) * 0.3), self.w, int(base)), [(0, far), (1, far)])
            p.fill([("poly", [(0, base - (base - top) * 0.3), (self.w, base - (base - top) * 0.3), (self.w, base), (0, base)])],
                   haze, 0.25 * (1 - depth) + 0.1, blur=self.u * 0.03)  # fmt: skip

    def paint_hills(self) -> None:
        """Low rolling hills on the horizon, so even a plain scene has depth."""
        p = self.p
        ridge = _ridge(self.rng, 33, 0.45)
        xs = np.linspace(-0.02 * self.w, 1.02 * self.w, ridge.size)
        ys = self.horizon - self.h * 0.07 * (0.3 + ridge)
        colour = _lerp(self.sky["stops"][-1][1], _tint((70, 96, 70), self.ambient), 0.55)
        p.fill(
            [("poly", [*zip(xs, ys, strict=True), (xs[-1], self.horizon + 2), (xs[0], self.horizon + 2)])],
            colour,
            blur=1,
        )

    def paint_ground(self) -> None:
        p = self.p
        base = _tint(self.sky["ground"], (1, 1, 1))
        near = _lerp(base, (0, 0, 0), 0.45)
        far = _lerp(base, self.sky["stops"][-1][1], 0.35)
        fill_image = p.vertical_gradient((0, int(self.horizon), self.w, self.h), [(0, far), (0.5, base), (1, near)])
        p.fill([("poly", [(0, self.horizon), (self.w, self.horizon), (self.w, self.h), (0, self.h)])], fill_image)
        # Mottled grass and earth.
        texture = p.low_noise((24, 14))
        strip = Image.new("L", (self.w, self.h), 0)
        strip.paste(texture.crop((0, int(self.horizon), self.w, self.h)), (0, int(self.horizon)))
        darker = Image.new("RGB", (self.w, self.h), _lerp(near, (0, 0, 0), 0.3))
        p.image = Image.composite(darker, p.image, strip.point(lambda v: int(v * 0.35)))

    def paint_water(self) -> None:
        p = self.p
        top = int(self.horizon)
        # The water mirrors the sky: its gradient flipped, darkened and cooled.
        sky_stops = self.sky["stops"]
        mirrored = [
            (1 - pos, _lerp(_tint(c, (0.78, 0.86, 0.98)), (10, 30, 60), 0.25)) for pos, c in reversed(sky_stops)
        ]
        mirrored.append((1.0, _lerp(mirrored[-1][1], (5, 20, 40), 0.5)))
        fill_image = p.vertical_gradient((0, top, self.w, self.h), sorted(mirrored))
        # A river that winds toward the horizon, with banks on both sides.
        wiggle = _ridge(self.rng, 17, 0.5) - 0.5
        ys = np.linspace(top, self.h, wiggle.size)
        t = (ys - top) / max(1, self.h - top)
        centre = self.w * (0.5 + 0.2 * wiggle * t) + self.w * self.rng.uniform(-0.15, 0.15) * (1 - t)
        half = self.w * (0.18 + 0.6 * t**1.3)
        if self.rng.random() < 0.45:
            half = np.full_like(half, self.w * 0.8)  # a wide lake or the open Ganga
        left = list(zip(centre - half, ys, strict=True))
        right = list(zip(centre + half, ys, strict=True))
        p.fill([("poly", [*left, *reversed(right)])], fill_image)
        p.fill(
            [("poly", [(-5, top), (self.w + 5, top), (self.w + 5, top + self.h * 0.006), (-5, top + self.h * 0.006)])],
            fill_image,
        )
        # Shimmer: short bright strokes, thickest under the light source.
        draw = ImageDraw.Draw(p.image)
        light = self.sky["light"]
        lx = self.light[0]
        for _ in range(int(220 * self.w / 1920) + 30):
            y = top + (self.h - top) * self.rng.random() ** 1.6
            spread = self.w * (0.04 + 0.3 * (y - top) / max(1, self.h - top))
            x = lx + self.rng.normal(0, spread) if self.rng.random() < 0.7 else self.rng.uniform(0, self.w)
            length = self.u * self.rng.uniform(0.01, 0.05) * (0.4 + (y - top) / max(1, self.h - top))
            shimmer = _lerp(
                light,
                fill_image.getpixel((min(self.w - 1, max(0, int(x))), min(self.h - 1, int(y)))),  # type: ignore[arg-type]  # RGB: a tuple
                self.rng.uniform(0.1, 0.6),
            )
            draw.line([(x - length, y), (x + length, y)], fill=shimmer, width=max(1, int(self.u / 500)))
        # The light's reflection: a soft column on the water.
        p.glow((lx, top + (self.h - top) * 0.3), (self.h - top) * 0.7, light, 0.25, falloff=3)

    def paint_ghat(self) -> None:
        """Stone steps down to the water at one side, where figures can stand."""
        p = self.p
        left = self.rng.random() < 0.5
        x_edge = self.w * self.rng.uniform(0.28, 0.42)
        steps = 6
        stone = _tint((176, 150, 120), self.ambient)
        for i in range(steps):
            y0 = self.ground_line - (steps - i) * self.h * 0.018
            x = x_edge + i * self.w * 0.012
            dark = _lerp(stone, (0, 0, 0), 0.15 + 0.05 * i)
            box = (
                [(0, y0), (x, y0), (x, self.h), (0, self.h)]
                if left
                else [(self.w, y0), (self.w - x, y0), (self.w - x, self.h), (self.w, self.h)]
            )
            p.fill([("poly", box)], dark if i % 2 else stone)

    def paint_forest(self, near: bool) -> None:
        p = self.p
        if not near:
            ridge = _ridge(self.rng, 65, 0.7)
            xs = np.linspace(-0.02 * self.w, 1.02 * self.w, ridge.size)
            ys = self.horizon - self.h * (0.03 + 0.07 * ridge)
            green = _tint((40, 80, 50), self.ambient)
            colour = _lerp(self.sky["stops"][-1][1], green, 0.6)
            shapes: list[Shape] = [
                ("poly", [*zip(xs, ys, strict=True), (xs[-1], self.horizon + 3), (xs[0], self.horizon + 3)])
            ]
            for x, y in zip(xs[::2], ys[::2], strict=True):
                r = self.h * self.rng.uniform(0.015, 0.035)
                shapes.append(("ellipse", (x - r, y - r, x + r, y + r * 0.6)))
            p.fill(shapes, colour, blur=1)
            return
        # Near trees frame the picture at its sides.
        for side in (0, 1):
            for _ in range(int(self.rng.integers(1, 3))):
                x = self.w * (self.rng.uniform(-0.04, 0.12) if side == 0 else self.rng.uniform(0.88, 1.04))
                self.paint_tree(x, self.h * self.rng.uniform(0.95, 1.02), self.h * self.rng.uniform(0.55, 0.8))

    def paint_tree(self, x: float, base: float, height: float) -> None:
        p = self.p
        trunk = _tint((60, 40, 30), self.ambient)
        leaves = _tint(_lerp((34, 90, 40), (70, 120, 40), self.rng.random()), self.ambient)
        bend = self.rng.uniform(-0.1, 0.1) * height
        p.fill(
            [
                (
                    "line",
                    [(x, base), (x + bend * 0.5, base - height * 0.5), (x + bend, base - height * 0.75)],
                    height * 0.05,
                )
            ],
            trunk,
        )
        crown: list[Shape] = []
        cx, cy = x + bend, base - height * 0.78
        for _ in range(9):
            dx, dy = self.rng.uniform(-0.28, 0.28) * height, self.rng.uniform(-0.2, 0.12) * height
            r = self.rng.uniform(0.1, 0.17) * height
            crown.append(("ellipse", (cx + dx - r * 1.2, cy + dy - r, cx + dx + r * 1.2, cy + dy + r)))
        p.fill(crown, _lerp(leaves, (0, 0, 0), 0.3))
        dx = -height * 0.03 if self.light_from_left else height * 0.03
        lit = [
            ("ellipse", (b[0] + dx, b[1] - height * 0.03, b[2] + dx - height * 0.04, b[3] - height * 0.06))
            for _, b in crown
        ]
        p.fill(lit, leaves, 0.85)

    # --- buildings -------------------------------------------------------------------------
    def paint_temple(self, x: float, base: float, height: float) -> None:
        """A nagara temple: plinth, mandapa with its small dome, the curved shikhara, amalaka, flag."""
        p = self.p
        night = self.spec.time_of_day == "night"
        gold = self.style == "temple-painting"
        stone = _tint((214, 160, 100) if not gold else (220, 170, 80), self.ambient, 6)
        shade = _lerp(stone, (20, 10, 10), 0.35)
        w = height * 0.5
        plinth = [
            (x - w * 0.9, base),
            (x + w * 0.9, base),
            (x + w * 0.85, base - height * 0.08),
            (x - w * 0.85, base - height * 0.08),
        ]
        p.fill([("poly", plinth)], shade)
        # Mandapa (hall) to the side with a stepped roof.
        mx = x - w * 0.62 if self.light_from_left else x + w * 0.62
        hall_top = base - height * 0.36
        p.fill(
            [
                (
                    "poly",
                    [
                        (mx - w * 0.3, base - height * 0.08),
                        (mx + w * 0.3, base - height * 0.08),
                        (mx + w * 0.3, hall_top),
                        (mx - w * 0.3, hall_top),
                    ],
                )
            ],
            shade,
        )
        roof = [
            (mx - w * 0.36, hall_top),
            (mx + w * 0.36, hall_top),
            (mx + w * 0.12, hall_top - height * 0.14),
            (mx - w * 0.12, hall_top - height * 0.14),
        ]
        p.fill([("poly", roof)], stone)
        p.fill([("ellipse", (mx - w * 0.09, hall_top - height * 0.2, mx + w * 0.09, hall_top - height * 0.1))], stone)
        # The shikhara: a curved, tapering tower.
        tower_base = base - height * 0.08
        tower_top = base - height * 0.9
        left, right = [], []
        for i in range(25):
            t = i / 24
            half = w * 0.42 * (1 - t**1.8) ** 0.9 + w * 0.06
            y = tower_base + (tower_top - tower_base) * t
            left.append((x - half, y))
            right.append((x + half, y))
        tower = [*left, *reversed(right)]
        p.fill([("poly", tower)], stone)
        # Shade the side away from the light, and horizontal courses of carving.
        shaded_half = [*(left if not self.light_from_left else right), *[(x, y) for _, y in reversed(left)]]
        p.fill([("poly", shaded_half)], shade, 0.55)
        for i in range(1, 9):
            t = i / 10
            y = tower_base + (tower_top - tower_base) * t
            half = w * 0.42 * (1 - t**1.8) ** 0.9 + w * 0.06
            p.fill([("line", [(x - half, y), (x + half, y)], max(1.0, height * 0.006))], shade, 0.7)
        amalaka = (x - w * 0.13, tower_top - height * 0.04, x + w * 0.13, tower_top + height * 0.015)
        p.fill([("ellipse", amalaka)], stone)
        gold_c = _tint((240, 196, 80), self.ambient, 30)
        p.fill(
            [
                (
                    "poly",
                    [
                        (x - w * 0.04, tower_top - height * 0.04),
                        (x + w * 0.04, tower_top - height * 0.04),
                        (x, tower_top - height * 0.11),
                    ],
                )
            ],
            gold_c,
        )
        pole_top = tower_top - height * 0.2
        p.fill([("line", [(x, tower_top - height * 0.1), (x, pole_top)], max(1.0, height * 0.006))], shade)
        flag = [(x, pole_top), (x + w * 0.22, pole_top + height * 0.025), (x, pole_top + height * 0.05)]
        p.fill([("poly", flag)], _tint((240, 110, 20), self.ambient, 20))
        # A lit doorway; lamps glow at dusk and night.
        door = [
            (x - w * 0.08, base - height * 0.08),
            (x + w * 0.08, base - height * 0.08),
            (x + w * 0.08, base - height * 0.22),
            (x, base - height * 0.27),
            (x - w * 0.08, base - height * 0.22),
        ]
        lamp = (255, 190, 90)
        p.fill([("poly", door)], lamp if self.spec.time_of_day in ("dusk", "night") else _lerp(shade, (0, 0, 0), 0.4))
        if self.spec.time_of_day in ("dusk", "night"):
            p.glow((x, base - height * 0.16), height * (0.45 if night else 0.3), lamp, 0.6)

    def paint_palace(self, x: float, base: float, height: float) -> None:
        """A palace: a long arcaded wing, a big onion dome between two minarets, chhatris."""
        p = self.p
        wall = _tint((236, 214, 190), self.ambient, 4)
        shade = _lerp(wall, (40, 20, 30), 0.35)
        w = height * 1.3
        body_top = base - height * 0.42
        p.fill([("poly", [(x - w / 2, base), (x + w / 2, base), (x + w / 2, body_top), (x - w / 2, body_top)])], wall)
        p.fill([("line", [(x - w / 2, body_top), (x + w / 2, body_top)], height * 0.02)], shade)
        arches = 9
        window = (255, 196, 110) if self.spec.time_of_day in ("dusk", "night") else _lerp(shade, (0, 0, 0), 0.3)
        for i in range(arches):
            ax = x - w / 2 + w * (i + 0.5) / arches
            aw, ah = w / arches * 0.28, height * 0.16
            arch = [
                (ax - aw, base - height * 0.06),
                (ax + aw, base - height * 0.06),
                (ax + aw, base - height * 0.06 - ah),
                (ax, base - height * 0.06 - ah * 1.35),
                (ax - aw, base - height * 0.06 - ah),
            ]
            p.fill([("poly", arch)], window)
        # The onion dome on a drum.
        drum_w = w * 0.16
        p.fill(
            [
                (
                    "poly",
                    [
                        (x - drum_w, body_top),
                        (x + drum_w, body_top),
                        (x + drum_w, body_top - height * 0.12),
                        (x - drum_w, body_top - height * 0.12),
                    ],
                )
            ],
            wall,
        )
        dome: list[Point] = []
        for i in range(31):
            t = i / 30
            a = math.pi * t
            r = drum_w * 1.25 * math.sin(a) ** 0.8 * (1 - 0.35 * t)
            dome.append((x + r, body_top - height * 0.12 - height * 0.42 * t))
        dome += [(2 * x - px, py) for px, py in reversed(dome)]
        p.fill([("poly", dome)], wall)
        p.fill(
            [("poly", dome[: len(dome) // 2] + [(x, body_top - height * 0.12)])]
            if not self.light_from_left
            else [("poly", dome[len(dome) // 2 :] + [(x, body_top - height * 0.12)])],
            shade,
            0.5,
        )
        finial = body_top - height * 0.54
        p.fill(
            [("line", [(x, finial), (x, finial - height * 0.08)], height * 0.012)],
            _tint((240, 196, 80), self.ambient, 30),
        )
        for side in (-1, 1):
            mx = x + side * w * 0.42
            p.fill(
                [
                    (
                        "poly",
                        [
                            (mx - w * 0.025, body_top),
                            (mx + w * 0.025, body_top),
                            (mx + w * 0.018, body_top - height * 0.45),
                            (mx - w * 0.018, body_top - height * 0.45),
                        ],
                    )
                ],
                wall,
            )
            p.fill(
                [("ellipse", (mx - w * 0.035, body_top - height * 0.52, mx + w * 0.035, body_top - height * 0.43))],
                wall,
            )
            cx = x + side * w * 0.22
            p.fill(
                [
                    (
                        "poly",
                        [
                            (cx - w * 0.06, body_top),
                            (cx + w * 0.06, body_top),
                            (cx + w * 0.06, body_top - height * 0.1),
                            (cx - w * 0.06, body_top - height * 0.1),
                        ],
                    )
                ],
                shade,
            )
            p.fill(
                [("ellipse", (cx - w * 0.07, body_top - height * 0.2, cx + w * 0.07, body_top - height * 0.06))], wall
            )
        if self.spec.time_of_day in ("dusk", "night"):
            p.glow((x, base - height * 0.15), w * 0.5, (255, 180, 90), 0.35)

    # --- fire ------------------------------------------------------------------------------
    def paint_fire(self, x: float, base: float, height: float) -> None:
        """A pyre of logs with tongues of flame, red outside to white-hot inside, and embers."""
        p = self.p
        self.fire_at = (x, base - height * 0.35)
        p.glow((x, base - height * 0.3), height * 2.6, (255, 120, 30), 0.75, falloff=1.6)
        p.glow((x, base - height * 0.3), height * 1.1, (255, 170, 60), 0.6, falloff=1.4)
        log = (50, 30, 20)
        for i in range(7):
            tilt = (i - 3) * 0.09
            p.fill(
                [
                    (
                        "line",
                        [
                            (x - height * 0.45, base - height * (0.02 + 0.03 * (i % 3)) + tilt * height),
                            (x + height * 0.45, base - height * (0.06 + 0.02 * (i % 2)) - tilt * height),
                        ],
                        height * 0.05,
                    )
                ],
                log,
            )
        layers = [((200, 40, 10), 1.0), ((250, 110, 20), 0.8), ((255, 180, 40), 0.6), ((255, 236, 150), 0.38)]
        tongues = [
            (self.rng.uniform(-0.35, 0.35), self.rng.uniform(0.6, 1.0), self.rng.uniform(0, 6.3)) for _ in range(7)
        ]
        for colour, scale in layers:
            shapes: list[Shape] = []
            for offset, tall, phase in tongues:
                shapes.append(
                    (
                        "poly",
                        _flame(
                            x + offset * height * scale,
                            base - height * 0.05,
                            height * tall * scale,
                            height * 0.22 * scale,
                            phase,
                        ),
                    )
                )
            p.fill(shapes, colour, blur=height * 0.012)
        # Embers drifting up.
        draw = ImageDraw.Draw(p.image)
        for _ in range(60):
            ex = x + self.rng.normal(0, height * 0.45)
            ey = base - height * self.rng.uniform(0.6, 2.2)
            r = max(1.0, height * self.rng.uniform(0.004, 0.01))
            draw.ellipse((ex - r, ey - r, ex + r, ey + r), fill=(255, int(self.rng.uniform(140, 230)), 60))

    # --- lotus and lamps -------------------------------------------------------------------
    def paint_lotus(self) -> None:
        p = self.p
        top = self.horizon + (self.h - self.horizon) * 0.45
        pad = _tint((40, 110, 60), self.ambient, 4)
        petal = _tint((246, 150, 180), self.ambient, 10)
        inner = _tint((255, 214, 226), self.ambient, 20)
        for _ in range(int(self.rng.integers(4, 8))):
            x = self.rng.uniform(0.05, 0.95) * self.w
            y = self.rng.uniform(top, self.h * 0.98)
            size = self.u * 0.05 * (0.6 + 0.8 * (y - top) / max(1, self.h - top))
            p.fill(
                [("ellipse", (x - size * 1.8, y - size * 0.35, x + size * 1.8, y + size * 0.45))],
                _lerp(pad, (0, 0, 0), 0.2),
            )
            p.fill([("ellipse", (x - size * 1.6, y - size * 0.4, x + size * 1.6, y + size * 0.3))], pad)
            if self.rng.random() < 0.35:
                continue  # only a pad
            for i, angle in enumerate((-70, -45, -22, 0, 22, 45, 70)):
                tone = petal if i % 2 else _lerp(petal, inner, 0.4)
                p.fill(
                    [
                        (
                            "poly",
                            _petal(x, y - size * 0.1, size * (1.3 if abs(angle) < 30 else 1.05), size * 0.42, angle),
                        )
                    ],
                    tone,
                )
            p.fill([("poly", _petal(x, y - size * 0.1, size * 0.9, size * 0.4, 0))], inner)

    def paint_lamps(self) -> None:
        """Floating diyas (or lamps along the ground): small flames with warm halos."""
        p = self.p
        for _ in range(int(self.rng.integers(6, 14))):
            x = self.rng.uniform(0.05, 0.95) * self.w
            y = self.rng.uniform(self.horizon + (self.h - self.horizon) * 0.2, self.h * 0.96)
            s = self.u * 0.012 * (0.6 + (y - self.horizon) / max(1, self.h - self.horizon))
            p.glow((x, y - s), s * 9, (255, 170, 70), 0.55)
            p.fill([("ellipse", (x - s * 1.6, y - s * 0.4, x + s * 1.6, y + s * 0.6))], (120, 60, 30))
            p.fill([("poly", _flame(x, y - s * 0.2, s * 2.2, s * 0.9, x))], (255, 210, 110))

    # --- figures ---------------------------------------------------------------------------
    def paint_figure(self, kind: str, x: float, feet: float, height: float, facing: int) -> None:
        p = self.p
        look = FIGURES[kind]
        parts = figure_parts(kind, x, feet, height, facing)
        if kind == "deity":
            head_y = feet - height * 0.9
            p.glow((x, head_y), height * 0.9, (255, 220, 130), 0.75, falloff=1.5)
            halo_r = height * 0.16
            p.fill(
                [("ellipse", (x - halo_r, head_y - halo_r, x + halo_r, head_y + halo_r))],
                (255, 226, 140),
                0.5,
                blur=halo_r * 0.05,
            )
            p.fill(
                [("ring", (x - halo_r, head_y - halo_r, x + halo_r, head_y + halo_r), height * 0.012)], (255, 200, 80)
            )
        # Rim light: the whole figure in the light's colour, offset toward the light, painted first.
        lit_from = self.fire_at or self.light
        dx = 1 if lit_from[0] < x else -1
        offset = height * 0.012
        rim_shapes = [_offset(shape, -dx * offset, -offset * 0.5) for _, shape in parts]
        rim = self.sky["rim"] if self.fire_at is None else (255, 170, 70)
        p.fill(rim_shapes, rim, 0.9, blur=offset * 0.6)
        # Night turns figures into silhouettes; divine light keeps the deity bright.
        ambient = self.ambient if kind != "deity" else (1.0, 1.0, 1.0)
        if self.fire_at is not None and kind != "deity":
            ambient = tuple(min(1.0, a + b) for a, b in zip(ambient, (0.35, 0.18, 0.05), strict=True))
        for role, shape in parts:
            colour = _tint(look[role], ambient)
            p.fill([shape], colour)
        # Form: the side away from the light falls into shadow.
        p.shade([shape for _, shape in parts], (10, 6, 20), 0.45, lit_from_left=dx > 0)

    def paint_foreground(self) -> None:
        """Dark grass and a framing shrub in a lower corner, for depth."""
        p = self.p
        colour = _tint(_lerp(self.sky["ground"], (0, 0, 0), 0.55), (1, 1, 1))
        ridge = _ridge(self.rng, 33, 0.6)
        xs = np.linspace(0, self.w, ridge.size)
        ys = self.h - self.h * (0.02 + 0.05 * ridge)
        p.fill([("poly", [*zip(xs, ys, strict=True), (self.w, self.h), (0, self.h)])], colour, blur=1)
        blades: list[Shape] = []
        for _ in range(int(90 * self.w / 1920) + 12):
            bx = self.rng.uniform(0, self.w)
            bh = self.h * self.rng.uniform(0.03, 0.09)
            lean = self.rng.uniform(-0.4, 0.4) * bh
            blades.append(("poly", [(bx - bh * 0.04, self.h), (bx + bh * 0.04, self.h), (bx + lean, self.h - bh)]))
        p.fill(blades, colour)

    # --- the whole picture -----------------------------------------------------------------
    def paint(self) -> Image.Image:
        spec, rng, has = self.spec, self.rng, self.spec.elements.__contains__
        self.paint_sky()
        if has("clouds"):
            self.paint_clouds()
        if has("mountains"):
            self.paint_mountains()
        else:
            self.paint_hills()
        if has("forest"):
            self.paint_forest(near=False)
        self.paint_ground()
        if has("water"):
            self.paint_water()
        # Buildings stand on the horizon, off to one side of the figures.
        building_x = self.w * (rng.uniform(0.62, 0.82) if rng.random() < 0.5 else rng.uniform(0.18, 0.38))
        if has("palace"):
            self.paint_palace(building_x, self.horizon + self.h * 0.02, self.h * rng.uniform(0.26, 0.34))
            building_x = self.w - building_x
        if has("temple"):
            self.paint_temple(building_x, self.horizon + self.h * 0.03, self.h * rng.uniform(0.42, 0.55))
        if has("water") and spec.figures:
            self.paint_ghat()
        if has("lotus"):
            self.paint_lotus()
        if has("lamps"):
            self.paint_lamps()
        if has("forest"):
            self.paint_forest(near=True)
        slots = _figure_slots(len(spec.figures) + (1 if has("fire") else 0), rng)
        if has("fire"):
            fire_slot = slots.pop(len(slots) // 2)
            self.paint_fire(self.w * fire_slot, self.ground_line, self.h * rng.uniform(0.3, 0.42))
        for kind, slot in zip(spec.figures, slots, strict=True):
            facing = 1 if slot < 0.5 else -1
            height = self.h * FIGURES[kind]["height"] * rng.uniform(0.92, 1.08)
            self.paint_figure(kind, self.w * slot, self.ground_line + self.h * rng.uniform(-0.01, 0.02), height, facing)
        self.paint_foreground()
        if self.fire_at is not None:
            self.p.glow(self.fire_at, self.u * 0.9, (255, 130, 40), 0.25, falloff=1.2)
        return finish_style(self.p, self.style, self.spec)


def _figure_slots(count: int, rng: np.random.Generator) -> list[float]:
    """Horizontal positions (fractions of the width) for `count` figures, spread and jittered."""
    if count <= 0:
        return []
    if count == 1:
        return [rng.uniform(0.38, 0.62)]
    left, right = 0.22, 0.78
    return [left + (right - left) * i / (count - 1) + rng.uniform(-0.04, 0.04) for i in range(count)]


def _flame(x: float, base: float, height: float, width: float, phase: float) -> list[Point]:
    left, right = [], []
    for i in range(17):
        t = i / 16
        half = width * math.sin(math.pi * min(1.0, (1 - t) * 0.95 + 0.05)) ** 0.7 * (1 - t) ** 0.35 * 0.5
        sway = width * 0.35 * math.sin(t * 4.2 + phase) * t
        y = base - height * t
        left.append((x + sway - half, y))
        right.append((x + sway + half, y))
    return [*left, *reversed(right)]


def _petal(x: float, y: float, length: float, width: float, angle_deg: float) -> list[Point]:
    angle = math.radians(angle_deg)
    points = []
    for i in range(13):
        t = i / 12
        a = math.pi * t
        px, py = width * 0.5 * math.sin(a), -length * (1 - math.cos(a)) / 2
        points.append((px, py))
    outline = points + [(-px, py) for px, py in reversed(points)]
    cos, sin = math.cos(angle), math.sin(angle)
    return [(x + px * cos - py * sin, y + px * sin + py * cos) for px, py in outline]


def _offset(shape: Shape, dx: float, dy: float) -> Shape:
    kind = shape[0]
    if kind in ("poly", "line"):
        moved = [(x + dx, y + dy) for x, y in shape[1]]
        return (kind, moved, *shape[2:])
    x0, y0, x1, y1 = shape[1]
    return (kind, (x0 + dx, y0 + dy, x1 + dx, y1 + dy), *shape[2:])


def figure_parts(kind: str, x: float, feet: float, height: float, facing: int) -> list[tuple[str, Shape]]:
    """A figure as (colour role, shape) pairs in canvas pixels, feet at (x, feet), drawn in order.

    Shapes are written in a unit figure (feet at 0, head near -0.9, right = +x) and scaled.
    """

    def at(points: Iterable[Point]) -> list[Point]:
        return [(x + px * height * facing, feet + py * height) for px, py in points]

    def poly(role: str, points: Iterable[Point]) -> tuple[str, Shape]:
        return role, ("poly", at(points))

    def ellipse(role: str, cx: float, cy: float, rx: float, ry: float) -> tuple[str, Shape]:
        (ax, ay), (bx, by) = at([(cx - rx, cy - ry), (cx + rx, cy + ry)])
        return role, ("ellipse", (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))

    def line(role: str, points: Iterable[Point], width: float) -> tuple[str, Shape]:
        return role, ("line", at(points), width * height)

    parts: list[tuple[str, Shape]] = []
    if kind == "child":
        parts += [
            line("skin", [(-0.05, 0), (-0.04, -0.3)], 0.05), line("skin", [(0.05, 0), (0.04, -0.3)], 0.05),
            poly("robe", [(-0.13, -0.62), (0.13, -0.62), (0.17, -0.26), (-0.17, -0.26)]),
            poly("accent", [(-0.17, -0.3), (0.17, -0.3), (0.17, -0.25), (-0.17, -0.25)]),
            ellipse("hair", 0.0, -0.92, 0.035, 0.035), ellipse("hair", -0.01, -0.79, 0.12, 0.125),
            ellipse("skin", 0.01, -0.76, 0.105, 0.115),
            # Hands joined in prayer.
            line("skin", [(-0.1, -0.58), (0.02, -0.48), (0.09, -0.58)], 0.04),
            poly("skin", [(0.06, -0.48), (0.1, -0.48), (0.09, -0.62)]),
        ]  # fmt: skip
    elif kind == "demon":
        parts += [
            poly("robe", [(-0.18, 0), (-0.06, 0), (-0.02, -0.42), (-0.14, -0.42)]),
            poly("robe", [(0.18, 0), (0.06, 0), (0.02, -0.42), (0.14, -0.42)]),
            poly("skin", [(-0.24, -0.8), (0.24, -0.8), (0.17, -0.4), (-0.17, -0.4)]),
            poly("accent", [(-0.18, -0.46), (0.18, -0.46), (0.19, -0.38), (-0.19, -0.38)]),
            line("skin", [(-0.23, -0.78), (-0.32, -0.55), (-0.28, -0.36)], 0.075),
            line("skin", [(0.23, -0.78), (0.33, -0.62), (0.42, -0.72)], 0.075),
            line("hair", [(0.42, -0.66), (0.5, -1.02)], 0.045), ellipse("hair", 0.5, -1.04, 0.07, 0.09),
            ellipse("hair", -0.01, -0.9, 0.095, 0.1),
            ellipse("skin", 0.008, -0.875, 0.08, 0.085),
            poly("accent", [(-0.06, -0.94), (-0.16, -1.02), (-0.19, -1.12), (-0.1, -1.0), (-0.04, -0.97)]),
            poly("accent", [(0.06, -0.94), (0.16, -1.02), (0.19, -1.12), (0.1, -1.0), (0.04, -0.97)]),
        ]  # fmt: skip
    else:
        shoulders = {"king": 0.16, "deity": 0.14, "woman": 0.11, "sage": 0.12}[kind]
        hem = {"king": 0.2, "deity": 0.17, "woman": 0.24, "sage": 0.2}[kind]
        parts += [
            poly("robe", [(-shoulders, -0.8), (shoulders, -0.8), (shoulders + 0.03, -0.45), (hem, 0), (-hem, 0), (-shoulders - 0.03, -0.45)]),
            poly("accent", [(-shoulders - 0.02, -0.5), (shoulders + 0.02, -0.5), (shoulders + 0.025, -0.46), (-shoulders - 0.025, -0.46)]),
        ]  # fmt: skip
        if kind == "woman":
            parts += [poly("accent", [(-0.1, -0.82), (0.12, -0.8), (0.24, -0.02), (0.18, 0), (0.08, -0.5)])]
        if kind == "deity":
            # Four arms: two raised (chakra and conch), two lowered (blessing and mace).
            parts += [
                line("skin", [(-0.13, -0.76), (-0.26, -0.66), (-0.3, -0.84)], 0.045),
                line("skin", [(0.13, -0.76), (0.26, -0.66), (0.3, -0.84)], 0.045),
                line("skin", [(-0.14, -0.74), (-0.2, -0.55), (-0.14, -0.44)], 0.045),
                line("skin", [(0.14, -0.74), (0.22, -0.56), (0.2, -0.4)], 0.045),
                ("accent", ("ring", _box(at([(0.24, -0.96), (0.36, -0.84)])), max(1.0, 0.014 * height))),
                ellipse("accent", -0.3, -0.88, 0.035, 0.05),
                ellipse("accent", 0, -0.74, 0.1, 0.03),
            ]  # fmt: skip
        else:
            parts += [
                line("skin", [(-shoulders, -0.76), (-shoulders - 0.06, -0.55), (-shoulders - 0.02, -0.4)], 0.045),
                line("skin", [(shoulders, -0.76), (shoulders + 0.08, -0.58), (shoulders + 0.12, -0.5)], 0.045),
            ]  # fmt: skip
        if kind != "woman":
            parts += [ellipse("hair", -0.008, -0.905, 0.074, 0.085)]
        parts += [ellipse("skin", 0.006, -0.885, 0.063, 0.073)]
        if kind == "sage":
            parts += [
                poly("accent", [(-0.05, -0.87), (0.06, -0.87), (0.04, -0.72), (0.005, -0.68), (-0.03, -0.72)]),
                ellipse("hair", -0.01, -1.0, 0.04, 0.045),
                line("hair", [(0.27, -1.08), (0.3, 0)], 0.022),
            ]  # fmt: skip
        elif kind == "king":
            parts += [
                poly("accent", [(-0.07, -0.93), (-0.075, -1.04), (-0.035, -0.99), (0, -1.09), (0.035, -0.99), (0.075, -1.04), (0.07, -0.93)]),
                line("accent", [(0.28, -0.48), (0.3, -0.98)], 0.018), ellipse("accent", 0.3, -1.0, 0.03, 0.03),
            ]  # fmt: skip
        elif kind == "deity":
            parts += [
                poly("accent", [(-0.065, -0.94), (0.065, -0.94), (0.04, -1.06), (0, -1.14), (-0.04, -1.06)]),
            ]  # fmt: skip
        elif kind == "woman":
            parts += [
                poly("accent", [(-0.085, -0.86), (-0.075, -0.97), (0, -1.0), (0.075, -0.97), (0.09, -0.86), (0.1, -0.72), (-0.1, -0.72)]),
                ellipse("skin", 0.005, -0.88, 0.055, 0.065),
            ]  # fmt: skip
    return parts


def _box(points: Sequence[Point]) -> tuple[float, float, float, float]:
    (ax, ay), (bx, by) = points
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


# --- styles ----------------------------------------------------------------------------------
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
    p.image = Image.composite(Image.new("RGB", p.image.size, colour), p.image, mask)


def finish_style(p: Painter, style: str, spec: SceneSpec) -> Image.Image:
    """The style's grade, texture and border over the painted scene."""
    if style == "temple-painting":
        # Warm gold: lift reds, keep greens, pull blues down; rich saturation; gilded frame.
        p.image = p.image.point(_curve_lut([0, 78, 150, 214, 255], [0, 66, 132, 196, 248], [0, 50, 106, 168, 220]))
        p.image = ImageEnhance.Color(p.image).enhance(1.25)
        p.image = ImageChops.soft_light(p.image, p.grain(10).convert("RGB"))
        _vignette(p, 0.55, (40, 18, 4))
        _gilded_frame(p)
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
        # Flat vivid colours (posterised), crisp, with an ornamental border.
        # Vivid, flatter colour (gentle posterising), fine dark ink outlines, an ornamental border.
        p.image = ImageEnhance.Color(p.image).enhance(1.4)
        p.image = ImageOps.posterize(p.image, 5).filter(ImageFilter.SMOOTH_MORE)
        _ink_outlines(p, (50, 24, 16))
        p.image = ImageChops.soft_light(p.image, p.grain(8).convert("RGB"))
        _ornamental_border(p)
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


def _gilded_frame(p: Painter) -> None:
    """Thin gold rules just inside the edge, with lotus-bud corners, like a temple panel."""
    draw = ImageDraw.Draw(p.image)
    gold, dark = (228, 178, 70), (110, 60, 20)
    inset = p.unit * 0.03
    line = max(1, int(p.unit / 220))
    for k, colour in ((0, dark), (1, gold), (2.6, gold)):
        d = inset + k * line * 2
        draw.rectangle((d, d, p.width - 1 - d, p.height - 1 - d), outline=colour, width=line)
    r = p.unit * 0.018
    for cx, cy in (
        (inset, inset),
        (p.width - inset, inset),
        (inset, p.height - inset),
        (p.width - inset, p.height - inset),
    ):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=gold, outline=dark, width=line)


def _ornamental_border(p: Painter) -> None:
    """A miniature's border: a deep red band between gold rules, with a repeating flower motif."""
    draw = ImageDraw.Draw(p.image)
    band = int(p.unit * 0.05)
    red, gold, cream, green = (140, 24, 30), (226, 176, 64), (246, 232, 200), (40, 110, 70)
    w, h = p.width, p.height
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


def paint_scene(prompt: str, style: str, size: tuple[int, int], seed: str) -> Image.Image:
    """The painted picture, as a Pillow image of exactly `size`."""
    digest = hashlib.sha256(f"{PAINTER_VERSION}\x1f{prompt}\x1f{style}\x1f{size}\x1f{seed}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    spec = read_scene(prompt, rng)
    width, height = max(1, size[0]), max(1, size[1])
    # Borders, figures and strokes need some room: tiny sizes are painted larger and scaled down.
    scale = max(1.0, MIN_PAINT_SIDE / min(width, height))
    paint_size = (round(width * scale), round(height * scale))
    image = ScenePainter(spec, style, paint_size, rng).paint()
    return image if paint_size == (width, height) else image.resize((width, height), Image.Resampling.LANCZOS)


class LocalIllustrator:
    """The offline image provider at the end of every chain: never fails, costs nothing."""

    name = "local"

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        image = paint_scene(prompt, style, size, seed)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=False)
        return Picture(data=buffer.getvalue(), cost=0.0)
