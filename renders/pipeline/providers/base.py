"""Provider interfaces. Providers turn text into pictures, speech or stock footage; they never touch models.

A provider raises ProviderError when it cannot deliver; `with_fallback` then tries the next one
in the chain and logs why. The chain always ends in a local, offline provider. Stock footage is
the exception: at most one footage provider, and a scene whose footage fails is painted instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol, TypeVar

from renders.pipeline.context import Cue


class ProviderError(Exception):
    """A provider could not deliver (network, quota, malformed answer). Safe to show a creator."""


def characters_price(count: int, price_per_1k_chars: float) -> float:
    """What `count` characters cost, computed in decimal: `3 / 1000 * 0.015` in floats is
    4.4999999999999996e-05, which would show in job_summary.json and add up across calls."""
    return float(Decimal(count) * Decimal(str(price_per_1k_chars)) / 1000)


@dataclass(frozen=True)
class Speech:
    pcm: bytes  # mono signed 16-bit little-endian
    sample_rate: int
    words: tuple[Cue, ...] = ()  # word timings relative to the start of `pcm`, when known
    cost: float = 0.0

    @property
    def duration_sec(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


@dataclass(frozen=True)
class Picture:
    data: bytes  # PNG or JPEG
    cost: float = 0.0


@dataclass(frozen=True)
class Footage:
    """A stock clip downloaded for one scene, with what its licence asks us to credit."""

    clip: Path
    provider: str
    video_id: str
    author: str
    page_url: str
    cost: float = 0.0


class ImageProvider(Protocol):
    name: str

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture: ...


class SpeechProvider(Protocol):
    name: str

    def synthesize(self, text: str, language: str, voice: str) -> Speech: ...


class FootageProvider(Protocol):
    name: str

    def fetch(self, query: str, size: tuple[int, int], dest: Path) -> Footage:
        """Find a clip for `query` that covers a `size` frame and download it to `dest`."""
        ...


@dataclass
class ProviderSet:
    images: Sequence[ImageProvider] = field(default_factory=list)
    speech: Sequence[SpeechProvider] = field(default_factory=list)
    footage: FootageProvider | None = None  # only scenes that ask for stock footage use it


T = TypeVar("T")
P = TypeVar("P")


def with_fallback(
    providers: Sequence[P], call: Callable[[P], T], log: Callable[[str, str], None], what: str
) -> tuple[P, T]:
    """Call providers in order until one delivers; log each fallback with its reason."""
    last: ProviderError | None = None
    for index, provider in enumerate(providers):
        try:
            return provider, call(provider)
        except ProviderError as error:
            last = error
            following = providers[index + 1].name if index + 1 < len(providers) else None  # type: ignore[attr-defined]
            name = provider.name  # type: ignore[attr-defined]
            if following:
                log("warning", f"{what}: {name} failed ({error}); falling back to {following}")
    # `from last`: whether the job may be retried depends on why the last provider failed.
    raise ProviderError(f"{what}: every provider failed; last error: {last}") from last
