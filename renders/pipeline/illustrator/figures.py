"""The people in a scene, as silhouettes: proportions and the outline of each kind of figure.

The realistic styles paint figures the way devotional art lit from behind does: a dark outline
against a glowing sky, the head in profile (brow, nose, chin, so it never reads as a blank
face), rim-lit on the side facing the light. A figure is known by its outline (a sage's topknot,
beard and staff; a king's crown; a woman's sari drawn over her head; a child's tuft; a demon's
horns and mace) and a deity by its halo, a crown drawn in gold and the symbol in its hand:
trishul, flute, mace, conch (with the discus) or lotus, in gold over the silhouette.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from renders.pipeline.illustrator.canvas import Point, Shape
from renders.pipeline.illustrator.keywords import SceneSpec

# Per figure kind: height (× image height) and the silhouette's tint (mixed into the sky's dark).
FIGURES: dict[str, dict[str, Any]] = {
    "deity": {"height": 0.5, "tint": (40, 60, 150)},
    "king": {"height": 0.44, "tint": (70, 24, 30)},
    "demon": {"height": 0.52, "tint": (60, 30, 20)},
    "sage": {"height": 0.42, "tint": (80, 40, 10)},
    "woman": {"height": 0.4, "tint": (70, 20, 50)},
    "child": {"height": 0.28, "tint": (60, 40, 20)},
    "man": {"height": 0.42, "tint": (40, 50, 60)},
}
# A deity's silhouette by its symbol: Shiva, Krishna and Vishnu blue, a goddess rose, Hanuman ochre.
DEITY_TINTS: dict[str, tuple[int, int, int]] = {
    "trishul": (40, 70, 140), "flute": (30, 50, 150), "conch": (36, 56, 150),
    "lotus": (120, 30, 70), "mace": (130, 60, 20),
}  # fmt: skip

Part = tuple[str, Shape]  # (role, shape): "body" is the silhouette, "gold" its gilded details


def figure_parts(kind: str, x: float, feet: float, height: float, facing: int, symbol: str = "") -> list[Part]:
    """A figure as (role, shape) pairs in canvas pixels, feet at (x, feet), facing +1 (right) or -1.

    Shapes are written in a unit figure (feet at 0, the top of the head near -1, facing = +x) and
    scaled. Roles: "body" (the silhouette, one colour) and "gold" (crown outline, symbol, ornament).
    """

    def at(points: Iterable[Point]) -> list[Point]:
        return [(x + px * height * facing, feet + py * height) for px, py in points]

    def poly(role: str, points: Iterable[Point]) -> Part:
        return role, ("poly", at(points))

    def ellipse(role: str, cx: float, cy: float, rx: float, ry: float) -> Part:
        (ax, ay), (bx, by) = at([(cx - rx, cy - ry), (cx + rx, cy + ry)])
        return role, ("ellipse", (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))

    def line(role: str, points: Iterable[Point], width: float) -> Part:
        return role, ("line", at(points), width * height)

    def ring(role: str, cx: float, cy: float, r: float, width: float) -> Part:
        (ax, ay), (bx, by) = at([(cx - r, cy - r), (cx + r, cy + r)])
        return role, ("ring", (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)), max(1.0, width * height))

    def head(cx: float, cy: float, r: float) -> list[Part]:
        """A head in profile: skull, brow, nose, lips and chin, and the neck below."""
        return [
            ellipse("body", cx - r * 0.08, cy, r * 0.92, r),
            poly("body", [(cx + r * 0.6, cy - r * 0.55), (cx + r * 0.95, cy - r * 0.2), (cx + r * 1.22, cy + r * 0.28),
                          (cx + r * 0.95, cy + r * 0.38), (cx + r * 1.02, cy + r * 0.55), (cx + r * 0.92, cy + r * 0.68),
                          (cx + r * 0.88, cy + r * 0.86), (cx + r * 0.5, cy + r * 1.05), (cx, cy + r * 0.6)]),
            poly("body", [(cx - r * 0.45, cy + r * 0.6), (cx + r * 0.4, cy + r * 0.7), (cx + r * 0.45, cy + r * 1.75),
                          (cx - r * 0.55, cy + r * 1.75)]),
        ]  # fmt: skip

    def robed(shoulder: float, hem: float, top: float) -> list[Part]:
        """Shoulders, a torso narrowing to the waist and a draped garment falling to the ankles."""
        waist = top + (0 - top) * 0.32
        body = [(-shoulder, top), (shoulder, top), (shoulder * 0.78, waist), (shoulder * 0.9, waist + 0.06),
                (hem, -0.03), (-hem, -0.03), (-shoulder * 0.9, waist + 0.06), (-shoulder * 0.78, waist)]  # fmt: skip
        return [
            poly("body", body),
            ellipse("body", -shoulder * 0.7, top + 0.025, shoulder * 0.4, 0.035),
            ellipse("body", shoulder * 0.7, top + 0.025, shoulder * 0.4, 0.035),
            poly("body", [(0.0, -0.04), (hem * 0.9 + 0.04, -0.035), (hem * 0.9 + 0.09, 0.0), (0.0, 0.0)]),  # feet
            poly("body", [(-hem * 0.9, -0.035), (-0.02, -0.035), (0.02, 0.0), (-hem * 0.9, 0.0)]),
        ]

    def namaste(shoulder: float, top: float, hy: float) -> list[Part]:
        """Hands joined in prayer before the face, both forearms rising from the elbows."""
        return [
            line("body", [(shoulder * 0.8, top + 0.02), (shoulder + 0.06, top + 0.14), (0.12, hy + 0.04)], 0.04),
            line("body", [(-shoulder * 0.5, top + 0.03), (0.02, top + 0.16), (0.1, hy + 0.05)], 0.036),
            poly("body", [(0.085, hy + 0.06), (0.145, hy + 0.06), (0.125, hy - 0.07)]),
        ]

    def blessing(shoulder: float, top: float) -> list[Part]:
        """The front hand raised, palm out (abhaya): the gesture of blessing and protection."""
        return [
            line(
                "body", [(shoulder * 0.8, top + 0.02), (shoulder + 0.1, top + 0.1), (shoulder + 0.13, top - 0.08)], 0.04
            ),
            ellipse("body", shoulder + 0.135, top - 0.11, 0.026, 0.045),
        ]

    def crown(cy: float, r: float, tall: float) -> list[Part]:
        """A tiered crown (mukuta), its outline and jewel in gold."""
        outline = [(-r * 0.95, cy - r * 0.55), (-r * 1.0, cy - r * 0.55 - tall * 0.55), (-r * 0.55, cy - r * 0.55 - tall * 0.4),
                   (-r * 0.3, cy - r * 0.55 - tall * 0.85), (0.0, cy - r * 0.55 - tall), (r * 0.3, cy - r * 0.55 - tall * 0.85),
                   (r * 0.55, cy - r * 0.55 - tall * 0.4), (r * 1.0, cy - r * 0.55 - tall * 0.55), (r * 0.95, cy - r * 0.55)]  # fmt: skip
        return [
            poly("body", outline),
            line("gold", [*outline, outline[0]], 0.01),
            ellipse("gold", 0.0, cy - r * 0.55 - tall * 0.35, r * 0.14, r * 0.14),
        ]

    parts: list[Part] = []
    r = 0.068
    if kind == "child":
        hy, r = -0.82, 0.095
        parts += head(0.0, hy, r)
        parts += [ellipse("body", -0.04, hy - r * 1.05, 0.035, 0.03)]  # the shikha tuft
        top = -0.66
        parts += [
            poly("body", [(-0.1, top), (0.1, top), (0.08, -0.42), (0.13, -0.24), (-0.13, -0.24), (-0.08, -0.42)]),
            line("body", [(-0.05, -0.26), (-0.06, -0.02)], 0.05), line("body", [(0.05, -0.26), (0.07, -0.02)], 0.05),
            poly("body", [(0.04, -0.035), (0.14, -0.03), (0.16, 0.0), (0.04, 0.0)]),
            poly("body", [(-0.09, -0.035), (0.0, -0.03), (0.03, 0.0), (-0.09, 0.0)]),
        ]  # fmt: skip
        parts += namaste(0.1, top, hy)
        return parts
    if kind == "demon":
        hy = -0.86
        parts += head(0.0, hy, r * 1.1)
        parts += [
            poly("body", [(-0.05, hy - 0.05), (-0.12, hy - 0.13), (-0.14, hy - 0.24), (-0.08, hy - 0.12), (-0.02, hy - 0.07)]),
            poly("body", [(0.05, hy - 0.05), (0.12, hy - 0.13), (0.14, hy - 0.24), (0.08, hy - 0.12), (0.02, hy - 0.07)]),
            poly("body", [(-0.22, -0.76), (0.22, -0.76), (0.16, -0.46), (-0.16, -0.46)]),
            ellipse("body", -0.17, -0.73, 0.09, 0.05), ellipse("body", 0.17, -0.73, 0.09, 0.05),
            poly("body", [(-0.17, -0.5), (0.17, -0.5), (0.2, -0.3), (-0.2, -0.3)]),
            line("body", [(-0.12, -0.32), (-0.2, -0.16), (-0.22, -0.02)], 0.07),
            line("body", [(0.12, -0.32), (0.2, -0.16), (0.24, -0.02)], 0.07),
            poly("body", [(-0.32, -0.04), (-0.16, -0.04), (-0.14, 0.0), (-0.32, 0.0)]),
            poly("body", [(0.18, -0.04), (0.34, -0.04), (0.38, 0.0), (0.18, 0.0)]),
            poly("body", [(-0.2, -0.74), (-0.34, -0.5), (-0.4, -0.2), (-0.3, -0.28), (-0.16, -0.55)]),  # cape
            # The raised mace.
            line("body", [(0.2, -0.74), (0.33, -0.8), (0.36, -0.98)], 0.07),
            line("body", [(0.36, -0.9), (0.32, -1.18)], 0.03), ellipse("body", 0.315, -1.2, 0.07, 0.08),
            line("gold", [(-0.18, -0.5), (0.18, -0.5)], 0.014),
        ]  # fmt: skip
        return parts
    if kind == "sage":
        hy = -0.9
        parts += head(0.0, hy, r)
        parts += [
            ellipse("body", -0.03, hy - r * 1.2, 0.045, 0.05), ellipse("body", -0.01, hy - r * 1.75, 0.03, 0.035),
            poly("body", [(0.0, hy + r * 0.5), (r * 0.95, hy + r * 0.6), (r * 0.7, hy + r * 2.6), (r * 0.2, hy + r * 3.0), (-r * 0.1, hy + r * 1.5)]),
        ]  # fmt: skip
        parts += robed(0.11, 0.17, -0.79)
        parts += [
            poly("body", [(-0.1, -0.78), (-0.19, -0.55), (-0.21, -0.3), (-0.16, -0.32), (-0.13, -0.55)]),
            line("body", [(0.09, -0.77), (0.16, -0.62), (0.25, -0.66)], 0.04),
            *(_veena(line, ellipse) if symbol == "veena" else [line("body", [(0.26, 0.0), (0.26, -1.08)], 0.018)]),
            line("body", [(-0.09, -0.76), (-0.16, -0.6), (-0.17, -0.48)], 0.036),
            ellipse("body", -0.18, -0.42, 0.05, 0.05), line("body", [(-0.18, -0.48), (-0.18, -0.5)], 0.02),  # kamandalu
            line("gold", [(-0.05, -0.77), (0.05, -0.6)], 0.008),  # the sacred thread
        ]  # fmt: skip
        return parts
    if kind == "woman":
        hy = -0.9
        parts += head(0.0, hy, r * 0.92)
        parts += [
            # The sari's end drawn over the head and falling down the back.
            poly("body", [(r * 0.5, hy - r * 0.95), (-r * 0.3, hy - r * 1.12), (-r * 1.15, hy - r * 0.5), (-r * 1.5, hy + r * 1.6),
                          (-0.2, -0.46), (-0.14, -0.46), (-r * 0.6, hy + r * 1.2), (0.0, hy - r * 0.2)]),
        ]  # fmt: skip
        parts += robed(0.1, 0.19, -0.79)
        parts += namaste(0.1, -0.79, hy)
        parts += [line("gold", [(-0.185, -0.06), (0.185, -0.06)], 0.014)]  # the sari's gold border
        return parts
    if kind == "man":
        # A man of the village or the road: a turban, a dhoti, a shawl over one shoulder.
        hy = -0.9
        parts += head(0.0, hy, r)
        parts += [ellipse("body", -0.01, hy - r * 0.75, 0.075, 0.045), ellipse("body", -0.05, hy - r * 0.5, 0.04, 0.04)]
        parts += robed(0.13, 0.15, -0.79)
        parts += [
            poly("body", [(-0.12, -0.78), (-0.2, -0.58), (-0.2, -0.42), (-0.15, -0.44), (-0.13, -0.58)]),
            line("body", [(0.11, -0.77), (0.17, -0.6), (0.2, -0.45)], 0.04),
            line("body", [(-0.1, -0.76), (-0.02, -0.62), (0.06, -0.56)], 0.036),
        ]
        return parts
    if kind == "king":
        hy = -0.9
        parts += head(0.0, hy, r)
        parts += crown(hy, r, 0.14)
        parts += robed(0.15, 0.18, -0.79)
        parts += [
            poly("body", [(-0.14, -0.78), (-0.26, -0.5), (-0.3, -0.12), (-0.2, -0.16), (-0.16, -0.5)]),  # the cape
            line("body", [(0.13, -0.77), (0.2, -0.62), (0.27, -0.6)], 0.045),
            line("body", [(0.28, -0.5), (0.29, -1.0)], 0.02),  # the sceptre
            ellipse("gold", 0.29, -1.02, 0.03, 0.03),
            line("gold", [(-0.1, -0.75), (0.0, -0.68), (0.1, -0.75)], 0.012),  # necklace
        ]  # fmt: skip
        return parts
    # A deity: crown or matted locks, two or four arms, the symbol in gold.
    hy = -0.9
    parts += head(0.0, hy, r)
    goddess = symbol == "lotus"
    if symbol == "trishul":
        # Shiva's matted locks piled high, the crescent moon in them.
        parts += [ellipse("body", -0.01, hy - r * 1.5, 0.05, 0.075), ellipse("body", -0.04, hy - r * 0.9, 0.06, 0.05)]
        parts += [
            poly("gold", [(0.025, hy - r * 2.3), (0.055, hy - r * 1.9), (0.03, hy - r * 1.4), (0.045, hy - r * 1.9)])
        ]
    else:
        parts += crown(hy, r, 0.16)
    if goddess:
        parts += [poly("body", [(r * 0.3, hy - r * 1.0), (-r * 1.1, hy - r * 0.5), (-r * 1.5, hy + r * 1.6), (-0.2, -0.46),
                                (-0.14, -0.46), (-r * 0.6, hy + r * 1.2)])]  # fmt: skip
    parts += robed(0.14, 0.2 if goddess else 0.17, -0.79)
    parts += [line("gold", [(-0.11, -0.75), (0.0, -0.66), (0.11, -0.75)], 0.012)]
    if symbol == "flute":
        # Krishna plays the flute held across, both hands on it; a peacock feather in the crown.
        parts += [
            line("body", [(0.12, -0.77), (0.22, -0.72), (0.3, -0.8)], 0.04),
            line("body", [(-0.1, -0.77), (0.0, -0.7), (0.13, -0.84)], 0.036),
            line("gold", [(0.06, -0.87), (0.42, -0.78)], 0.018),
            ellipse("gold", 0.05, hy - r * 3.4, 0.025, 0.05),
            ring("body", 0.05, hy - r * 3.4, 0.014, 0.01),
        ]
        return parts
    if symbol == "mace":
        # Hanuman: the mace on his shoulder, his tail curling up behind.
        parts += [
            line("body", [(0.12, -0.77), (0.2, -0.62), (0.16, -0.55)], 0.045),
            line("gold", [(0.17, -0.5), (0.06, -1.02)], 0.022),
            ellipse("gold", 0.05, -1.09, 0.075, 0.085),
            line("gold", [(0.05, -1.17), (0.05, -1.21)], 0.02),
            line("body", [(-0.12, -0.45), (-0.3, -0.5), (-0.36, -0.72), (-0.3, -0.9), (-0.23, -0.86)], 0.03),
        ]
        return parts
    upper = [
        line("body", [(0.11, -0.77), (0.2, -0.72), (0.27, -0.94)], 0.036),
        line("body", [(-0.11, -0.77), (-0.2, -0.72), (-0.27, -0.94)], 0.036),
    ]
    if symbol == "trishul":
        parts += [line("body", [(0.12, -0.77), (0.22, -0.66), (0.28, -0.72)], 0.045)]
        parts += _trishul(line, poly, 0.29, 0.02, -1.2)
        return parts
    if symbol == "conch":
        # Vishnu's four arms: the conch and the discus raised, the lower hand blessing.
        parts += upper + blessing(0.14, -0.6)
        parts += [
            poly("gold", [(0.24, -0.97), (0.33, -1.02), (0.3, -1.12), (0.25, -1.1), (0.23, -1.03)]),
            line("gold", [(0.26, -1.0), (0.3, -1.08)], 0.008),
            ring("gold", -0.28, -1.05, 0.065, 0.016),
            *[line("gold", [(-0.28, -1.05), (-0.28 + 0.06 * math.cos(a), -1.05 + 0.06 * math.sin(a))], 0.008)
              for a in (0.0, math.pi / 3, 2 * math.pi / 3, math.pi, 4 * math.pi / 3, 5 * math.pi / 3)],
        ]  # fmt: skip
        return parts
    if goddess:
        # Lakshmi, Ganga, Saraswati: lotuses in the two raised hands, the lower hand blessing,
        # standing on an open lotus.
        parts += upper + blessing(0.14, -0.6)
        for cx in (0.27, -0.27):
            parts += _lotus(poly, cx, -0.99, 0.07)
        parts += _lotus(poly, 0.0, 0.02, 0.2)
        return parts
    parts += blessing(0.14, -0.79)
    return parts


def _trishul(line: Any, poly: Any, x: float, bottom: float, top: float) -> list[Part]:
    """Shiva's trident, upright in the hand: a long shaft, a crossbar, three prongs."""
    bar = top + 0.1
    return [
        line("gold", [(x, bottom), (x, top)], 0.016),
        line("gold", [(x - 0.08, top + 0.02), (x - 0.08, bar), (x + 0.08, bar), (x + 0.08, top + 0.02)], 0.016),
        poly("gold", [(x - 0.095, top + 0.03), (x - 0.08, top - 0.02), (x - 0.065, top + 0.03)]),
        poly("gold", [(x + 0.065, top + 0.03), (x + 0.08, top - 0.02), (x + 0.095, top + 0.03)]),
        poly("gold", [(x - 0.02, top + 0.01), (x, top - 0.06), (x + 0.02, top + 0.01)]),
        line("gold", [(x - 0.03, bar + 0.06), (x + 0.03, bar + 0.06)], 0.012),
    ]


