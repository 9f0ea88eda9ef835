"""The scene painter: one SceneSpec painted back to front, element by element, then the style's finish."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from renders.pipeline.illustrator.canvas import (
    Colour,
    Painter,
    Point,
    Shape,
    fractal_ridge,
    gradient_column,
    lerp,
    tint,
)
from renders.pipeline.illustrator.figures import (
    DEITY_TINTS,
    FIGURES,
    animal_shapes,
    figure_layers,
    head_of,
)
from renders.pipeline.illustrator.keywords import SceneSpec
from renders.pipeline.illustrator.styles import finish_style
from renders.pipeline.plan import STYLES

ANIMALS = ("elephant", "horse", "cow", "deer")  # in the order they are chosen, two at most
ANIMAL_SIZES = {"elephant": 0.36, "horse": 0.26, "cow": 0.2, "deer": 0.2}
ANIMAL_COLOURS: dict[str, Colour] = {"elephant": (150, 146, 150), "horse": (236, 232, 224), "cow": (232, 222, 204),
                                     "deer": (176, 116, 64)}  # fmt: skip

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
        self.water_mask: Image.Image | None = None  # where the water is, once painted

    # --- the sky ---------------------------------------------------------------------------
    def paint_sky(self) -> None:
        p = self.p
        column = gradient_column(max(2, int(self.horizon) + 2), self.sky["stops"])
        below = np.repeat(column[-1:], self.h - column.shape[0] + 1, axis=0)
        full = np.concatenate([column, below])[: self.h].astype(np.uint8)[:, None, :]
        # Each row one colour, pasted a band of rows at a time (no second canvas).
        p.in_strips(
            lambda part, box: Image.fromarray(
                np.ascontiguousarray(np.broadcast_to(full[box[1] : box[3]], (box[3] - box[1], self.w, 3))), "RGB"
            )
        )
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
        p.screen_scaled(Image.fromarray(light, "RGB"), (0, 0, self.w, self.h))

    def paint_clouds(self) -> None:
        p = self.p
        count = int(self.rng.integers(3, 7))
        lit = lerp(self.sky["stops"][-1][1], (255, 255, 255), 0.5)
        shade = lerp(self.sky["stops"][1][1], (80, 80, 100), 0.35)
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
            ridge = fractal_ridge(self.rng, 129, 0.55)
            top = self.horizon - self.h * (0.42 - 0.12 * depth) * self.rng.uniform(0.8, 1.1)
            base = self.horizon + 2
            xs = np.linspace(-0.02 * self.w, 1.02 * self.w, ridge.size)
            ys = base - (base - top) * (0.25 + 0.75 * ridge) * (0.6 + 0.4 * (1 - depth))
            outline = list(zip(xs, ys, strict=True))
            rock = tint(lerp((92, 84, 110), (56, 62, 70), depth), self.ambient)
            colour = lerp(far, rock, 0.35 + 0.55 * depth)
            shade = lerp(colour, (0, 0, 0), 0.25)
            fill_image = p.vertical_gradient((0, int(top), self.w, int(base) + 2), [(0.0, colour), (1.0, shade)])
            p.fill([("poly", [*outline, (xs[-1], base), (xs[0], base)])], fill_image)
            if depth < 0.9:  # snow on all but the nearest range
                snowline = top + (base - top) * 0.35
                snow_ys = [min(y + (base - top) * self.rng.uniform(0.05, 0.14), max(y, snowline)) for y in ys]
                snow = [*outline, *reversed(list(zip(xs, snow_ys, strict=True)))]
                white = tint((246, 248, 255), self.ambient, 12)
                p.fill([("poly", snow)], lerp(far, white, 0.55 + 0.4 * depth), 0.95)
            # Haze pooling at the foot of each range gives depth.
            haze = p.vertical_gradient((0, int(base - (base - top) * 0.3), self.w, int(base)), [(0, far), (1, far)])
            p.fill([("poly", [(0, base - (base - top) * 0.3), (self.w, base - (base - top) * 0.3), (self.w, base), (0, base)])],
                   haze, 0.25 * (1 - depth) + 0.1, blur=self.u * 0.03)  # fmt: skip

    def paint_hills(self) -> None:
        """Low rolling hills on the horizon, so even a plain scene has depth."""
        p = self.p
        ridge = fractal_ridge(self.rng, 33, 0.45)
        xs = np.linspace(-0.02 * self.w, 1.02 * self.w, ridge.size)
        ys = self.horizon - self.h * 0.07 * (0.3 + ridge)
        colour = lerp(self.sky["stops"][-1][1], tint((70, 96, 70), self.ambient), 0.55)
        p.fill(
            [("poly", [*zip(xs, ys, strict=True), (xs[-1], self.horizon + 2), (xs[0], self.horizon + 2)])],
            colour,
            blur=1,
        )

    def paint_ground(self) -> None:
        p = self.p
        base = tint(self.sky["ground"], (1, 1, 1))
        near = lerp(base, (0, 0, 0), 0.45)
        far = lerp(base, self.sky["stops"][-1][1], 0.35)
        fill_image = p.vertical_gradient((0, int(self.horizon), self.w, self.h), [(0, far), (0.5, base), (1, near)])
        p.fill([("poly", [(0, self.horizon), (self.w, self.horizon), (self.w, self.h), (0, self.h)])], fill_image)
        # Mottled grass and earth.
        land = (0, int(self.horizon), self.w, self.h)
        shadows = p.low_noise((24, 14)).crop(land).point(lambda v: int(v * 0.35))
        p.image.paste(lerp(near, (0, 0, 0), 0.3), land, shadows)

    def paint_water(self) -> None:
        p = self.p
        top = int(self.horizon)
        # The water mirrors the sky: its gradient flipped, darkened and cooled.
        sky_stops = self.sky["stops"]
        mirrored = [(1 - pos, lerp(tint(c, (0.78, 0.86, 0.98)), (10, 30, 60), 0.25)) for pos, c in reversed(sky_stops)]
        mirrored.append((1.0, lerp(mirrored[-1][1], (5, 20, 40), 0.5)))
        fill_image = p.vertical_gradient((0, top, self.w, self.h), sorted(mirrored))
        # A river that winds toward the horizon, with banks on both sides.
        wiggle = fractal_ridge(self.rng, 17, 0.5) - 0.5
        ys = np.linspace(top, self.h, wiggle.size)
        t = (ys - top) / max(1, self.h - top)
        centre = self.w * (0.5 + 0.2 * wiggle * t) + self.w * self.rng.uniform(-0.15, 0.15) * (1 - t)
        half = self.w * (0.18 + 0.6 * t**1.3)
        if self.rng.random() < 0.45:
            half = np.full_like(half, self.w * 0.8)  # a wide lake or the open Ganga
        left = list(zip(centre - half, ys, strict=True))
        right = list(zip(centre + half, ys, strict=True))
        water: list[Shape] = [
            ("poly", [*left, *reversed(right)]),
            ("poly", [(-5, top), (self.w + 5, top), (self.w + 5, top + self.h * 0.006), (-5, top + self.h * 0.006)]),
        ]
        p.fill(water, fill_image)
        # Shimmer and the light's reflection are painted on a copy and kept only inside the water,
        # so no streak spills over the banks onto the land.
        # Only the rows the strokes and the glow below can reach are kept dry, not the whole canvas.
        line_width = max(1, int(self.u / 500))
        wet_top = max(0, min(int(top - 0.4 * (self.h - top)) - 1, top - line_width - 2))
        dry = p.image.crop((0, wet_top, self.w, self.h))
        # Shimmer: short bright strokes, thickest under the light source.
        draw = ImageDraw.Draw(p.image)
        light = self.sky["light"]
        lx = self.light[0]
        for _ in range(int(220 * self.w / 1920) + 30):
            y = top + (self.h - top) * self.rng.random() ** 1.6
            spread = self.w * (0.04 + 0.3 * (y - top) / max(1, self.h - top))
            x = lx + self.rng.normal(0, spread) if self.rng.random() < 0.7 else self.rng.uniform(0, self.w)
            length = self.u * self.rng.uniform(0.01, 0.05) * (0.4 + (y - top) / max(1, self.h - top))
            shimmer = lerp(
                light,
                fill_image.getpixel((min(self.w - 1, max(0, int(x))), min(self.h - 1, int(y)))),
                self.rng.uniform(0.1, 0.6),
            )
            draw.line([(x - length, y), (x + length, y)], fill=shimmer, width=line_width)
        # The light's reflection: a soft column on the water.
        p.glow((lx, top + (self.h - top) * 0.3), (self.h - top) * 0.7, light, 0.25, falloff=3)
        self.water_mask = Image.new("L", (self.w, self.h), 0)
        made = p.mask(water)
        if made is not None:
            self.water_mask.paste(made[0], made[1])
        mask = self.water_mask

        def keep_water(part: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
            kept = dry.crop((box[0], box[1] - wet_top, box[2], box[3] - wet_top))
            kept.paste(part, (0, 0), mask.crop(box))
            return kept

        p.in_strips(keep_water, (0, wet_top, self.w, self.h))

    def paint_ghat(self) -> None:
        """Stone steps down to the water at one side, where figures can stand."""
        p = self.p
        left = self.rng.random() < 0.5
        x_edge = self.w * self.rng.uniform(0.28, 0.42)
        steps = 6
        stone = tint((176, 150, 120), self.ambient)
        for i in range(steps):
            y0 = self.ground_line - (steps - i) * self.h * 0.018
            x = x_edge + i * self.w * 0.012
            dark = lerp(stone, (0, 0, 0), 0.15 + 0.05 * i)
            box = (
                [(0, y0), (x, y0), (x, self.h), (0, self.h)]
                if left
                else [(self.w, y0), (self.w - x, y0), (self.w - x, self.h), (self.w, self.h)]
            )
            p.fill([("poly", box)], dark if i % 2 else stone)

    def paint_forest(self, near: bool) -> None:
        p = self.p
        if not near:
            ridge = fractal_ridge(self.rng, 65, 0.7)
            xs = np.linspace(-0.02 * self.w, 1.02 * self.w, ridge.size)
            ys = self.horizon - self.h * (0.03 + 0.07 * ridge)
            green = tint((40, 80, 50), self.ambient)
            colour = lerp(self.sky["stops"][-1][1], green, 0.6)
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
        trunk = tint((60, 40, 30), self.ambient)
        leaves = tint(lerp((34, 90, 40), (70, 120, 40), self.rng.random()), self.ambient)
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
        p.fill(crown, lerp(leaves, (0, 0, 0), 0.3))
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
        stone = tint((214, 160, 100) if not gold else (220, 170, 80), self.ambient, 6)
        shade = lerp(stone, (20, 10, 10), 0.35)
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
        gold_c = tint((240, 196, 80), self.ambient, 30)
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
        p.fill([("poly", flag)], tint((240, 110, 20), self.ambient, 20))
        # A lit doorway; lamps glow at dusk and night.
        door = [
            (x - w * 0.08, base - height * 0.08),
            (x + w * 0.08, base - height * 0.08),
            (x + w * 0.08, base - height * 0.22),
            (x, base - height * 0.27),
            (x - w * 0.08, base - height * 0.22),
        ]
        lamp = (255, 190, 90)
        p.fill([("poly", door)], lamp if self.spec.time_of_day in ("dusk", "night") else lerp(shade, (0, 0, 0), 0.4))
        if self.spec.time_of_day in ("dusk", "night"):
            p.glow((x, base - height * 0.16), height * (0.45 if night else 0.3), lamp, 0.6)

    def paint_palace(self, x: float, base: float, height: float) -> None:
        """A palace: a long arcaded wing, a big onion dome between two minarets, chhatris."""
        p = self.p
        wall = tint((236, 214, 190), self.ambient, 4)
        shade = lerp(wall, (40, 20, 30), 0.35)
        w = height * 1.3
        body_top = base - height * 0.42
        p.fill([("poly", [(x - w / 2, base), (x + w / 2, base), (x + w / 2, body_top), (x - w / 2, body_top)])], wall)
        p.fill([("line", [(x - w / 2, body_top), (x + w / 2, body_top)], height * 0.02)], shade)
        arches = 9
        window = (255, 196, 110) if self.spec.time_of_day in ("dusk", "night") else lerp(shade, (0, 0, 0), 0.3)
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
            tint((240, 196, 80), self.ambient, 30),
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
        pad = tint((40, 110, 60), self.ambient, 4)
        petal = tint((246, 150, 180), self.ambient, 10)
        inner = tint((255, 214, 226), self.ambient, 20)
        for _ in range(int(self.rng.integers(4, 8))):
            x = self.rng.uniform(0.05, 0.95) * self.w
            y = self.rng.uniform(top, self.h * 0.98)
            size = self.u * 0.05 * (0.6 + 0.8 * (y - top) / max(1, self.h - top))
            p.fill(
                [("ellipse", (x - size * 1.8, y - size * 0.35, x + size * 1.8, y + size * 0.45))],
                lerp(pad, (0, 0, 0), 0.2),
            )
            p.fill([("ellipse", (x - size * 1.6, y - size * 0.4, x + size * 1.6, y + size * 0.3))], pad)
            if self.rng.random() < 0.35:
                continue  # only a pad
            for i, angle in enumerate((-70, -45, -22, 0, 22, 45, 70)):
                tone = petal if i % 2 else lerp(petal, inner, 0.4)
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

    # --- things of the library's stories ----------------------------------------------------------
    def paint_pole_star(self) -> None:
        """Dhruva's star: one steady star far brighter than the rest, with a cross of light."""
        p = self.p
        x, y = self.w * self.rng.uniform(0.6, 0.85), self.horizon * self.rng.uniform(0.12, 0.2)
        if abs(x - self.light[0]) < self.u * 0.3:
            x = self.w - x
        p.glow((x, y), self.u * 0.25, (200, 215, 255), 0.55, falloff=2.5)
        length, width = self.u * 0.09, max(1.0, self.u / 260)
        p.fill([("line", [(x - length, y), (x + length, y)], width), ("line", [(x, y - length), (x, y + length)], width)],
               (235, 240, 255), blur=width * 0.6)  # fmt: skip
        r = self.u * 0.012
        p.fill([("ellipse", (x - r, y - r, x + r, y + r))], (255, 255, 250))

    def paint_descent(self) -> None:
        """A river of light falling from the heavens: a bright stream from the clouds to the horizon."""
        p = self.p
        x = self.w * self.rng.uniform(0.35, 0.65)
        left: list[Point] = []
        right: list[Point] = []
        for i in range(25):
            t = i / 24
            y = self.horizon * t
            sway = math.sin(t * 4.5 + x) * self.u * 0.04
            half = self.u * (0.03 + 0.07 * t)
            left.append((x + sway - half, y))
            right.append((x + sway + half, y))
        stream: Shape = ("poly", [*left, *reversed(right)])
        p.fill([stream], (190, 220, 255), 0.55, blur=self.u * 0.02)
        p.fill([_offset(stream, 0, 0)], (250, 252, 255), 0.35, blur=self.u * 0.006)
        p.glow((x, self.horizon), self.u * 0.35, (210, 230, 255), 0.6)
        p.glow((x, self.horizon * 0.05), self.u * 0.3, (255, 240, 200), 0.5)

    def paint_animals(self) -> None:
        """Up to two animals (an elephant, a horse, cows, a deer) on the near ground, beside the figures."""
        kinds = [k for k in ANIMALS if k in self.spec.elements][:2]
        for index, kind in enumerate(kinds):
            x = self.w * (0.86 if index == 0 else 0.14)
            size = self.h * ANIMAL_SIZES[kind]
            facing = -1 if x > self.w / 2 else 1
            base = self.ground_line + self.h * 0.03
            shapes = animal_shapes(kind, x, base, size, facing)
            colour = ANIMAL_COLOURS[kind]
            lit_from = self.fire_at or self.light
            self.p.fill([_offset(s, -size * 0.02 if lit_from[0] < x else size * 0.02, -size * 0.01) for s in shapes],
                        self.sky["rim"], 0.8)  # fmt: skip
            self.p.fill(shapes, tint(colour, self.ambient))
            self.p.shade(shapes, (10, 6, 20), 0.4, lit_from_left=lit_from[0] < x)

    def paint_huts(self, x: float, base: float, height: float) -> None:
        """A hut of mud walls under a thatched roof, or a village of three; doorways lit after dusk."""
        p = self.p
        village = self.rng.random() < 0.5
        wall = tint((186, 136, 92), self.ambient, 6)
        thatch = tint((150, 112, 60), self.ambient, 4)
        lit = self.spec.time_of_day in ("dusk", "night")
        spots = (
            [(x, height)]
            if not village
            else [(x, height), (x - height * 1.3, height * 0.8), (x + height * 1.25, height * 0.85)]
        )
        for hx, hh in sorted(spots, key=lambda spot: spot[1]):  # the far (smaller) huts first
            w = hh * 1.15
            walls: Shape = (
                "poly",
                [(hx - w / 2, base), (hx + w / 2, base), (hx + w / 2, base - hh * 0.5), (hx - w / 2, base - hh * 0.5)],
            )
            roof: Shape = (
                "poly",
                [
                    (hx - w * 0.68, base - hh * 0.42),
                    (hx + w * 0.68, base - hh * 0.42),
                    (hx + w * 0.12, base - hh * 1.05),
                    (hx - w * 0.12, base - hh * 1.05),
                ],
            )
            door: Shape = (
                "poly",
                [
                    (hx - w * 0.1, base),
                    (hx + w * 0.1, base),
                    (hx + w * 0.1, base - hh * 0.32),
                    (hx - w * 0.1, base - hh * 0.32),
                ],
            )
            p.fill([walls], wall)
            p.fill([roof], thatch)
            p.fill(
                [
                    (
                        "line",
                        [(hx - w * 0.6, base - hh * (0.47 + 0.12 * k)), (hx + w * 0.6, base - hh * (0.47 + 0.12 * k))],
                        max(1.0, hh * 0.02),
                    )
                    for k in range(4)
                ],
                lerp(thatch, (0, 0, 0), 0.3),
                0.6,
            )
            p.shade([walls, roof], (10, 6, 20), 0.45, lit_from_left=self.light_from_left)
            p.fill([door], (255, 190, 100) if lit else lerp(wall, (0, 0, 0), 0.6))
            if lit:
                p.glow((hx, base - hh * 0.16), hh * 0.6, (255, 180, 90), 0.45)  # fmt: skip

    def paint_birds(self) -> None:
        """A flock of birds crossing the sky, as small curved V strokes, dark by day and light at night."""
        p = self.p
        colour = (230, 232, 240) if self.spec.time_of_day == "night" else lerp(self.sky["stops"][0][1], (0, 0, 0), 0.7)
        cx, cy = self.w * self.rng.uniform(0.25, 0.75), self.horizon * self.rng.uniform(0.2, 0.45)
        strokes: list[Shape] = []
        for _ in range(int(self.rng.integers(7, 12))):
            bx, by = cx + self.rng.normal(0, self.u * 0.14), cy + self.rng.normal(0, self.u * 0.06)
            span = self.u * self.rng.uniform(0.018, 0.032)
            lift = span * self.rng.uniform(0.3, 0.7)
            strokes.append(("line", [(bx - span, by - lift), (bx - span * 0.4, by - lift * 0.3), (bx, by),
                                     (bx + span * 0.4, by - lift * 0.3), (bx + span, by - lift)], max(1.5, span * 0.2)))  # fmt: skip
        p.fill(strokes, colour)

    def paint_serpent(self) -> None:
        """A many-hooded serpent rising from the water in coils."""
        p = self.p
        y = self.horizon + (self.h - self.horizon) * 0.45
        x0 = self.w * self.rng.uniform(0.1, 0.25)
        coil = [(x0 + t * self.w * 0.55, y + math.sin(t * 9) * self.u * 0.04) for t in np.linspace(0, 1, 60)]
        body = tint((40, 70, 60), self.ambient, 10)
        hx, hy = coil[-1]
        hoods: list[Shape] = [("line", [(hx, hy), (hx, hy - self.u * 0.08)], self.u * 0.04)]
        for k in range(5):
            a = math.radians(-150 + 30 * k)
            cx, cy = hx + math.cos(a) * self.u * 0.08, hy - self.u * 0.08 + math.sin(a) * self.u * 0.08
            hoods.append(
                ("ellipse", (cx - self.u * 0.035, cy - self.u * 0.045, cx + self.u * 0.035, cy + self.u * 0.045))
            )
        p.fill([("line", coil, self.u * 0.035), *hoods], body)
        p.shade([("line", coil, self.u * 0.035), *hoods], (5, 10, 10), 0.4, lit_from_left=self.light_from_left)

    # --- figures ---------------------------------------------------------------------------
    def paint_figure(self, kind: str, x: float, feet: float, height: float, facing: int) -> None:
        """A silhouette against the glowing sky, rim-lit toward the light; a deity in its halo."""
        p = self.p
        symbol, body, gold = figure_layers(kind, self.spec, x, feet, height, facing)
        head = head_of(kind, x, feet, height)
        # The sky glows behind every figure, so its outline reads against light.
        p.glow((x, feet - height * 0.65), height * 0.85, self.sky["light"], 0.3, falloff=1.8)
        if kind == "deity":
            self.paint_halo(head, height)
        # Rim light: the silhouette in the light's colour, nudged toward the light, painted first.
        lit_from = self.fire_at or self.light
        dx = 1 if lit_from[0] < x else -1
        offset = max(1.0, height * 0.01)
        rim = (255, 214, 120) if kind == "deity" else self.sky["rim"] if self.fire_at is None else (255, 170, 70)
        p.fill([_offset(shape, -dx * offset, -offset * 0.5) for shape in body], rim, 0.95, blur=offset * 0.5)
        dark = lerp(self.sky["stops"][0][1], (6, 4, 12), 0.7)
        tint_colour = DEITY_TINTS.get(symbol, FIGURES[kind]["tint"])
        p.fill(body, lerp(dark, tint_colour, 0.45 if kind == "deity" else 0.3))
        if gold:
            p.fill(gold, (255, 206, 96))

    def paint_halo(self, head: Point, height: float) -> None:
        """A deity's halo (prabhamandala): divine light, a disc, a gold ring and a ring of rays."""
        p = self.p
        x, y = head
        p.glow(head, height * 0.9, (255, 220, 130), 0.8, falloff=1.5)
        r = height * 0.17
        p.fill([("ellipse", (x - r, y - r, x + r, y + r))], (255, 232, 160), 0.55, blur=r * 0.05)
        width = max(1.0, height * 0.012)
        p.fill([("ring", (x - r, y - r, x + r, y + r), width)], (255, 196, 70))
        rays: list[Shape] = []
        for k in range(24):
            a = 2 * math.pi * k / 24
            inner, outer = r * 1.08, r * (1.28 if k % 2 else 1.18)
            rays.append(("line", [(x + math.cos(a) * inner, y + math.sin(a) * inner),
                                  (x + math.cos(a) * outer, y + math.sin(a) * outer)], width * 0.8))  # fmt: skip
        p.fill(rays, (255, 206, 96), 0.85)

    def paint_foreground(self) -> None:
        """Dark grass and a framing shrub in a lower corner, for depth."""
        p = self.p
        colour = tint(lerp(self.sky["ground"], (0, 0, 0), 0.55), (1, 1, 1))
        ridge = fractal_ridge(self.rng, 33, 0.6)
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
        if has("star") and spec.time_of_day == "night":
            self.paint_pole_star()
        if has("clouds"):
            self.paint_clouds()
        if has("birds"):
            self.paint_birds()
        if has("descent"):
            self.paint_descent()
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
            building_x = self.w - building_x
        if has("hut"):
            self.paint_huts(building_x, self.horizon + self.h * 0.07, self.h * rng.uniform(0.15, 0.19))
        if has("water") and spec.figures:
            self.paint_ghat()
        if has("lotus"):
            self.paint_lotus()
        if has("lamps"):
            self.paint_lamps()
        if has("serpent") and has("water"):
            self.paint_serpent()
        if has("forest"):
            self.paint_forest(near=True)
        if any(has(kind) for kind in ANIMALS):
            self.paint_animals()
        slots = _figure_slots(len(spec.figures) + (1 if has("fire") else 0), rng)
        if has("fire"):
            fire_slot = slots.pop(len(slots) // 2)
            self.paint_fire(self.w * fire_slot, self.ground_line, self.h * rng.uniform(0.3, 0.42))
        # "A soft golden halo around him": with no deity in the scene, the first figure has it.
        haloed = spec.figures[0] if has("halo") and spec.figures and "deity" not in spec.figures else ""
        for kind, slot in zip(spec.figures, slots, strict=True):
            facing = 1 if slot < 0.5 else -1
            height = self.h * FIGURES[kind]["height"] * rng.uniform(0.92, 1.08)
            feet = self.ground_line + self.h * rng.uniform(-0.01, 0.02)
            if kind == haloed:
                self.paint_halo(head_of(kind, self.w * slot, feet, height), height * 0.75)
                haloed = ""
            self.paint_figure(kind, self.w * slot, feet, height, facing)
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
