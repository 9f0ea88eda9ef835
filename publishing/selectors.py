"""Reads for publishing."""

from __future__ import annotations

import json

from renders.models import AssetKind, JobAsset, RenderJob

# Cost lines (kind:provider in the job summary) of providers that make realistic synthetic media.
GENERATIVE_PROVIDERS = {"images:openai", "speech:elevenlabs", "speech:openai"}


def synthetic_media_used(job: RenderJob) -> bool:
    """Whether a generative AI provider voiced or painted this render (its summary says which
    providers delivered). The offline voice and art are not realistic; stock footage is real."""
    asset = JobAsset.objects.filter(job=job, kind=AssetKind.SUMMARY).first()
    if asset is None:
        return False
    try:
        with asset.file.open("rb") as handle:
            summary = json.load(handle)
    except (OSError, ValueError):
        return False
    by_provider = (summary.get("cost") or {}).get("by_provider") or {}
    speech = str(summary.get("speech_provider") or "").split("+")
    return bool(GENERATIVE_PROVIDERS & set(by_provider)) or bool({"elevenlabs", "openai"} & set(speech))