def _veena(line: Any, ellipse: Any) -> list[Part]:
    """Narada's veena held upright: a long gold neck between two round gourds."""
    return [
        line("gold", [(0.2, -0.3), (0.3, -1.05)], 0.02),
        ellipse("gold", 0.19, -0.27, 0.06, 0.06),
        ellipse("gold", 0.295, -1.02, 0.045, 0.045),
        line("gold", [(0.27, -0.85), (0.3, -0.85)], 0.01),
    ]


def _lotus(poly: Any, cx: float, cy: float, size: float) -> list[Part]:
    """An open lotus in gold: five pointed petals fanning up from the base."""
    petals: list[Part] = []
    for angle in (-70, -35, 0, 35, 70):
        a = math.radians(angle)
        tip = (cx + math.sin(a) * size, cy - math.cos(a) * size)
        side = (math.cos(a) * size * 0.25, math.sin(a) * size * 0.25)
        petals.append(poly("gold", [(cx - side[0], cy - side[1]), tip, (cx + side[0], cy + side[1])]))
    return petals


def figure_symbol(kind: str, spec: SceneSpec) -> str:
    """What a figure holds: a deity its symbol, a sage the veena when the prompt names one."""
    if kind == "deity":
        return spec.symbol
    return "veena" if kind == "sage" and "veena" in spec.elements else ""


