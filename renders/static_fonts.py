"""The studio's Devanagari web font as static files, made from its pip package.

`PackageFontFinder` shows staticfiles two files under the names the stylesheets use:
- `fonts/noto-sans-devanagari.woff2`: the font cut to the stylesheets' `unicode-range` (the only
  characters a browser ever asks it for) and WOFF2-compressed, 640 KB → about 200 KB. It is built
  with fontTools on first use (collectstatic, or the first request for it without collectstatic)
  into a temp directory keyed by the font's content hash, so it is built once per machine and
  never committed.
- `fonts/noto-sans-devanagari.ttf`: the package's own file, for a browser without WOFF2.
With DEBUG off collectstatic gives both a hashed name, and WhiteNoise serves hashed names with a
year-long, immutable cache header (the TTF gzip/brotli-compressed too; a WOFF2 is compressed already).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from tempfile import gettempdir
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

from renders.pipeline.fonts import devanagari_font, font_digest

FONT_FILE = "noto-sans-devanagari.ttf"
WOFF2_FILE = "noto-sans-devanagari.woff2"
FONT_PREFIX = "fonts"
FONT_STATIC_PATH = f"{FONT_PREFIX}/{FONT_FILE}"
WOFF2_STATIC_PATH = f"{FONT_PREFIX}/{WOFF2_FILE}"

# What the web font is for, exactly as the stylesheets' @font-face `unicode-range` says it (a test
# holds them equal): Devanagari, Vedic extensions, ZWNJ/ZWJ, the rupee sign, the dotted circle,
# North Indic number forms and Devanagari Extended. Latin text keeps the system face.
UNICODE_RANGES = ((0x0900, 0x097F), (0x1CD0, 0x1CFF), (0x200C, 0x200D), (0x20B9, 0x20B9), (0x25CC, 0x25CC), (0xA830, 0xA839), (0xA8E0, 0xA8FF))  # fmt: skip
# Changing how the WOFF2 is cut changes this, so a machine's older build is not reused.
_BUILD = "subset-1"


def unicode_range_css() -> str:
    return ", ".join(f"U+{low:04X}" if low == high else f"U+{low:04X}-{high:04X}" for low, high in UNICODE_RANGES)


def woff2_font() -> Path:
    """The WOFF2 web font, built from the package's TTF the first time on this machine.

    A few seconds, once: fontTools keeps every glyph that shaping can reach from the kept
    characters (conjuncts, matras, nukta forms) and the variable font's weight and width axes.
    """
    target = Path(gettempdir()) / f"bhakti-web-font-{font_digest()}-{_BUILD}" / WOFF2_FILE
    if target.is_file():
        return target
    from fontTools import subset  # only here: building is rare, and fontTools is slow to import
    from fontTools.ttLib import TTFont

    target.parent.mkdir(parents=True, exist_ok=True)
    options = subset.Options()
    options.layout_features = ["*"]  # every OpenType feature: Devanagari shaping needs many
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.flavor = "woff2"
    font = TTFont(str(devanagari_font()))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[code for low, high in UNICODE_RANGES for code in range(low, high + 1)])
    subsetter.subset(font)
    # Write then rename: two processes building at once never serve half a file.
    partial = target.parent / f".{WOFF2_FILE}.{os.getpid()}.part"
    font.flavor = "woff2"
    font.save(str(partial))
    os.replace(partial, target)
    return target


def _font_file(name: str) -> Path | None:
    if name == FONT_FILE:
        return devanagari_font()
    if name == WOFF2_FILE:
        return woff2_font()
    return None


class _PackageFontStorage(FileSystemStorage):
    """The two files, under the names the stylesheets use (the package's own name has brackets
    and commas; the WOFF2 lives where it was built)."""

    prefix = FONT_PREFIX

    def __init__(self) -> None:
        super().__init__(location=str(devanagari_font().parent))

    def path(self, name: str) -> str:
        found = _font_file(name)
        return str(found) if found else super().path(name)


class PackageFontFinder(BaseFinder):
    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        find_all = find_all or bool(kwargs.get("all"))
        found = _font_file(path.removeprefix(f"{FONT_PREFIX}/")) if path.startswith(f"{FONT_PREFIX}/") else None
        if found is None:
            return []
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        storage = _PackageFontStorage()
        yield FONT_FILE, storage
        yield WOFF2_FILE, storage
