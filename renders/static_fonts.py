"""The studio's Devanagari web font as a static file, straight from its pip package.

`PackageFontFinder` shows the font to staticfiles as `fonts/noto-sans-devanagari.ttf`, so the
stylesheets refer to it like any static file: with DEBUG off, collectstatic gives it a hashed name
and WhiteNoise serves it compressed (gzip; 640 KB → about 340 KB) with a year-long, immutable
cache header. No copy of the binary is committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

from renders.pipeline.fonts import devanagari_font

FONT_FILE = "noto-sans-devanagari.ttf"
FONT_PREFIX = "fonts"
FONT_STATIC_PATH = f"{FONT_PREFIX}/{FONT_FILE}"


class _PackageFontStorage(FileSystemStorage):
    """One file, under the name the stylesheets use (the package's own name has brackets and commas)."""

    prefix = FONT_PREFIX

    def __init__(self) -> None:
        super().__init__(location=str(devanagari_font().parent))

    def path(self, name: str) -> str:
        return str(devanagari_font()) if name == FONT_FILE else super().path(name)


class PackageFontFinder(BaseFinder):
    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        find_all = find_all or bool(kwargs.get("all"))
        if path == FONT_STATIC_PATH:
            found = str(devanagari_font())
            return [found] if find_all else found
        return []

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield FONT_FILE, _PackageFontStorage()
