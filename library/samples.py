"""Sample videos for the front door, rendered by this server itself on its first start.

`ensure_sample_jobs` (run by `bootstrap_demo` on every start, unless SAMPLE_VIDEOS=0) queues one
render job per entry of SAMPLES for a dedicated account that cannot log in; the workers render
them like any job, with whatever providers are configured (offline by default), so a stranger
sees what this installation really makes. A sample that failed or was canceled is queued again
on the next start; one queued, running or done is left alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from accounts.services import ensure_profile
from renders.models import AssetKind, JobAsset, JobState, RenderJob
from renders.services import job_create
from renders.starting_plans import plan_from_template_id

SAMPLES_USERNAME = "bhakti-samples"
# (story, language): the same story in both languages, so a visitor hears each.
SAMPLES = (("prahlad", "hi"), ("prahlad", "en"))
SAMPLE_LENGTH_SEC = 30
SAMPLE_SETTINGS = {"mode": "final", "resolution": "720p", "aspect": "16:9"}


def sample_topic(story: str) -> str:
    """What marks a job as the sample of `story` (its plan's topic)."""
    return f"Sample of the {story} story"


def samples_user() -> User:
    user, created = get_user_model().objects.get_or_create(
        username=SAMPLES_USERNAME, defaults={"email": "", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    ensure_profile(user)
    return user


def ensure_sample_jobs() -> int:
    """Queue the samples that do not exist (or failed); returns how many were queued."""
    owner = samples_user()
    queued = 0
    for story, language in SAMPLES:
        alive = RenderJob.objects.filter(
            owner=owner,
            language=language,
            plan__topic=sample_topic(story),
            deleted_at__isnull=True,
            state__in=(JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED),
        )
        if alive.exists():
            continue
        plan = plan_from_template_id(story, language=language, length_sec=SAMPLE_LENGTH_SEC).plan
        plan.update(SAMPLE_SETTINGS, topic=sample_topic(story))
        job_create(owner=owner, plan_data=plan)
        queued += 1
    return queued


@dataclass(frozen=True)
class Sample:
    job: RenderJob
    video: JobAsset
    thumbnail: JobAsset | None


def finished_samples() -> list[Sample]:
    """The newest finished sample per language, in SAMPLES order."""
    samples = []
    for story, language in SAMPLES:
        job = (
            RenderJob.objects.filter(
                owner__username=SAMPLES_USERNAME,
                language=language,
                plan__topic=sample_topic(story),
                state=JobState.SUCCEEDED,
                deleted_at__isnull=True,
            )
            .order_by("-finished_at")
            .first()
        )
        if job is None:
            continue
        assets = {asset.kind: asset for asset in job.assets.filter(kind__in=(AssetKind.VIDEO, AssetKind.THUMBNAIL))}
        if AssetKind.VIDEO in assets:
            samples.append(Sample(job=job, video=assets[AssetKind.VIDEO], thumbnail=assets.get(AssetKind.THUMBNAIL)))
    return samples


def sample_asset(job_id: uuid.UUID, asset_id: int) -> JobAsset | None:
    """A video or thumbnail of a sample job, or None (nothing else is public)."""
    return (
        JobAsset.objects.filter(
            pk=asset_id,
            job_id=job_id,
            job__owner__username=SAMPLES_USERNAME,
            job__deleted_at__isnull=True,
            kind__in=(AssetKind.VIDEO, AssetKind.THUMBNAIL),
        )
        .select_related("job")
        .first()
    )
