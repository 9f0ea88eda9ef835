"""The offline providers every chain ends with."""

from __future__ import annotations

from renders.pipeline.espeak import EspeakSpeech
from renders.pipeline.illustrator import LocalIllustrator
from renders.pipeline.providers.base import ProviderSet


def local_providers() -> ProviderSet:
    """For a render: its stills are painted in child processes (LocalIllustrator's in_child)."""
    return ProviderSet(images=[LocalIllustrator(in_child=True)], speech=[EspeakSpeech()])
