"""Shadow puppets (tholu bommalata): translucent leather figures on a lamp-lit screen.

In Andhra's tholu bommalata the puppets are cut from thin hide, dyed in deep translucent
colours, pierced with rows of little holes and jointed at the shoulders, elbows and waist; an
oil lamp behind a cloth screen shines through them. So the picture is painted in two layers:
the leather (every motif on white, in the colours the hide is dyed) and the lit screen (warm,
brightest where the lamp is). The leather *filters* the lamp's light: the two are multiplied,
and the punched holes and a figure's eye let the light through undimmed. The scene's motifs
(sun or moon, hills, river, trees, temple, fire, cows, elephant, serpent) are FolkPainter's,
cut from the same leather. Figures are the silhouettes of `figures`, each cut into pieces
(head, upper body, lower body) of different dyes, with dark rivets at the joints and the
thin sticks the puppeteer moves them by.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from renders.pipeline.illustrator.canvas import Colour, Shape, lerp
from renders.pipeline.illustrator.figures import figure_layers, head_of
from renders.pipeline.illustrator.folk import FolkPainter

PUPPET_STYLES = ("shadow-puppet",)
# The hide's dyes per figure kind: (upper body and head, lower body). A deity by its symbol.
DYES: dict[str, tuple[Colour, Colour]] = {
    "deity": ((60, 120, 190), (236, 170, 40)), "king": ((200, 50, 36), (236, 170, 40)),
    "demon": ((50, 110, 60), (140, 40, 40)), "sage": ((230, 140, 40), (200, 90, 30)),
    "woman": ((190, 50, 90), (236, 170, 40)), "child": ((236, 150, 50), (200, 60, 40)),
    "man": ((80, 150, 80), (230, 140, 40)),
}  # fmt: skip
DEITY_DYES: dict[str, tuple[Colour, Colour]] = {
    "lotus": ((210, 70, 110), (236, 170, 40)),
    "mace": ((220, 110, 40), (200, 50, 36)),
}
LEATHER_INK: Colour = (52, 26, 12)  # the dark cut edges, rivets and sticks
SCREEN_CENTRE: Colour = (255, 222, 146)
SCREEN_EDGE: Colour = (84, 28, 8)


class PuppetPainter(FolkPainter):
    """Paints a SceneSpec as leather puppets on a lit screen (see the module's docstring)."""

    def paint_ground(self) -> None:
        # The leather layer starts empty: white lets all the lamp's light through.
        self.p.image = Image.new("RGB", (self.w, self.h), (255, 255, 255))

    def paint_light(self) -> None:
        """By day FolkPainter's sun; at night a pale leather moon, its crescent cut out (no ink stars)."""
        if self.spec.time_of_day != "night":
            super().paint_light()
            return
        x, y, r = self.w * self.rng.uniform(0.15, 0.3), self.horizon * self.rng.uniform(0.2, 0.3), self.u * 0.07
        self.p.fill([("ellipse", (x - r, y - r, x + r, y + r))], (214, 206, 170))
        self.p.fill([("ellipse", (x - r * 0.55, y - r * 1.05, x + r * 1.3, y + r * 0.85))], (255, 255, 255))

    def paint_descent(self) -> None:
        """A river of light from the heavens: a pale, barely dyed band with a few wavy cut lines."""
        x, width = self.w * self.rng.uniform(0.35, 0.65), self.u * 0.16
        left: list[tuple[float, float]] = []
        right: list[tuple[float, float]] = []
        for i in range(25):
            t = i / 24
            sway, spread = np.sin(t * 5) * width * 0.3, width * (0.4 + 0.6 * t)
            left.append((x + sway - spread / 2, t * self.horizon))
            right.append((x + sway + spread / 2, t * self.horizon))
        self.p.fill([("poly", [*left, *reversed(right)])], (196, 226, 240))
        lines: list[Shape] = [
            ("line", [(lx + (rx - lx) * f, ly) for (lx, ly), (rx, _) in zip(left, right, strict=True)], self.stroke)
            for f in (0.3, 0.7)
        ]
        self.p.fill(lines, (120, 170, 200))

    def paint_water(self) -> None:
        top = self.horizon + (self.h - self.horizon) * 0.3
        bottom = self.h * 0.8
        self.p.fill([("poly", [(0, top), (self.w, top), (self.w, bottom), (0, bottom)])], (120, 190, 210))
        waves: list[Shape] = []
        for row in range(4):
            y0 = top + (bottom - top) * (row + 0.5) / 4
            pts = [(x, y0 + np.sin(x / (self.u * 0.04) + row) * self.u * 0.01) for x in np.linspace(0, self.w, 60)]
            waves.append(("line", pts, self.stroke))
        self.p.fill(waves, (60, 120, 150))
        self.water_band = (top, bottom)

    def figure(self, kind: str, x: float, feet: float, height: float, facing: int) -> None:
        """A jointed puppet: the silhouette cut into dyed pieces, rivets at the joints, an eye, sticks."""
        p = self.p
        symbol, body, gold = figure_layers(kind, self.spec, x, feet, height, facing)
        upper, lower = DEITY_DYES.get(symbol, DYES[kind])
        waist = feet - height * (0.3 if kind == "child" else 0.52)
        head_x, head_y = head_of(kind, x, feet, height)
        neck = head_y + height * 0.07
        if kind == "deity" or kind == self.halo_for:  # the halo: a pierced disc of its own, behind the figure
            self.halo_for = ""
            r = height * 0.17
            p.fill([("ellipse", (head_x - r, head_y - r, head_x + r, head_y + r))], (250, 200, 90))
        made = p.mask(body)
        if made is None:
            return
        mask, (x0, y0) = made
        # Each piece is its own dye: head and crown, upper body and arms, lower body.
        for top, bottom, colour in ((0, neck, upper), (neck, waist, upper), (waist, self.h, lower)):
            band = Image.new("L", mask.size, 0)
            ImageDraw.Draw(band).rectangle((0, int(top) - y0, mask.width, int(bottom) - y0), fill=255)
            dyed = ImageChops.multiply(mask, band)
            tone = lerp(colour, (255, 255, 255), 0.15) if top == 0 else colour
            p.image.paste(tone, (x0, y0, x0 + mask.width, y0 + mask.height), dyed)
        if gold:
            p.fill(gold, (240, 190, 60))
        # The rivets that join the pieces.
        rivet = max(1.0, height * 0.014)
        joints = [(x, waist), (head_x, neck), (x + facing * height * 0.11, feet - height * 0.77),
                  (x - facing * height * 0.11, feet - height * 0.77)]  # fmt: skip
        p.fill([("ellipse", (jx - rivet, jy - rivet, jx + rivet, jy + rivet)) for jx, jy in joints], LEATHER_INK)
        # The eye, cut through the hide: the face is never blank.
        ex, ey = head_x + facing * height * 0.03, head_y - height * 0.008
        eye = height * 0.012
        p.fill([("ellipse", (ex - eye * 1.6, ey - eye, ex + eye * 1.6, ey + eye))], (255, 255, 255))
        # The puppeteer's sticks: one up the spine, one to the front hand, down past the screen's edge.
        stick = max(1.0, height * 0.008)
        p.fill([("line", [(x, waist), (x - facing * height * 0.05, self.h + 2)], stick),
                ("line", [(x + facing * height * 0.25, feet - height * 0.72), (x + facing * height * 0.45, self.h + 2)],
                 stick)], LEATHER_INK, 0.8)  # fmt: skip

    def finish(self) -> Image.Image:
        """Punch the holes, outline the cut edges, and light the leather with the lamp behind the screen."""
        p = self.p
        leather = p.image
        # Translucent: even the deepest dye lets some light through.
        leather = Image.blend(leather, Image.new("RGB", leather.size, (255, 255, 255)), 0.12)
        covered = leather.convert("L").point(lambda v: 255 if v < 236 else 0)
        inside = covered.filter(ImageFilter.MinFilter(_odd(self.u / 90)))
        holes = ImageChops.multiply(inside, _hole_pattern(leather.size, self.u))
        leather.paste((255, 255, 255), (0, 0, self.w, self.h), holes)
        edges = covered.filter(ImageFilter.FIND_EDGES).filter(ImageFilter.MaxFilter(_odd(self.u / 300)))
        leather.paste(LEATHER_INK, (0, 0, self.w, self.h), edges)
        screen = _lit_screen(self.w, self.h, self.rng)
        if self.spec.time_of_day == "night":  # a night scene: the lamp turned low, the screen dimmer and cooler
            screen = ImageChops.multiply(screen, Image.new("RGB", screen.size, (190, 180, 200)))
        lit = ImageChops.multiply(screen, leather)
        p.image = ImageChops.soft_light(lit, p.grain(8).convert("RGB"))
        return p.image


def _odd(value: float) -> int:
    size = max(3, int(value))
    return size if size % 2 else size + 1


def _hole_pattern(size: tuple[int, int], unit: int) -> Image.Image:
    """Rows of small round holes, every other row shifted: the punched decoration of the hide."""
    width, height = size
    step = max(4, unit // 28)
    radius = max(1.0, step / 5)
    tile = Image.new("L", (step * 2, step * 2), 0)
    draw = ImageDraw.Draw(tile)
    for cx, cy in ((step / 2, step / 2), (step * 1.5, step * 1.5)):
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
    pattern = Image.new("L", size, 0)
    for y in range(0, height, tile.height):
        for x in range(0, width, tile.width):
            pattern.paste(tile, (x, y))
    return pattern


def _lit_screen(width: int, height: int, rng: np.random.Generator) -> Image.Image:
    """The cloth screen lit from behind: warm and bright near the lamp, deep amber at the edges."""
    w, h = max(8, width // 8), max(8, height // 8)
    lamp_x, lamp_y = rng.uniform(0.4, 0.6), 0.42
    xs, ys = np.meshgrid(np.linspace(0, 1, w) - lamp_x, (np.linspace(0, 1, h) - lamp_y) * h / w)
    light = np.clip(1 - np.sqrt(xs**2 + ys**2) / 0.8, 0, 1) ** 1.2
    centre, edge = np.array(SCREEN_CENTRE, dtype=float), np.array(SCREEN_EDGE, dtype=float)
    colours = edge[None, None, :] + (centre - edge)[None, None, :] * light[:, :, None]
    screen = Image.fromarray(colours.clip(0, 255).astype(np.uint8), "RGB").resize(
        (width, height), Image.Resampling.BICUBIC
    )
    # The cloth's weave: faint lines across and down.
    weave = Image.new("L", (width, height), 128)
    draw = ImageDraw.Draw(weave)
    spacing = max(3, min(width, height) // 160)
    for y in range(0, height, spacing):
        draw.line([(0, y), (width, y)], fill=116)
    for x in range(0, width, spacing * 2):
        draw.line([(x, 0), (x, height)], fill=122)
    return ImageChops.soft_light(screen, weave.convert("RGB"))
