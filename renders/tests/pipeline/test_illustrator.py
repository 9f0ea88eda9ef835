"""The offline illustrator: deterministic, not flat, led by the prompt's words and the style."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image, ImageFilter

from renders.pipeline.illustrator import LocalIllustrator, found_keywords, paint_scene
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
    # Miniature's ornamental border: a deep red band around the edge.
    edge = looks["miniature"][2, 40:200]
    assert (edge[:, 0] > edge[:, 2] + 40).mean() > 0.5


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
