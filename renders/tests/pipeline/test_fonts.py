"""The subtitle and title font: shipped by pip, covers Hindi and English, bold on request."""

from __future__ import annotations

import string

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

from renders.pipeline.fonts import (
    SUBTITLE_FONT_FAMILY,
    bold_font,
    devanagari_font,
    font_covers,
    fonts_dir,
    regular_font,
)


def test_it_finds_the_font_in_its_pip_package():
    path = devanagari_font()
    assert path.is_file()
    assert "fontpkg_noto_sans_devanagari" in str(path)
    assert SUBTITLE_FONT_FAMILY == "Noto Sans Devanagari"


def test_it_covers_hindi_and_english_text():
    assert font_covers("प्रह्लाद की भक्ति। होलिका दहन, गंगा अवतरण ॐ") == []
    assert font_covers(string.ascii_letters + string.digits + string.punctuation + " \n“”‘’—…") == []


def test_it_reports_the_characters_it_lacks():
    assert font_covers("भक्ति 😀 中文 中") == ["😀", "中", "文"]


def test_it_gives_libass_a_directory_with_only_the_font():
    directory = fonts_dir()
    files = list(directory.iterdir())
    assert [file.name for file in files] == ["NotoSansDevanagari.ttf"]
    assert files[0].read_bytes() == devanagari_font().read_bytes()
    assert fonts_dir() == directory  # stable: no copy per call


def test_it_draws_bold_heavier_than_regular():
    def ink(font: ImageFont.FreeTypeFont) -> int:
        image = Image.new("L", (400, 80), 0)
        ImageDraw.Draw(image).text((5, 5), "भक्ति Bhakti", font=font, fill=255)
        return int(np.asarray(image, dtype=np.int64).sum())

    assert ink(bold_font(40)) > ink(regular_font(40)) * 1.25


def test_it_shapes_hindi_with_raqm():
    assert features.check("raqm")
    text = "प्रह्लाद की भक्ति"
    path = str(devanagari_font())
    shaped = ImageFont.truetype(path, 48, layout_engine=ImageFont.Layout.RAQM)
    basic = ImageFont.truetype(path, 48, layout_engine=ImageFont.Layout.BASIC)
    # Conjuncts and the pre-base vowel sign change the glyph run: the widths differ.
    assert abs(shaped.getlength(text) - basic.getlength(text)) > 5
    assert bold_font(48).layout_engine == ImageFont.Layout.RAQM
