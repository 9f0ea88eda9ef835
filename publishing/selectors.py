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


def active_publication_problem(job: RenderJob) -> str:
    """Why the video cannot be deleted while it is being published, or "" (renders.deletion's guard)."""
    from publishing.models import Publication, PublicationState

    publication = Publication.objects.filter(job=job).first()
    if publication is None:
        return ""
    if publication.state in (PublicationState.SCHEDULED, PublicationState.QUEUED, PublicationState.UPLOADING):
        return (
            "This video is scheduled for YouTube or being uploaded. Cancel the publication first "
            "(on the video's page), then delete it."
        )
    if publication.waits_for_youtube_publish_at:
        return (
            "YouTube will make this video public at its scheduled time. Cancel the publication first, "
            "then delete it (the copy on YouTube stays until you remove it there)."
        )
    return ""
