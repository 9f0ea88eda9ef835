"""scripts/contact_sheet.py: `make contact-sheet` stays runnable, on a tiny size for one story and style."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from library.stories import get_template

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def contact_sheet():
    spec = importlib.util.spec_from_file_location("contact_sheet", REPO / "scripts" / "contact_sheet.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_paints_one_grid_per_style_with_a_cell_per_scene(contact_sheet, tmp_path, capsys):
    assert (
        contact_sheet.main(["--stories", "dhruva", "--styles", "warli", "--cell", "48x27", "--out", str(tmp_path)]) == 0
    )
    scenes = len(get_template("dhruva").scenes)
    with Image.open(tmp_path / "warli.png") as image:
        gap, label = contact_sheet.GAP, contact_sheet.LABEL_HEIGHT
        assert image.size == (gap + scenes * (48 + gap), gap + label + 27 + gap)
        pixels = np.asarray(image.convert("RGB")).astype(int)
    # Each cell is a Warli painting: mostly earth-red.
    for column in range(scenes):
        x = gap + column * (48 + gap)
        cell = pixels[gap + label : gap + label + 27, x : x + 48]
        assert ((cell[..., 0] > cell[..., 2] + 40).mean()) > 0.5
    report = (tmp_path / "recognised.txt").read_text(encoding="utf-8")
    assert report.startswith("# dhruva\n") and report.count("\n") == scenes + 1
    assert "star" in report  # Dhruva's pole star is recognised
    assert str(tmp_path / "warli.png") in capsys.readouterr().out


def test_it_names_the_known_stories_when_one_is_unknown(contact_sheet, tmp_path, capsys):
    with pytest.raises(SystemExit):
        contact_sheet.main(["--stories", "no-such-story", "--out", str(tmp_path)])
    assert "no library story called no-such-story" in capsys.readouterr().err
    assert not (tmp_path / "recognised.txt").exists()
