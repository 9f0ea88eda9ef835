"""Builds the provider chains from settings. Cloud providers come first when configured."""

from __future__ import annotations

from renders.pipeline.providers.base import ProviderSet
from renders.pipeline.providers.local import local_providers


def build_providers() -> ProviderSet:
    return local_providers()
