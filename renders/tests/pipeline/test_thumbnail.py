"""The thumbnail (sizes, Hindi titles, wrapping, watermark) and the watermark overlay itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from renders.pipeline.fonts import bold_font, font_covers
from renders.pipeline.illustrator import paint_scene
from renders.pipeline.plan import Plan, parse_plan
from renders.pipeline.thumbnail import MAX_LINES, fit_title, render_thumbnail
from renders.pipeline.watermark import render_watermark, watermark_position


def _plan(title: str = "Prahlad's Devotion", aspect: str = "16:9", watermark: str = "none", **extra: object) -> Plan:
    return parse_plan(
        {
            "title": title,
            "aspect": aspect,
            "watermark": watermark,
            "scenes": [{"image_prompt": "a child by a fire", "narration": "x"}],
            **extra,
        }
    )


@pytest.fixture
def still(tmp_path: Path) -> Path:
    path = tmp_path / "scene_00.jpg"
    paint_scene("Prahlad prays by the river at dusk", "temple-painting", (200, 112), "s").save(path, "JPEG")
    return path


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).astype(int)


@pytest.mark.parametrize(("aspect", "size"), [("16:9", (1280, 720)), ("9:16", (720, 1280)), ("1:1", (1080, 1080))])
def test_it_sizes_the_thumbnail_for_the_aspect(tmp_path, still, aspect, size):
    out = render_thumbnail(_plan(aspect=aspect), still, tmp_path / "thumbnail.jpg")
    with Image.open(out) as image:
        assert image.format == "JPEG"
        assert image.size == size


def test_it_writes_the_title_in_bright_letters_over_a_darkened_picture(tmp_path, still):
    plain = render_thumbnail(_plan(title="x"), still, tmp_path / "plain.jpg")
    titled = render_thumbnail(_plan(title="Prahlad's Devotion"), still, tmp_path / "titled.jpg")
    difference = np.abs(_pixels(titled) - _pixels(plain)).mean(axis=2)
    lower, upper = difference[420:700], difference[:250]
    # The title (with its glow) sits in the lower part and leaves the top alone.
    assert (lower > 60).mean() > 0.05
    assert (upper > 60).mean() < 0.005
    near_white = (_pixels(titled)[420:700] > 215).all(axis=2)
    assert near_white.sum() > 2000


def test_it_shapes_a_hindi_title(tmp_path, still):
    title = "प्रह्लाद की भक्ति"
    assert font_covers(title) == []
    out = render_thumbnail(_plan(title=title), still, tmp_path / "hi.jpg")
    assert (_pixels(out)[400:700] > 215).all(axis=2).sum() > 2000
    # The shaped run is narrower than the same letters set one by one (conjuncts merge glyphs).
    font = bold_font(80)
    assert font.getlength(title) < sum(font.getlength(char) for char in title) - 20


def test_it_wraps_and_shrinks_a_long_title_to_three_lines():
    title = "The Descent of Ganga from the Himalaya to the plains, a story of Bhagiratha's devotion and patience"
    font, lines = fit_title(title, (1100, 360), largest=94, smallest=32)
    assert 1 < len(lines) <= MAX_LINES
    assert " ".join(lines) == title
    assert font.size < 94
    assert all(font.getlength(line) <= 1100 for line in lines)
    short_font, short_lines = fit_title("Narasimha", (1100, 360), largest=94, smallest=32)
    assert short_lines == ["Narasimha"] and short_font.size == 94


def test_it_cuts_a_title_that_cannot_fit_even_at_the_smallest_size():
    font, lines = fit_title("word " * 60, (300, 100), largest=40, smallest=30)
    assert len(lines) == MAX_LINES
    assert lines[-1].endswith("…")
    assert font.size == 30


def test_it_adds_the_watermark_in_the_chosen_corner(tmp_path, still):
    plain = _pixels(render_thumbnail(_plan(watermark="none"), still, tmp_path / "none.jpg"))
    marked = _pixels(render_thumbnail(_plan(watermark="tr", watermark_text="Bhakti TV"), still, tmp_path / "tr.jpg"))
    difference = np.abs(marked - plain).mean(axis=2)
    assert difference[:80, 1000:].mean() > 4  # top right
    assert difference[:80, :280].mean() < 1  # top left untouched


def test_it_renders_a_small_translucent_watermark(tmp_path):
    out = render_watermark("Bhakti", 1080, tmp_path / "mark.png")
    with Image.open(out) as mark:
        assert mark.mode == "RGBA"
        width, height = mark.size
        alpha = np.asarray(mark)[..., 3]
    assert 0.035 * 1080 <= height <= 0.065 * 1080
    assert width > height * 2
    assert alpha.min() == 0  # transparent around the letters
    assert 120 < alpha.max() < 255  # the letters themselves are see-through too


@pytest.mark.parametrize(
    ("position", "expected"),
    [("tl", (32, 32)), ("tr", (1920 - 200 - 32, 32)), ("bl", (32, 1080 - 50 - 32)), ("br", (1688, 998))],
)
def test_it_places_the_watermark_inside_a_margin(position, expected):
    assert watermark_position(position, (1920, 1080), (200, 50)) == expected


def test_it_refuses_an_unknown_watermark_position():
    with pytest.raises(ValueError, match="tl, tr, bl, br"):
        watermark_position("centre", (1920, 1080), (200, 50))


def test_a_thumbnail_drawn_in_a_child_process_has_the_bytes_of_one_drawn_here(tmp_path, still, monkeypatch):
    from renders.pipeline import forked, thumbnail

    children = []
    run_in_child = forked.run_in_child
    monkeypatch.setattr(forked, "run_in_child", lambda *args: children.append(args) or run_in_child(*args))
    here = render_thumbnail(_plan(watermark="br"), still, tmp_path / "here.jpg").read_bytes()
    there = render_thumbnail(_plan(watermark="br"), still, tmp_path / "there.jpg", in_child=True).read_bytes()
    assert here == there and here[:2] == b"\xff\xd8"
    assert [args[0] for args in children] == [thumbnail.thumbnail_jpeg]  # only the second went to a child
    assert not list(tmp_path.glob(".*.part"))