def figure_layers(
    kind: str, spec: SceneSpec, x: float, feet: float, height: float, facing: int
) -> tuple[str, list[Shape], list[Shape]]:
    """A figure's symbol, its silhouette's shapes and its gilded details' shapes, for a painter."""
    symbol = figure_symbol(kind, spec)
    parts = figure_parts(kind, x, feet, height, facing, symbol)
    return (
        symbol,
        [shape for role, shape in parts if role == "body"],
        [shape for role, shape in parts if role == "gold"],
    )


def head_of(kind: str, x: float, feet: float, height: float) -> Point:
    """Where a figure's head is, in canvas pixels (a deity's halo is centred on it)."""
    return x, feet + {"child": -0.82, "demon": -0.86}.get(kind, -0.9) * height


def elephant_head(x: float, base: float, size: float, facing: int) -> Point:
    """The centre of the head of animal_shapes' elephant (the folk styles hang an ear on it)."""
    return x + facing * size * 0.6, base - size * 0.35 - size * 0.35


def animal_shapes(kind: str, x: float, base: float, size: float, facing: int) -> list[Shape]:
    """A cow, elephant, deer or horse standing at (x, base), `size` long, facing +1 (right) or -1, as one silhouette."""
    if kind in ("deer", "horse"):
        return _deer_or_horse(kind, x, base, size, facing)
    if kind == "elephant":
        leg = size * 0.35
        shapes: list[Shape] = [
            ("poly", [(x + dx * size - size * 0.08, base), (x + dx * size + size * 0.08, base),
                      (x + dx * size + size * 0.08, base - leg - size * 0.1), (x + dx * size - size * 0.08, base - leg - size * 0.1)])
            for dx in (-0.4, -0.15, 0.2, 0.42)
        ]  # fmt: skip
        shapes.append(("ellipse", (x - size * 0.6, base - leg - size * 0.55, x + size * 0.6, base - leg + size * 0.1)))
        hx, hy = elephant_head(x, base, size, facing)
        shapes.append(("ellipse", (hx - size * 0.22, hy - size * 0.25, hx + size * 0.22, hy + size * 0.2)))
        trunk = [
            (hx + facing * size * 0.15, hy),
            (hx + facing * size * 0.3, hy + size * 0.3),
            (hx + facing * size * 0.22, hy + size * 0.55),
        ]
        shapes.append(("line", trunk, size * 0.1))
        return shapes
    leg = size * 0.45
    shapes = [
        ("line", [(x + dx * size, base - leg), (x + dx * size, base)], size * 0.07) for dx in (-0.42, -0.3, 0.3, 0.42)
    ]
    shapes.append(("ellipse", (x - size * 0.55, base - leg - size * 0.45, x + size * 0.55, base - leg + size * 0.05)))
    hx, hy = x + facing * size * 0.55, base - leg - size * 0.35
    shapes.append(
        ("poly", [(hx, hy - size * 0.15), (hx + facing * size * 0.35, hy + size * 0.05), (hx, hy + size * 0.2)])
    )
    shapes.append(("line", [(hx, hy - size * 0.1), (hx + facing * size * 0.05, hy - size * 0.35)], size * 0.05))
    shapes.append(
        (
            "line",
            [(x - facing * size * 0.55, base - leg - size * 0.3), (x - facing * size * 0.7, base - leg + size * 0.1)],
            size * 0.04,
        )
    )
    return shapes  # fmt: skip


