"""The offline illustrator: deterministic, not flat, led by the prompt's words and the style."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image, ImageFilter

from renders.pipeline.illustrator import LocalIllustrator, found_keywords, paint_scene, recognised
from renders.pipeline.illustrator.styles import frame_decoration
from renders.pipeline.images import styled_prompt
from renders.pipeline.plan import STYLES

SMALL = (256, 144)


def _pixels(prompt: str, style: str = "storybook", seed: str = "a", size: tuple[int, int] = SMALL) -> np.ndarray:
    return np.asarray(paint_scene(prompt, style, size, seed)).astype(int)


def _flame_share(pixels: np.ndarray) -> float:
    """Share of bright orange-yellow pixels: the colour of flames."""
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return float(((r > 220) & (g > 80) & (g < 230) & (b < 120)).mean())


def _blue_share_below_horizon(pixels: np.ndarray) -> float:
    lower = pixels[pixels.shape[0] // 2 :]
    return float((lower[..., 2] > lower[..., 0] + 20).mean())


def test_it_paints_the_same_bytes_for_the_same_inputs():
    illustrator = LocalIllustrator()
    first = illustrator.generate("Prahlad prays by the Ganga at dawn", "temple-painting", SMALL, "seed-1")
    second = illustrator.generate("Prahlad prays by the Ganga at dawn", "temple-painting", SMALL, "seed-1")
    assert first.data == second.data
    assert first.cost == 0.0


def test_it_paints_a_jpeg_of_exactly_the_asked_size():
    picture = LocalIllustrator().generate("a temple in the forest", "cinematic", (300, 170), "s")
    with Image.open(io.BytesIO(picture.data)) as image:
        assert image.format == "JPEG"
        assert image.size == (300, 170)
        assert image.mode == "RGB"


def test_it_paints_different_pictures_for_different_prompts_and_seeds():
    base = _pixels("a sage meditating in the Himalaya")
    other_prompt = _pixels("a king in his palace at night")
    other_seed = _pixels("a sage meditating in the Himalaya", seed="b")
    assert np.abs(base - other_prompt).mean() > 20
    assert np.abs(base - other_seed).mean() > 5


def test_it_paints_a_scene_not_a_flat_placeholder():
    pixels = _pixels("Young Prahlad prays with folded hands as Holika sits in the fire", style="temple-painting")
    distinct = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert distinct > 3000
    assert pixels.std() > 25
    # Light and dark both present: a lit scene, not a wash.
    luma = pixels.mean(axis=2)
    assert luma.max() - luma.min() > 150


@pytest.mark.parametrize("style", ["storybook", "cinematic"])
def test_it_paints_what_the_prompt_names(style):
    for seed in ("a", "b"):
        river = _pixels("a wide river flowing by day", style, seed)
        fire = _pixels("a fire burning by day", style, seed)
        assert _flame_share(fire) > 0.02 > 0.005 > _flame_share(river)
        assert _blue_share_below_horizon(river) > 0.4 > 0.15 > _blue_share_below_horizon(fire)


def test_it_reads_night_and_hindi_words():
    night = _pixels("the moon over the hills at night")
    day = _pixels("the sun over the hills at noon")
    assert night.mean() < day.mean() - 40
    assert {"water", "temple", "sage"} <= set(found_keywords("गंगा नदी के तट पर मंदिर में एक ऋषि"))
    assert "fire" in found_keywords("होलिका की आग")


def test_it_ignores_the_art_direction_when_choosing_what_to_paint():
    # "temple-painting" names a style, not a temple in the scene.
    assert found_keywords(styled_prompt("a river at dawn", "temple-painting")) == ["dawn", "water"]


def test_it_gives_each_style_its_own_look():
    looks = {style: _pixels("a temple by the river with lotus flowers", style) for style in STYLES}
    for first in STYLES:
        for second in STYLES:
            if first < second:
                assert np.abs(looks[first] - looks[second]).mean() > 6, (first, second)
    # Warli: white figures and motifs on earth-red, nothing else.
    warli = looks["warli"]
    earth = (warli[..., 0] > warli[..., 2] + 50) & (warli[..., 0] > 110)
    white = warli.min(axis=-1) > 200
    assert earth.mean() > 0.6 and white.mean() > 0.01
    assert (earth | white).mean() > 0.9


@pytest.mark.parametrize(
    ("style", "band"), [("miniature", (140, 24, 30)), ("madhubani", (26, 18, 14)), ("temple-painting", (228, 178, 70))]
)
def test_it_draws_the_frame_decoration_once_at_the_output_size(style, band):
    decoration = frame_decoration(style, (320, 180))
    assert decoration is not None and decoration.size == (320, 180) and decoration.mode == "RGBA"
    pixels = np.asarray(decoration).astype(int)
    assert pixels[90, 160, 3] == 0  # transparent over the picture
    ring = np.concatenate([pixels[:12].reshape(-1, 4), pixels[-12:].reshape(-1, 4)])
    opaque = ring[ring[:, 3] == 255][:, :3]
    assert (np.abs(opaque - np.array(band)).sum(axis=-1) < 30).mean() > 0.1
    assert frame_decoration("cinematic", (320, 180)) is None


@pytest.mark.parametrize("style", ["warli", "madhubani", "pichwai"])
def test_folk_styles_mark_a_deity_by_a_halo_and_the_symbol_it_holds(style):
    from renders.pipeline.illustrator.folk import FolkPainter
    from renders.pipeline.illustrator.keywords import SceneSpec

    calls: list[str] = []

    class Recording(FolkPainter):
        def symbol(self, name, hand, s):
            calls.append(name)
            super().symbol(name, hand, s)

    for symbol in ("trishul", "flute", "mace", "conch", "lotus"):
        spec = SceneSpec("day", frozenset(), ("deity",), symbol)
        image = Recording(spec, style, (320, 180), np.random.default_rng(1)).paint()
        bare = FolkPainter(SceneSpec("day", frozenset(), (), ""), style, (320, 180), np.random.default_rng(1)).paint()
        assert np.abs(np.asarray(image).astype(int) - np.asarray(bare).astype(int)).sum(axis=-1).max() > 100
    assert calls == ["trishul", "flute", "mace", "conch", "lotus"]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a river of light falling from the heavens", {"elements": ["water", "clouds", "descent"]}),
        ("a glowing pole star above the boy Dhruva praying in the forest",
         {"time": "night", "elements": ["forest", "star"], "figures": ["child"]}),
        ("The angry god Indra riding a white elephant among black storm clouds",
         {"elements": ["clouds", "elephant"], "figures": ["deity"]}),
        ("Lord Shiva with a trident and a serpent around his neck, snowy peaks",
         {"elements": ["mountains", "serpent"], "figures": ["deity"], "symbol": "trishul"}),
        ("Young Krishna playing his flute among the cows of Vrindavan", {"symbol": "flute", "elements": ["forest", "cow"]}),
        ("हनुमान गदा लिए पर्वत उठाते हुए", {"symbol": "mace", "elements": ["mountains"]}),
        ("A poor brahmin and his wife walking past villagers to the palace gates, torches at dusk",
         {"time": "dusk", "elements": ["palace", "lamps", "hut"], "figures": ["sage", "woman", "man"]}),
        ("The god Yama before Lord Vishnu holding his discus, lightning over the river Narmada",
         {"elements": ["water", "clouds"], "figures": ["deity"], "symbol": "conch"}),
        ("The sage Narada with a veena by a village hut, birds, a white horse and deer, a halo around the boy",
         {"elements": ["hut", "birds", "deer", "horse", "halo", "veena"], "figures": ["child", "sage"]}),
    ],
)  # fmt: skip
def test_it_reports_what_it_recognised_in_a_prompt(prompt, expected):
    seen = recognised(prompt)
    for key, value in expected.items():
        assert seen[key] == value, (key, seen)


def test_it_paints_a_large_still_quickly():
    started = time.perf_counter()
    picture = LocalIllustrator().generate(
        "Holika in the fire at night, Prahlad unharmed", "watercolor", (2304, 1296), "s"
    )
    elapsed = time.perf_counter() - started
    assert len(picture.data) > 100_000
    # About 0.4 s on one shared core; the bound leaves room for a busy CI machine.
    assert elapsed < 5.0


@pytest.mark.parametrize("size", [(1, 1), (33, 7), (90, 160)])
def test_it_paints_any_size_exactly(size):
    assert paint_scene("a sage by a fire under the stars", "miniature", size, "s").size == size


@pytest.mark.parametrize("style", ["temple-painting", "miniature"])
def test_it_paints_no_border_into_the_still(style):
    # Borders are a static overlay in compose: in the still, Ken Burns would drift and crop them.
    pixels = _pixels("a temple by the river at dawn", style=style, size=(320, 180))
    red, gold = np.array([140, 24, 30]), np.array([228, 178, 70])
    edges = np.concatenate([pixels[:3].reshape(-1, 3), pixels[-3:].reshape(-1, 3),
                            pixels[:, :3].reshape(-1, 3), pixels[:, -3:].reshape(-1, 3)])  # fmt: skip
    for colour in (red, gold):
        assert (np.abs(edges - colour).sum(axis=-1) < 40).mean() < 0.2
    # Edges vary with the scene (sky above, ground below) rather than being one band colour.
    assert np.abs(pixels[1, 160] - pixels[178, 160]).sum() > 30


def test_it_keeps_the_moons_reflection_on_the_water():
    from renders.pipeline.illustrator.keywords import read_scene
    from renders.pipeline.illustrator.scene import ScenePainter

    for seed in range(6):
        rng = np.random.default_rng(seed)
        spec = read_scene("a moonlit river at night", rng)
        painter = ScenePainter(spec, "storybook", (320, 180), rng)
        painter.paint_sky()
        painter.paint_hills()
        painter.paint_ground()
        land = np.asarray(painter.p.image).astype(int)
        painter.paint_water()
        assert painter.water_mask is not None
        mask = np.asarray(painter.water_mask) > 0
        after = np.asarray(painter.p.image).astype(int)
        changed = np.abs(after - land).sum(axis=-1) > 6
        # Every pixel the water pass changed (surface, shimmer, reflected glow) lies in the water
        # or on its anti-aliased rim: nothing brightens the banks.
        rim = np.asarray(painter.water_mask.filter(ImageFilter.MaxFilter(5))) > 0
        assert not (changed & ~rim).any()
        assert (changed & mask).mean() > 0.05


@pytest.mark.parametrize(
    ("prompt", "method"),
    [
        ("a small thatched hut in a village", "paint_huts"),
        ("a flock of birds at dawn", "paint_birds"),
        ("a white horse and a deer", "paint_animals"),
        ("a river of light falling from the heavens", "paint_descent"),
        ("a glowing pole star at night", "paint_pole_star"),
        ("cows and an elephant in a meadow", "paint_animals"),
        ("the serpent Kaliya in the Yamuna river", "paint_serpent"),
    ],
)
def test_it_paints_the_library_things_it_now_recognises(prompt, method):
    from renders.pipeline.illustrator.keywords import read_scene
    from renders.pipeline.illustrator.scene import ScenePainter

    rng = np.random.default_rng(3)
    painter = ScenePainter(read_scene(prompt, rng), "storybook", (320, 180), rng)
    painter.paint_sky()
    painter.paint_ground()
    before = np.asarray(painter.p.image).astype(int)
    getattr(painter, method)(*{"paint_huts": (160, painter.horizon + 12, 30)}.get(method, ()))
    changed = np.abs(np.asarray(painter.p.image).astype(int) - before).sum(axis=-1) > 30
    assert 0.003 < changed.mean() < 0.5  # a distinct thing, not a wash over the picture


def _painter_on_sky(time_of_day: str, symbol: str = "", style: str = "storybook"):
    from renders.pipeline.illustrator.keywords import SceneSpec
    from renders.pipeline.illustrator.scene import ScenePainter

    spec = SceneSpec(time_of_day, frozenset(), ("deity",) if symbol else ("sage",), symbol)
    painter = ScenePainter(spec, style, (320, 180), np.random.default_rng(2))
    painter.paint_sky()
    painter.paint_hills()
    painter.paint_ground()
    return painter


def test_painterly_figures_are_silhouettes_with_a_profile_not_a_blank_face():
    from renders.pipeline.illustrator.figures import figure_parts

    painter = _painter_on_sky("dusk")
    sky = np.asarray(painter.p.image).astype(int)
    painter.paint_figure("sage", 160, 160, 90, 1)
    pixels = np.asarray(painter.p.image).astype(int)
    luma, sky_luma = pixels.mean(axis=-1), sky.mean(axis=-1)
    # The body is a dark outline against the sky that glows behind it.
    assert luma[90:100, 155:165].mean() < 60 < 120 < sky_luma[90:100, 155:165].mean()
    # Every kind's head is in profile: its face (brow, nose, lips, chin) juts out past the skull
    # toward where the figure faces, so no face is a blank oval.
    for kind in ("sage", "king", "woman", "child", "demon", "deity"):
        for facing in (1, -1):
            (_, skull), (_, face) = figure_parts(kind, 0, 0, 1, facing)[:2]
            assert skull[0] == "ellipse" and face[0] == "poly"
            skull_reach = max(facing * skull[1][0], facing * skull[1][2])
            assert max(facing * x for x, _ in face[1]) > skull_reach + 0.01, (kind, facing)


def _gold_share(pixels: np.ndarray) -> float:
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return float(((r > 200) & (g > 150) & (b < 140)).mean())


def test_painterly_deities_are_known_by_a_halo_and_the_symbol_they_hold():
    looks = {}
    for symbol in ("trishul", "flute", "mace", "conch", "lotus"):
        painter = _painter_on_sky("night", symbol)
        painter.paint_figure("deity", 160, 165, 100, 1)
        looks[symbol] = np.asarray(painter.p.image).astype(int)
    sage = _painter_on_sky("night")
    sage.paint_figure("sage", 160, 165, 100, 1)
    plain = np.asarray(sage.p.image).astype(int)
    for symbol, pixels in looks.items():
        # The halo and gold symbol glow in the night; a sage has neither.
        assert _gold_share(pixels[40:170, 100:220]) > 0.01 > 0.001 > _gold_share(plain[40:170, 100:220]), symbol
    for first in looks:
        for second in looks:
            if first < second:  # each symbol draws differently
                assert np.abs(looks[first] - looks[second]).sum(axis=-1).max() > 150, (first, second)


def test_shadow_puppets_are_pierced_translucent_leather_on_a_lamp_lit_screen():
    from renders.pipeline.illustrator.keywords import SceneSpec
    from renders.pipeline.illustrator.puppet import PuppetPainter

    calls: list[str] = []

    class Recording(PuppetPainter):
        def figure(self, kind, x, feet, height, facing):
            calls.append(kind)
            super().figure(kind, x, feet, height, facing)

    empty = PuppetPainter(SceneSpec("day", frozenset(), ()), "shadow-puppet", (320, 180), np.random.default_rng(4))
    screen = np.asarray(empty.paint()).astype(int)
    # A warm screen, brightest near the lamp in the middle, darker amber at the corners.
    assert (screen[..., 0] > screen[..., 2] + 50).mean() > 0.9
    assert screen[70:110, 120:200].mean() > screen[:20, :20].mean() + 60
    painter = Recording(SceneSpec("day", frozenset(), ("king",)), "shadow-puppet", (320, 180), np.random.default_rng(4))
    pixels = np.asarray(painter.paint()).astype(int)
    assert calls == ["king"]
    # Translucent: the king's dyed red leather glows with the lamp's light behind it (not black).
    red = (pixels[..., 0] > 100) & (pixels[..., 0] > pixels[..., 1] + 50) & (pixels[..., 0] > pixels[..., 2] + 70)
    red &= np.abs(pixels - screen).sum(axis=-1) > 60
    assert red.sum() > 150
    # The punched holes let the lamp through undimmed: bright points inside the red leather.
    rows, columns = np.where(red)
    top, bottom, left, right = rows.min(), rows.max(), columns.min(), columns.max()
    inside = pixels[top:bottom, left:right].mean(axis=-1)
    leather = np.median(pixels[red].mean(axis=-1))
    assert (inside > leather + 60).sum() > 5


@pytest.mark.parametrize(
    ("elements", "figures", "haloes"),
    [({"halo"}, ("child", "woman"), 1), (set(), ("child", "woman"), 0), ({"halo"}, ("deity", "child"), 1)],
)
def test_a_halo_in_the_prompt_goes_round_the_first_figure_unless_a_deity_has_one(elements, figures, haloes):
    from renders.pipeline.illustrator.keywords import SceneSpec
    from renders.pipeline.illustrator.scene import ScenePainter

    calls: list[float] = []

    class Recording(ScenePainter):
        def paint_halo(self, head, height):
            calls.append(height)
            super().paint_halo(head, height)

    spec = SceneSpec("dusk", frozenset(elements), figures, "lotus" if "deity" in figures else "")
    Recording(spec, "storybook", (160, 90), np.random.default_rng(5)).paint()
    assert len(calls) == haloes


@pytest.mark.parametrize(
    ("centre", "radius", "falloff"), [((60.0, 40.0), 90.0, 2.2), ((10.0, 70.0), 35.0, 1.5), ((150.0, 5.0), 60.0, 3)]
)
def test_a_glow_painted_in_place_is_the_plain_formula_to_the_byte(centre, radius, falloff):
    """glow computes its light in place (a large glow's float arrays were the painting's biggest
    transient); the pixels must be those of the plain expression it replaced."""
    from renders.pipeline.illustrator.canvas import Painter

    rng = np.random.default_rng(7)
    base = Image.fromarray(rng.integers(0, 256, size=(90, 160, 3), dtype=np.uint8), "RGB")
    painter = Painter((160, 90), np.random.default_rng(1))
    painter.image = base.copy()
    colour, strength = (250, 210, 140), 0.6
    painter.glow(centre, radius, colour, strength, falloff)

    expected = Painter((160, 90), np.random.default_rng(1))
    expected.image = base.copy()
    cx, cy = centre
    x0, y0 = max(0, int(cx - radius)), max(0, int(cy - radius))
    x1, y1 = min(160, int(cx + radius) + 1), min(90, int(cy + radius) + 1)
    w, h = max(2, (x1 - x0) // 4), max(2, (y1 - y0) // 4)
    xs = (np.linspace(x0, x1, w) - cx) / radius
    ys = (np.linspace(y0, y1, h) - cy) / radius
    distance = np.sqrt(xs[None, :] ** 2 + ys[:, None] ** 2)
    intensity = np.clip(1.0 - distance, 0.0, 1.0) ** falloff * strength
    light = (intensity[:, :, None] * np.array(colour, dtype=np.float32)[None, None, :]).clip(0, 255)
    expected.screen_scaled(Image.fromarray(light.astype(np.uint8), "RGB"), (x0, y0, x1, y1))

    assert painter.image.tobytes() == expected.image.tobytes()
    assert painter.image.tobytes() != base.tobytes()  # the glow did light something
