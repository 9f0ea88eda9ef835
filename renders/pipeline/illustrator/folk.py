"""Folk-art styles whose language is geometric: Warli, Madhubani and Pichwai.

In these traditions a figure *is* geometry: Warli people are two triangles joined at the waist
with a round head, drawn in white on earth-red; Madhubani fills bold black outlines with flat
colour and line patterns; Pichwai sets lotus ponds and cows in deep colours round a dark-blue
Krishna. So figures here are never faceless stand-ins for realistic people: they are the style's
own figures, and a deity is known by a halo and the symbol in its hand (trishul, flute, mace,
conch, lotus), as in the paintings themselves. The scene's other elements (sun or moon, hills,
river, trees, temple, fire, cows, elephant, serpent, the pole star, a river of light) are drawn
as the same flat motifs. The frame decoration is not painted here: see `styles.frame_decoration`.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from renders.pipeline.illustrator.canvas import Colour, Painter, Point, Shape, lerp
from renders.pipeline.illustrator.figures import animal_shapes, elephant_head

FOLK_STYLES = ("warli", "madhubani", "pichwai")

# ground: the surface painted on; ink: the line colour; fills: flat colours in turn; sky: above
# the horizon (None: the same surface); skin: a deity's colour.
PALETTES: dict[str, dict[str, object]] = {
    "warli": {"ground": (150, 64, 40), "sky": None, "ink": (246, 238, 222), "fills": [(246, 238, 222)],
              "skin": (246, 238, 222), "outline": 0},
    "madhubani": {"ground": (243, 226, 186), "sky": (250, 236, 200), "ink": (26, 18, 14),
                  "fills": [(204, 40, 44), (240, 168, 30), (36, 124, 74), (36, 84, 164), (222, 92, 140)],
                  "skin": (40, 90, 170), "outline": 3},
    "pichwai": {"ground": (16, 70, 62), "sky": (14, 30, 58), "ink": (232, 190, 88),
                "fills": [(238, 232, 218), (226, 108, 140), (40, 128, 80), (232, 176, 50), (180, 40, 50)],
                "skin": (40, 62, 150), "outline": 1},
    # Shadow puppets (`puppet`): motifs are cut from dyed leather, painted on white, then lit.
    "shadow-puppet": {"ground": (255, 255, 255), "sky": None, "ink": (52, 26, 12),
                      "fills": [(200, 50, 36), (236, 170, 40), (80, 150, 80), (60, 120, 190), (190, 50, 90)],
                      "skin": (60, 120, 190), "outline": 0},
}  # fmt: skip


class FolkPainter:
    """Paints a SceneSpec as flat folk-art motifs on the style's ground."""

    def __init__(self, spec: object, style: str, size: tuple[int, int], rng: np.random.Generator):
        from renders.pipeline.illustrator.keywords import SceneSpec

        assert isinstance(spec, SceneSpec)
        self.spec = spec
        self.style = style
        self.palette = PALETTES[style]
        self.p = Painter(size, rng)
        self.rng = rng
        self.w, self.h = size
        self.u = self.p.unit
        self.ink: Colour = self.palette["ink"]  # type: ignore[assignment]
        self.fills: list[Colour] = self.palette["fills"]  # type: ignore[assignment]
        self.skin: Colour = self.palette["skin"]  # type: ignore[assignment]
        self.horizon = self.h * rng.uniform(0.5, 0.58)
        self.ground_line = self.h * rng.uniform(0.84, 0.9)
        self.stroke = max(1.0, self.u / 180)
        self._turn = 0
        self.halo_for = ""  # a figure (not a deity) with a halo: "a soft golden halo around him"

    def fill_colour(self) -> Colour:
        """The next flat colour in turn (Warli: always the white ink)."""
        self._turn += 1
        return self.fills[self._turn % len(self.fills)]

    # --- the surface and the sky -------------------------------------------------------------
    def paint_ground(self) -> None:
        p = self.p
        ground: Colour = self.palette["ground"]  # type: ignore[assignment]
        sky = self.palette["sky"] or ground
        p.image.paste(sky, (0, 0, self.w, int(self.horizon)))  # type: ignore[arg-type]
        p.image.paste(ground, (0, int(self.horizon), self.w, self.h))
        # Mud wall, cloth or paper: a gentle blotchy texture.
        texture = p.low_noise((16, 9)).point(lambda v: 104 + v // 5).convert("RGB")
        p.image = ImageChops.soft_light(p.image, texture)
        if self.style != "warli":
            p.fill([("line", [(0, self.horizon), (self.w, self.horizon)], self.stroke * 1.5)], self.ink)

    def paint_light(self) -> None:
        """Sun with triangle rays by day; a crescent moon and dot stars at night."""
        p, tod = self.p, self.spec.time_of_day
        x = self.w * self.rng.uniform(0.12, 0.3) * (1 if self.rng.random() < 0.5 else -1) % self.w
        y = self.horizon * self.rng.uniform(0.18, 0.32)
        r = self.u * 0.07
        if tod == "night":
            p.fill([("ellipse", (x - r, y - r, x + r, y + r))], self.ink)
            sky = self.palette["sky"] or self.palette["ground"]
            p.fill([("ellipse", (x - r * 0.55, y - r * 1.05, x + r * 1.3, y + r * 0.85))], sky)  # type: ignore[arg-type]
            dots: list[Shape] = []
            for _ in range(40):
                sx, sy, sr = self.rng.uniform(0, self.w), self.rng.uniform(0, self.horizon * 0.9), self.stroke * 0.8
                dots.append(("ellipse", (sx - sr, sy - sr, sx + sr, sy + sr)))
            p.fill(dots, self.ink)
            return
        sun = self.ink if self.style == "warli" else (240, 168, 30) if self.style == "madhubani" else (232, 176, 50)
        rays: list[Shape] = []
        for k in range(12):
            a = 2 * math.pi * k / 12
            tip = (x + math.cos(a) * r * 1.7, y + math.sin(a) * r * 1.7)
            left = (x + math.cos(a - 0.18) * r * 1.1, y + math.sin(a - 0.18) * r * 1.1)
            right = (x + math.cos(a + 0.18) * r * 1.1, y + math.sin(a + 0.18) * r * 1.1)
            rays.append(("poly", [left, tip, right]))
        p.fill(rays, sun)
        p.fill([("ellipse", (x - r, y - r, x + r, y + r))], sun)
        if self.style != "warli":
            p.fill([("ring", (x - r, y - r, x + r, y + r), self.stroke)], self.ink)

    def paint_pole_star(self) -> None:
        """Dhruva's star: an eight-pointed star high in the sky, with a ring of dots."""
        x, y, r = self.w * self.rng.uniform(0.55, 0.8), self.horizon * 0.2, self.u * 0.06
        points: list[Point] = []
        for k in range(16):
            a = math.pi * k / 8 - math.pi / 2
            rr = r if k % 2 == 0 else r * 0.38
            points.append((x + math.cos(a) * rr, y + math.sin(a) * rr))
        gold: Colour = (255, 226, 120) if self.style != "warli" else self.ink
        if self.style == "pichwai":
            self.p.glow((x, y), r * 3, (255, 220, 140), 0.6)
        self.p.fill([("poly", points)], gold)
        self.p.fill([("ring", (x - r * 1.4, y - r * 1.4, x + r * 1.4, y + r * 1.4), self.stroke * 0.8)], gold)

    def paint_descent(self) -> None:
        """A river of light falling from the heavens: a band of wavy lines from the top to the water."""
        x = self.w * self.rng.uniform(0.35, 0.65)
        width = self.u * 0.16
        colour: Colour = (200, 230, 255) if self.style != "warli" else self.ink
        if self.style == "pichwai":
            self.p.glow((x, self.horizon * 0.5), width * 2.5, (200, 220, 255), 0.5)
        band: list[Point] = []
        left: list[Point] = []
        right: list[Point] = []
        for i in range(25):
            t = i / 24
            y = t * self.horizon
            sway = math.sin(t * 5) * width * 0.3
            spread = width * (0.4 + 0.6 * t)
            left.append((x + sway - spread / 2, y))
            right.append((x + sway + spread / 2, y))
        band = [*left, *reversed(right)]
        self.p.fill([("poly", band)], colour, 0.55)
        lines: list[Shape] = []
        for k in range(4):
            f = (k + 0.5) / 4
            lines.append(("line", [(lx + (rx - lx) * f, ly) for (lx, ly), (rx, _) in zip(left, right, strict=True)],
                          self.stroke))  # fmt: skip
        self.p.fill(lines, self.ink if self.style != "warli" else lerp(self.ink, (150, 64, 40), 0.3))

    # --- land and water ---------------------------------------------------------------------
    def paint_mountains(self) -> None:
        count = int(self.rng.integers(3, 6))
        for k in range(count):
            cx = self.w * (k + 0.5) / count + self.rng.uniform(-0.04, 0.04) * self.w
            half = self.w / count * self.rng.uniform(0.5, 0.75)
            top = self.horizon - self.h * self.rng.uniform(0.18, 0.3)
            tri = [(cx - half, self.horizon), (cx, top), (cx + half, self.horizon)]
            if self.style == "warli":
                self.p.fill([("line", [*tri, tri[0]], self.stroke)], self.ink)
                hatch = [("line", [(cx - half * f, self.horizon - (self.horizon - top) * (1 - f)),
                                   (cx + half * f, self.horizon - (self.horizon - top) * (1 - f))], self.stroke * 0.6)
                         for f in np.linspace(0.2, 0.9, 5)]  # fmt: skip
                self.p.fill(hatch, self.ink)
            else:
                colour = self.fills[2] if self.style == "madhubani" else lerp(self.fills[2], (0, 0, 0), 0.3)
                self.p.fill([("poly", tri)], colour)

    def paint_water(self) -> None:
        top = self.horizon + (self.h - self.horizon) * 0.25
        bottom = self.h * 0.8
        water: Colour = (36, 84, 164) if self.style == "madhubani" else (20, 60, 110)
        if self.style != "warli":
            self.p.fill([("poly", [(0, top), (self.w, top), (self.w, bottom), (0, bottom)])], water)
        waves: list[Shape] = []
        rows = 5
        for row in range(rows):
            y0 = top + (bottom - top) * (row + 0.5) / rows
            pts = [(x, y0 + math.sin(x / (self.u * 0.03) + row) * self.u * 0.008) for x in np.linspace(0, self.w, 90)]
            waves.append(("line", pts, self.stroke * 0.8))
        self.p.fill(waves, self.ink)
        if self.style == "madhubani":
            for _ in range(int(self.rng.integers(2, 4))):  # fish, the motif of plenty
                fx, fy = self.rng.uniform(0.1, 0.9) * self.w, self.rng.uniform(top, bottom)
                self.fish(fx, fy, self.u * 0.05, self.fill_colour())
        self.water_band = (top, bottom)

    def fish(self, x: float, y: float, length: float, colour: Colour) -> None:
        self.p.fill([("ellipse", (x - length / 2, y - length * 0.2, x + length / 2, y + length * 0.2)),
                     ("poly", [(x + length * 0.45, y), (x + length * 0.75, y - length * 0.22), (x + length * 0.75, y + length * 0.22)])],
                    colour)  # fmt: skip
        self.p.fill(
            [("line", [(x - length * 0.1, y - length * 0.2), (x - length * 0.1, y + length * 0.2)], self.stroke * 0.6)],
            self.ink,
        )

    def paint_lotuses(self, many: bool) -> None:
        top = self.horizon + (self.h - self.horizon) * 0.3
        count = int(self.rng.integers(9, 15)) if many else int(self.rng.integers(3, 6))
        for i in range(count):
            x = self.w * (i + 0.5) / count + self.rng.uniform(-0.02, 0.02) * self.w
            y = self.rng.uniform(top, self.h * 0.95)
            self.lotus(x, y, self.u * 0.035)

    def lotus(self, x: float, y: float, size: float) -> None:
        pink: Colour = (226, 108, 140) if self.style != "warli" else self.ink
        leaf: Colour = (40, 128, 80) if self.style != "warli" else self.ink
        self.p.fill([("ellipse", (x - size * 1.5, y, x + size * 1.5, y + size * 0.5))], leaf)
        petals: list[Shape] = []
        for angle in (-60, -30, 0, 30, 60):
            a = math.radians(angle)
            tip = (x + math.sin(a) * size * 1.3, y - math.cos(a) * size * 1.3)
            side = (math.cos(a) * size * 0.32, math.sin(a) * size * 0.32)
            petals.append(("poly", [(x - side[0], y - side[1]), tip, (x + side[0], y + side[1])]))
        self.p.fill(petals, pink)

    def tree(self, x: float, base: float, height: float) -> None:
        p = self.p
        trunk: Colour = self.ink if self.style == "warli" else (110, 60, 30)
        p.fill([("line", [(x, base), (x, base - height * 0.7)], height * 0.05)], trunk)
        if self.style == "warli":
            # Branches as lines, leaves as small triangles: the Warli tree.
            for k in range(6):
                y = base - height * (0.3 + 0.1 * k)
                for side in (-1, 1):
                    end = (x + side * height * (0.32 - 0.04 * k), y - height * 0.12)
                    p.fill([("line", [(x, y), end], self.stroke)], self.ink)
                    p.fill(
                        [
                            (
                                "poly",
                                [
                                    end,
                                    (end[0] - height * 0.03, end[1] + height * 0.05),
                                    (end[0] + height * 0.03, end[1] + height * 0.05),
                                ],
                            )
                        ],
                        self.ink,
                    )
            return
        cy, r = base - height * 0.75, height * 0.3
        crown: Colour = (36, 124, 74) if self.style == "madhubani" else (30, 100, 60)
        p.fill([("ellipse", (x - r, cy - r, x + r, cy + r))], crown)
        dots: list[Shape] = []
        for _ in range(14):  # leaves / kadamba blossoms as a dotted pattern
            dx, dy = self.rng.uniform(-0.75, 0.75) * r, self.rng.uniform(-0.75, 0.75) * r
            if dx * dx + dy * dy < (0.8 * r) ** 2:
                dr = r * 0.09
                dots.append(("ellipse", (x + dx - dr, cy + dy - dr, x + dx + dr, cy + dy + dr)))
        p.fill(dots, (240, 168, 30) if self.style == "madhubani" else (236, 200, 90))

    def temple(self, x: float, base: float, height: float) -> None:
        w = height * 0.45
        colour = self.ink if self.style == "warli" else self.fill_colour()
        shapes: list[Shape] = [("poly", [(x - w / 2, base), (x + w / 2, base), (x + w / 2, base - height * 0.4), (x - w / 2, base - height * 0.4)]),
                               ("poly", [(x - w / 2, base - height * 0.4), (x, base - height * 0.95), (x + w / 2, base - height * 0.4)])]  # fmt: skip
        if self.style == "warli":
            self.p.fill([("line", [*s[1], s[1][0]], self.stroke) for s in shapes], self.ink)
        else:
            self.p.fill(shapes, colour)
            door = (x - w * 0.14, base - height * 0.25, x + w * 0.14, base)
            self.p.fill(
                [
                    ("ellipse", door),
                    (
                        "poly",
                        [
                            (door[0], base),
                            (door[2], base),
                            (door[2], base - height * 0.12),
                            (door[0], base - height * 0.12),
                        ],
                    ),
                ],
                self.ink,
            )
        flag = [
            (x, base - height * 0.95),
            (x, base - height * 1.1),
            (x + height * 0.1, base - height * 1.05),
            (x, base - height * 1.0),
        ]
        self.p.fill(
            [("line", flag[:2], self.stroke), ("poly", flag[1:])], self.ink if self.style == "warli" else (204, 40, 44)
        )

    def fire(self, x: float, base: float, height: float) -> None:
        colours = [self.ink] * 3 if self.style == "warli" else [(204, 40, 44), (240, 120, 30), (250, 200, 60)]
        for k, colour in enumerate(colours):
            scale = 1 - 0.28 * k
            flames: list[Shape] = []
            for j in range(5):
                fx = x + (j - 2) * height * 0.12 * scale
                fh = height * scale * (0.6 + 0.4 * math.cos((j - 2) * 0.6))
                flames.append(
                    ("poly", [(fx - height * 0.09 * scale, base), (fx, base - fh), (fx + height * 0.09 * scale, base)])
                )
            self.p.fill(flames, colour)

    def hut(self, x: float, base: float, height: float) -> None:
        """A hut: square walls, a pitched roof and a dark doorway (Warli: drawn in outline)."""
        w = height * 1.1
        walls = [
            (x - w / 2, base),
            (x + w / 2, base),
            (x + w / 2, base - height * 0.5),
            (x - w / 2, base - height * 0.5),
        ]
        roof = [(x - w * 0.65, base - height * 0.45), (x, base - height * 1.05), (x + w * 0.65, base - height * 0.45)]
        if self.style == "warli":
            self.p.fill([("line", [*walls, walls[0]], self.stroke), ("line", [*roof, roof[0]], self.stroke)], self.ink)
            return
        self.p.fill([("poly", walls)], self.fill_colour())
        self.p.fill([("poly", roof)], (150, 100, 50) if self.style != "pichwai" else (200, 150, 60))
        self.p.fill([("poly", [(x - w * 0.1, base), (x + w * 0.1, base), (x + w * 0.1, base - height * 0.3), (x - w * 0.1, base - height * 0.3)])],
                    self.ink)  # fmt: skip

    def birds(self) -> None:
        """A few birds in flight, each two curved strokes."""
        cx, cy = self.w * self.rng.uniform(0.3, 0.7), self.horizon * self.rng.uniform(0.3, 0.5)
        strokes: list[Shape] = []
        for _ in range(int(self.rng.integers(4, 8))):
            bx, by = cx + self.rng.normal(0, self.u * 0.12), cy + self.rng.normal(0, self.u * 0.05)
            span = self.u * 0.025
            strokes.append(
                ("line", [(bx - span, by - span * 0.5), (bx, by), (bx + span, by - span * 0.5)], self.stroke)
            )
        self.p.fill(strokes, self.ink)

    # --- animals ------------------------------------------------------------------------------
    def cow(self, x: float, base: float, size: float, facing: int) -> None:
        """A cow as the folk painters draw it: a rounded body, a triangle head, horns and four legs."""
        body: Colour = (
            self.ink if self.style == "warli" else self.fills[4] if self.style == "madhubani" else (238, 232, 218)
        )
        leg = size * 0.45
        legs: list[Shape] = [
            ("line", [(x + dx * size, base - leg), (x + dx * size, base)], size * 0.07)
            for dx in (-0.42, -0.3, 0.3, 0.42)
        ]
        shapes: list[Shape] = [
            *legs,
            ("ellipse", (x - size * 0.55, base - leg - size * 0.45, x + size * 0.55, base - leg + size * 0.05)),
        ]
        hx = x + facing * size * 0.55
        hy = base - leg - size * 0.35
        shapes.append(
            ("poly", [(hx, hy - size * 0.15), (hx + facing * size * 0.35, hy + size * 0.05), (hx, hy + size * 0.2)])
        )
        shapes.append(("line", [(hx, hy - size * 0.1), (hx + facing * size * 0.05, hy - size * 0.35)], size * 0.05))
        shapes.append(
            (
                "line",
                [
                    (x - facing * size * 0.55, base - leg - size * 0.3),
                    (x - facing * size * 0.7, base - leg + size * 0.1),
                ],
                size * 0.04,
            )
        )
        self.p.fill(shapes, body)  # fmt: skip
        if self.style != "warli":  # a painted saddle-cloth and a bell, as cows wear for festivals
            self.p.fill(
                [("ellipse", (x - size * 0.25, base - leg - size * 0.42, x + size * 0.25, base - leg - size * 0.05))],
                self.fills[1],
            )
            self.p.fill(
                [("ellipse", (hx - size * 0.06, hy + size * 0.2, hx + size * 0.06, hy + size * 0.32))], (232, 176, 50)
            )

    def elephant(self, x: float, base: float, size: float, facing: int) -> None:
        body: Colour = (
            self.ink if self.style == "warli" else (150, 150, 160) if self.style == "madhubani" else (238, 232, 218)
        )
        self.p.fill(animal_shapes("elephant", x, base, size, facing), body)
        hx, hy = elephant_head(x, base, size, facing)
        ear = (
            hx - facing * size * 0.05 - size * 0.15,
            hy - size * 0.2,
            hx - facing * size * 0.05 + size * 0.15,
            hy + size * 0.15,
        )
        self.p.fill([("ellipse", ear)], self.fills[0] if self.style != "warli" else lerp(self.ink, (150, 64, 40), 0.3))

    def serpent(self, y: float) -> None:
        """A many-hooded serpent rising from the water in coils."""
        colour: Colour = (
            self.ink if self.style == "warli" else (30, 40, 90) if self.style == "pichwai" else (36, 124, 74)
        )
        x0 = self.w * self.rng.uniform(0.15, 0.3)
        coil = [(x0 + t * self.w * 0.5, y + math.sin(t * 9) * self.u * 0.04) for t in np.linspace(0, 1, 60)]
        self.p.fill([("line", coil, self.u * 0.03)], colour)
        hx, hy = coil[-1]
        hoods: list[Shape] = []
        for k in range(5):
            a = math.radians(-150 + 30 * k)
            cx, cy = hx + math.cos(a) * self.u * 0.08, hy - self.u * 0.05 + math.sin(a) * self.u * 0.08
            hoods.append(("ellipse", (cx - self.u * 0.03, cy - self.u * 0.04, cx + self.u * 0.03, cy + self.u * 0.04)))
        self.p.fill([("line", [(hx, hy), (hx, hy - self.u * 0.06)], self.u * 0.035), *hoods], colour)

    # --- figures ----------------------------------------------------------------------------
    def figure(self, kind: str, x: float, feet: float, height: float, facing: int) -> None:
        """A figure in the Warli grammar: round head, two triangles meeting at the waist, line limbs.

        Madhubani and Pichwai fill the triangles with colour; a deity carries a halo and its symbol.
        """
        p, s = self.p, height
        deity = kind == "deity"
        has_veena = "veena" in self.spec.elements
        colour = self.ink if self.style == "warli" else (self.skin if deity else self.fill_colour())
        waist = feet - s * 0.5
        shoulders = feet - s * 0.8
        head_r = s * 0.085
        head = (x, shoulders - head_r * 1.25)
        if deity or kind == self.halo_for:
            self.halo_for = ""  # one figure has it
            halo = head_r * 2.6
            if self.style == "pichwai":
                p.glow(head, halo * 2.2, (255, 220, 140), 0.55)
            ring_colour: Colour = (240, 168, 30) if self.style != "warli" else self.ink
            p.fill([("ellipse", (head[0] - halo, head[1] - halo, head[0] + halo, head[1] + halo))], ring_colour, 0.35)
            p.fill(
                [("ring", (head[0] - halo, head[1] - halo, head[0] + halo, head[1] + halo), self.stroke * 1.2)],
                ring_colour,
            )
        wide = {"woman": 0.2, "king": 0.17, "deity": 0.17, "demon": 0.22}.get(kind, 0.14)
        lower = {"woman": 0.22, "sage": 0.2}.get(kind, 0.13)
        torso: list[Shape] = [
            ("poly", [(x - wide * s, shoulders), (x + wide * s, shoulders), (x, waist)]),
            ("poly", [(x, waist), (x + lower * s, feet - s * 0.26), (x - lower * s, feet - s * 0.26)]),
            ("ellipse", (head[0] - head_r, head[1] - head_r, head[0] + head_r, head[1] + head_r)),
        ]
        limb = max(self.stroke, s * 0.028)
        legs: list[Shape] = [
            ("line", [(x - lower * s * 0.6, feet - s * 0.26), (x - lower * s * 0.7, feet)], limb),
            ("line", [(x + lower * s * 0.6, feet - s * 0.26), (x + lower * s * 0.7, feet)], limb),
        ]
        sy = shoulders + s * 0.02
        # Arms: the hand toward the scene holds the symbol (or is raised); the other rests on the hip.
        hand = (
            (x + facing * s * 0.3, shoulders - s * 0.08)
            if deity or kind in ("king", "demon")
            else (x + facing * s * 0.1, shoulders + s * 0.1)
        )
        arms: list[Shape] = [
            ("line", [(x + facing * wide * s * 0.85, sy), (x + facing * s * 0.28, shoulders + s * 0.08), hand], limb),
            ("line", [(x - facing * wide * s * 0.85, sy), (x - facing * s * 0.26, waist - s * 0.06), (x - facing * s * 0.05, waist)], limb),
        ]  # fmt: skip
        p.fill([*legs, *arms], colour if self.style == "warli" else self.ink)
        p.fill(torso, colour)
        if self.style != "warli":
            p.fill(
                [("ellipse", (head[0] - head_r, head[1] - head_r, head[0] + head_r, head[1] + head_r))],
                self.skin if deity else (200, 140, 100),
            )
        self.headdress(kind, head, head_r)
        if deity:
            self.symbol(self.spec.symbol or "lotus", hand, s)
            if self.spec.symbol == "flute":  # Krishna's peacock feather in the crown
                fx, fy = head[0] + head_r * 0.5, head[1] - head_r * 2.3
                p.fill(
                    [("ellipse", (fx - head_r * 0.45, fy - head_r * 0.8, fx + head_r * 0.45, fy + head_r * 0.8))],
                    (36, 124, 74),
                )
                p.fill(
                    [("ellipse", (fx - head_r * 0.2, fy - head_r * 0.35, fx + head_r * 0.2, fy + head_r * 0.35))],
                    (36, 84, 164),
                )
        elif kind == "sage" and has_veena:  # Narada's veena: a long neck between two gourds
            vx = x - facing * s * 0.22
            p.fill([("line", [(vx, feet - s * 0.2), (vx, shoulders - s * 0.25)], limb),
                    ("ellipse", (vx - s * 0.07, feet - s * 0.3, vx + s * 0.07, feet - s * 0.16)),
                    ("ellipse", (vx - s * 0.045, shoulders - s * 0.3, vx + s * 0.045, shoulders - s * 0.2))],
                   (240, 190, 60) if self.style != "warli" else self.ink)  # fmt: skip
        elif kind == "sage":
            p.fill(
                [("line", [(x - facing * s * 0.22, feet), (x - facing * s * 0.22, shoulders - s * 0.2)], limb)],
                self.ink,
            )

    def headdress(self, kind: str, head: Point, r: float) -> None:
        x, y = head
        gold: Colour = (240, 168, 30) if self.style != "warli" else self.ink
        if kind in ("king", "deity"):
            crown = [(x - r, y - r * 0.6), (x - r * 0.7, y - r * 1.8), (x - r * 0.3, y - r * 1.1), (x, y - r * 2.1),
                     (x + r * 0.3, y - r * 1.1), (x + r * 0.7, y - r * 1.8), (x + r, y - r * 0.6)]  # fmt: skip
            self.p.fill([("poly", crown)], gold)
        elif kind == "sage":
            self.p.fill([("ellipse", (x - r * 0.5, y - r * 1.7, x + r * 0.5, y - r * 0.8))], self.ink)
        elif kind == "demon":
            self.p.fill([("poly", [(x - r * 0.6, y - r * 0.7), (x - r * 1.3, y - r * 1.9), (x - r * 0.2, y - r * 0.9)]),
                         ("poly", [(x + r * 0.6, y - r * 0.7), (x + r * 1.3, y - r * 1.9), (x + r * 0.2, y - r * 0.9)])], self.ink)  # fmt: skip
        elif kind == "woman":
            self.p.fill([("poly", [(x - r * 1.1, y + r * 1.4), (x - r * 0.9, y - r * 0.9), (x, y - r * 1.3), (x + r * 0.9, y - r * 0.9), (x + r * 1.1, y + r * 1.4)])],
                        self.fills[0] if self.style != "warli" else self.ink, 0.9)  # fmt: skip
            self.p.fill(
                [("ellipse", (x - r * 0.8, y - r * 0.8, x + r * 0.8, y + r * 0.8))],
                (200, 140, 100) if self.style != "warli" else self.ink,
            )

    def symbol(self, name: str, hand: Point, s: float) -> None:
        """The deity's symbol held up in the hand: trishul, flute, mace, conch or lotus."""
        x, y = hand
        gold: Colour = (240, 190, 60) if self.style != "warli" else self.ink
        w = max(self.stroke, s * 0.02)
        if name == "trishul":
            top = y - s * 0.35
            prongs: list[Shape] = [("line", [(x, y + s * 0.35), (x, top)], w),
                                   ("line", [(x - s * 0.09, top + s * 0.02), (x - s * 0.09, top + s * 0.08), (x + s * 0.09, top + s * 0.08), (x + s * 0.09, top + s * 0.02)], w),
                                   ("poly", [(x - w, top), (x, top - s * 0.1), (x + w, top)])]  # fmt: skip
            self.p.fill(prongs, gold)
        elif name == "flute":
            self.p.fill([("line", [(x - s * 0.2, y + s * 0.04), (x + s * 0.22, y - s * 0.06)], w * 1.3)], gold)
        elif name == "mace":
            self.p.fill([("line", [(x, y + s * 0.25), (x, y - s * 0.18)], w * 1.2),
                         ("ellipse", (x - s * 0.08, y - s * 0.34, x + s * 0.08, y - s * 0.16))], gold)  # fmt: skip
        elif name == "conch":
            shell = [
                (x - s * 0.05, y),
                (x + s * 0.08, y - s * 0.04),
                (x + s * 0.03, y - s * 0.18),
                (x - s * 0.06, y - s * 0.1),
            ]
            self.p.fill([("poly", shell)], (246, 240, 228) if self.style != "warli" else self.ink)
            self.p.fill([("line", [(x - s * 0.02, y - s * 0.03), (x + s * 0.02, y - s * 0.12)], w * 0.6)], gold)
        else:
            self.lotus(x, y - s * 0.02, s * 0.07)

    # --- the whole picture ------------------------------------------------------------------
    def paint(self) -> Image.Image:
        spec, rng, has = self.spec, self.rng, self.spec.elements.__contains__
        self.paint_ground()
        self.paint_light()
        if has("star"):
            self.paint_pole_star()
        if has("mountains"):
            self.paint_mountains()
        if has("descent"):
            self.paint_descent()
        if has("temple") or has("palace"):
            side = rng.uniform(0.72, 0.86) if rng.random() < 0.5 else rng.uniform(0.14, 0.28)
            self.temple(self.w * side, self.horizon + self.h * 0.02, self.h * rng.uniform(0.3, 0.4))
        if has("forest") or self.style == "warli" or rng.random() < 0.5:
            for side in (0.06, 0.94):
                self.tree(self.w * side, self.horizon + self.h * 0.05, self.h * rng.uniform(0.28, 0.4))
        if has("water") or self.style == "pichwai":
            self.paint_water()
            if has("serpent"):
                self.serpent((self.horizon + self.h * 0.8) / 2)
        if has("lotus") or self.style == "pichwai":
            self.paint_lotuses(many=self.style == "pichwai")
        if has("hut"):
            self.hut(self.w * rng.uniform(0.3, 0.7), self.horizon + self.h * 0.04, self.h * rng.uniform(0.14, 0.18))
        if has("birds"):
            self.birds()
        animals = [kind for kind in ("cow", "elephant", "horse", "deer") if has(kind)]
        if self.style == "pichwai" and "cow" not in animals:
            animals.insert(0, "cow")  # Pichwai's cows of Vrindavan
        for k, kind in enumerate(animals[:2]):
            ax = self.w * (0.82 if k == 0 else 0.18)
            size = self.u * {"elephant": 0.22, "horse": 0.17}.get(kind, 0.13)
            facing = -1 if ax > self.w / 2 else 1
            if kind in ("horse", "deer"):
                body: Colour = self.ink if self.style == "warli" else self.fill_colour()
                self.p.fill(animal_shapes(kind, ax, self.ground_line, size, facing), body)
            else:
                (self.elephant if kind == "elephant" else self.cow)(ax, self.ground_line, size, facing)
        self.halo_for = spec.figures[0] if has("halo") and spec.figures and "deity" not in spec.figures else ""
        slots = _slots(len(spec.figures) + (1 if has("fire") else 0), rng)
        if has("fire"):
            self.fire(self.w * slots.pop(len(slots) // 2), self.ground_line, self.h * 0.22)
        for kind, slot in zip(spec.figures, slots, strict=True):
            height = self.h * {"child": 0.26, "deity": 0.5}.get(kind, 0.4) * rng.uniform(0.94, 1.06)
            self.figure(kind, self.w * slot, self.ground_line, height, 1 if slot < 0.5 else -1)
        return self.finish()

    def finish(self) -> Image.Image:
        """Bold outlines (Madhubani black, Pichwai gold) where flat colours meet, and a soft grain."""
        p = self.p
        width = int(self.palette["outline"])  # type: ignore[call-overload]
        if width:
            edges = p.image.convert("L").filter(ImageFilter.FIND_EDGES)
            edges = edges.point(lambda v: 0 if v < 40 else 255)
            if self.style == "madhubani" and self.u >= 240:
                edges = edges.filter(ImageFilter.MaxFilter(3))
            p.image.paste(self.ink, (0, 0, self.w, self.h), edges.filter(ImageFilter.SMOOTH))
        p.image = ImageChops.soft_light(p.image, p.grain(10).convert("RGB"))
        return p.image


def _slots(count: int, rng: np.random.Generator) -> list[float]:
    if count <= 0:
        return []
    if count == 1:
        return [rng.uniform(0.42, 0.58)]
    left, right = 0.3, 0.7
    return [left + (right - left) * i / (count - 1) + rng.uniform(-0.02, 0.02) for i in range(count)]
