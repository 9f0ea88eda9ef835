"""The people in a scene: per kind, proportions, colours and the shapes of a figure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from renders.pipeline.illustrator.canvas import Point, Shape

# Per figure kind: height (× image height), skin, garment, accent (crowns, ornaments), hair.
FIGURES: dict[str, dict[str, Any]] = {
    "deity": {"height": 0.5, "skin": (70, 110, 190), "robe": (236, 180, 40), "accent": (250, 210, 90), "hair": (20, 20, 40)},
    "king": {"height": 0.44, "skin": (190, 130, 90), "robe": (150, 30, 40), "accent": (230, 180, 60), "hair": (30, 20, 20)},
    "demon": {"height": 0.52, "skin": (60, 90, 70), "robe": (70, 30, 60), "accent": (200, 160, 60), "hair": (20, 10, 10)},
    "sage": {"height": 0.42, "skin": (180, 120, 85), "robe": (230, 120, 30), "accent": (240, 240, 230), "hair": (225, 225, 220)},
    "woman": {"height": 0.4, "skin": (196, 136, 100), "robe": (200, 40, 90), "accent": (236, 190, 70), "hair": (25, 15, 15)},
    "child": {"height": 0.28, "skin": (200, 140, 100), "robe": (250, 220, 110), "accent": (240, 120, 40), "hair": (25, 15, 15)},
}  # fmt: skip


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


def animal_shapes(kind: str, x: float, base: float, size: float, facing: int) -> list[Shape]:
    """A cow or an elephant standing at (x, base), `size` long, facing +1 (right) or -1, as one silhouette."""
    if kind == "elephant":
        leg = size * 0.35
        shapes: list[Shape] = [
            ("poly", [(x + dx * size - size * 0.08, base), (x + dx * size + size * 0.08, base),
                      (x + dx * size + size * 0.08, base - leg - size * 0.1), (x + dx * size - size * 0.08, base - leg - size * 0.1)])
            for dx in (-0.4, -0.15, 0.2, 0.42)
        ]  # fmt: skip
        shapes.append(("ellipse", (x - size * 0.6, base - leg - size * 0.55, x + size * 0.6, base - leg + size * 0.1)))
        hx, hy = x + facing * size * 0.6, base - leg - size * 0.35
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
