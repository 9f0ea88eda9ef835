"""The one font every render uses: Noto Sans Devanagari from its pip package. No Django here.

The font ships in `fontpkg-noto-sans-devanagari` (OFL), so a fresh machine, CI and a Docker
image all have it without system fonts. It also covers Latin letters, digits and punctuation
(`font_covers` proves it in the tests), so English subtitles and titles use the same face.

It is a variable font (wdth, wght axes): Pillow draws bold by moving the weight axis; libass
finds it by family name in `fonts_dir()`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tempfile
import unicodedata
from functools import cache
from pathlib import Path

import fontpkg_noto_sans_devanagari as noto
from PIL import ImageFont

_FONT_FILE = "NotoSansDevanagari[wdth,wght].ttf"
# The copy libass reads: a plain name, so nothing in it needs escaping in an ffmpeg filter.
_PLAIN_NAME = "NotoSansDevanagari.ttf"
BOLD_WEIGHT = 700


def devanagari_font() -> Path:
    """The variable Noto Sans Devanagari TTF inside the installed pip package."""
    path = Path(noto.ROOT) / "files" / _FONT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall fontpkg-noto-sans-devanagari (requirements.txt)")
    return path


@cache
def font_digest() -> str:
    return hashlib.sha256(devanagari_font().read_bytes()).hexdigest()[:12]


def fonts_dir() -> Path:
    """A directory holding only the subtitle font, under a plain file name, for libass's `fontsdir`.

    Keyed by the font's content hash, so an upgraded package gets a fresh directory. Checked on
    every call (a stat) because a long-running worker may outlive a cleaned temp directory.
    """
    source = devanagari_font()
    directory = Path(tempfile.gettempdir()) / f"bhakti-fonts-{font_digest()}"
    target = directory / _PLAIN_NAME
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    # Copy then rename: two workers preparing the directory at once never expose half a file.
    partial = directory / f".{_PLAIN_NAME}.{os.getpid()}.part"
    shutil.copyfile(source, partial)
    os.replace(partial, target)
    return directory


def _family_name() -> str:
    family, _style = ImageFont.truetype(str(devanagari_font()), 12).getname()
    return family or noto.FAMILY


# The family name FreeType (and so libass and fontconfig) reads from the font's name table.
SUBTITLE_FONT_FAMILY: str = _family_name()


def bold_font(size: int) -> ImageFont.FreeTypeFont:
    """The Devanagari font at `size` pixels, weight 700, laid out with raqm (conjuncts, matras)."""
    font = ImageFont.truetype(str(devanagari_font()), size, layout_engine=ImageFont.Layout.RAQM)
    axes = font.get_variation_axes()
    values = [BOLD_WEIGHT if _axis_name(axis) == "Weight" else axis["default"] for axis in axes]
    font.set_variation_by_axes(values)  # type: ignore[arg-type]  # every axis of this font has a default
    return font


def regular_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(devanagari_font()), size, layout_engine=ImageFont.Layout.RAQM)


def _axis_name(axis: object) -> str:
    name = axis["name"] if isinstance(axis, dict) else ""
    return name.decode() if isinstance(name, bytes) else str(name)


@cache
def _covered_codepoints() -> frozenset[int]:
    return frozenset(read_cmap(devanagari_font().read_bytes()))


def font_covers(text: str) -> list[str]:
    """Characters of `text` the subtitle font has no glyph for, each once, in order of appearance.

    Control characters (newlines, tabs) are never drawn, so they never count as missing.
    """
    covered = _covered_codepoints()
    missing: list[str] = []
    for char in text:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in missing:
            continue
        if ord(char) not in covered:
            missing.append(char)
    return missing


def read_cmap(data: bytes) -> set[int]:
    """Code points mapped by a TrueType/OpenType font's Unicode cmap (formats 4 and 12).

    A few dozen lines instead of a fontTools runtime dependency: the format is fixed by the
    OpenType spec and the font is fixed by requirements.txt.
    """
    num_tables = struct.unpack_from(">H", data, 4)[0]
    cmap_offset = None
    for index in range(num_tables):
        tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, 12 + 16 * index)
        if tag == b"cmap":
            cmap_offset = offset
    if cmap_offset is None:
        return set()
    _version, subtables = struct.unpack_from(">HH", data, cmap_offset)
    codepoints: set[int] = set()
    for index in range(subtables):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap_offset + 4 + 8 * index)
        if not (platform == 0 or (platform == 3 and encoding in (1, 10))):
            continue  # not a Unicode subtable
        start = cmap_offset + offset
        fmt = struct.unpack_from(">H", data, start)[0]
        if fmt == 4:
            codepoints |= _cmap_format4(data, start)
        elif fmt == 12:
            codepoints |= _cmap_format12(data, start)
    return codepoints


def _cmap_format4(data: bytes, start: int) -> set[int]:
    seg_count = struct.unpack_from(">H", data, start + 6)[0] // 2
    ends = struct.unpack_from(f">{seg_count}H", data, start + 14)
    starts_at = start + 16 + 2 * seg_count
    starts = struct.unpack_from(f">{seg_count}H", data, starts_at)
    deltas = struct.unpack_from(f">{seg_count}h", data, starts_at + 2 * seg_count)
    range_offsets_at = starts_at + 4 * seg_count
    range_offsets = struct.unpack_from(f">{seg_count}H", data, range_offsets_at)
    found: set[int] = set()
    for seg in range(seg_count):
        for code in range(starts[seg], ends[seg] + 1):
            if code == 0xFFFF:
                continue
            if range_offsets[seg] == 0:
                glyph = (code + deltas[seg]) & 0xFFFF
            else:
                at = range_offsets_at + 2 * seg + range_offsets[seg] + 2 * (code - starts[seg])
                glyph = struct.unpack_from(">H", data, at)[0]
                if glyph:
                    glyph = (glyph + deltas[seg]) & 0xFFFF
            if glyph:
                found.add(code)
    return found


def _cmap_format12(data: bytes, start: int) -> set[int]:
    groups = struct.unpack_from(">I", data, start + 12)[0]
    found: set[int] = set()
    for group in range(groups):
        first, last, glyph = struct.unpack_from(">III", data, start + 16 + 12 * group)
        found.update(
            code for code, g in zip(range(first, last + 1), range(glyph, glyph + last - first + 1), strict=True) if g
        )
    return found