def _deer_or_horse(kind: str, x: float, base: float, size: float, facing: int) -> list[Shape]:
    """A slender deer with antlers, or a horse with a long neck, mane and flowing tail."""
    horse = kind == "horse"
    leg = size * (0.55 if horse else 0.5)
    back = base - leg
    shapes: list[Shape] = [
        ("line", [(x + dx * size, back + size * 0.05), (x + dx * size * 1.05, base)], size * (0.06 if horse else 0.04))
        for dx in (-0.4, -0.3, 0.3, 0.4)
    ]
    shapes.append(("ellipse", (x - size * 0.5, back - size * 0.3, x + size * 0.5, back + size * 0.08)))
    nx, ny = x + facing * size * 0.42, back - size * 0.2
    hx, hy = x + facing * size * (0.62 if horse else 0.55), back - size * (0.62 if horse else 0.55)
    shapes.append(("line", [(nx, ny), (hx, hy)], size * (0.16 if horse else 0.09)))
    muzzle = (hx + facing * size * 0.22, hy + size * 0.1)
    shapes.append(
        (
            "poly",
            [
                (hx, hy - size * 0.08),
                muzzle,
                (muzzle[0], muzzle[1] + size * 0.06),
                (hx - facing * size * 0.03, hy + size * 0.08),
            ],
        )
    )
    tail = x - facing * size * 0.5
    if horse:
        shapes.append(
            (
                "line",
                [
                    (tail, back - size * 0.2),
                    (tail - facing * size * 0.15, back + size * 0.1),
                    (tail - facing * size * 0.12, back + size * 0.35),
                ],
                size * 0.06,
            )
        )
        shapes.append(
            (
                "line",
                [(nx - facing * size * 0.02, ny - size * 0.12), (hx - facing * size * 0.06, hy - size * 0.04)],
                size * 0.06,
            )
        )
        shapes.append(
            (
                "poly",
                [
                    (hx, hy - size * 0.06),
                    (hx + facing * size * 0.02, hy - size * 0.18),
                    (hx + facing * size * 0.07, hy - size * 0.07),
                ],
            )
        )
    else:
        shapes.append(
            ("line", [(tail, back - size * 0.22), (tail - facing * size * 0.06, back - size * 0.3)], size * 0.04)
        )
        for side in (-1, 1):  # antlers: a beam and two tines each side
            bx = hx + side * size * 0.05
            top = (bx - facing * size * 0.12 + side * size * 0.05, hy - size * 0.34)
            shapes.append(("line", [(bx, hy - size * 0.06), top], size * 0.025))
            shapes.append(
                (
                    "line",
                    [
                        ((bx + top[0]) / 2, (hy - size * 0.06 + top[1]) / 2),
                        ((bx + top[0]) / 2 + facing * size * 0.08, hy - size * 0.3),
                    ],
                    size * 0.02,
                )
            )
    return shapes  # fmt: skip
