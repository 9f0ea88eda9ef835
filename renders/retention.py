"""Disk and storage upkeep, on a django-q2 schedule (hourly).

What goes:
- a job's work dir (stills, speech, partial segments) once the job has ended: at once for
  succeeded and canceled jobs (the worker removes those itself; this catches the ones it could
  not), after FAILED_WORK_DIR_KEEP_HOURS for failed ones (an early retry resumes from it), and
  work dirs that belong to no job at all;
- cached segments not used for RETENTION_DAYS (a cache hit refreshes a segment's mtime), and
  partial files left by a crashed ffmpeg;
- intermediate assets (scene images, narration audio, live stream pieces) of jobs that ended RETENTION_DAYS ago;
- uploads (`Upload`, file and record) that no job used, UPLOAD_UNUSED_TTL_HOURS after upload.

What never goes: final videos, thumbnails and subtitles (KEPT_KINDS), the job summary, uploads
a job used, and any file of a job that is still queued or running.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from renders.models import FINAL_STATES, AssetKind, JobAsset, JobState, RenderJob
from renders.uploads import delete_expired_uploads

logger = logging.getLogger(__name__)

# Live stream pieces of a succeeded job go as soon as its MP4 is stored (renders/execution.py);
# a failed or canceled job keeps what it streamed as long as its other previews.
INTERMEDIATE_KINDS = frozenset({AssetKind.SCENE_IMAGE, AssetKind.NARRATION, AssetKind.LIVE_PIECE})
KEPT_KINDS = frozenset(
    {AssetKind.VIDEO, AssetKind.THUMBNAIL, AssetKind.SUBTITLES_SRT, AssetKind.SUBTITLES_VTT, AssetKind.SUMMARY}
)
PARTIAL_FILE_MAX_AGE_SEC = 24 * 3600  # no ffmpeg write takes a day; older partials are debris
ORPHAN_WORK_DIR_MAX_AGE_SEC = 24 * 3600  # a dir whose job row is missing: wait out a slow commit first

assert not INTERMEDIATE_KINDS & KEPT_KINDS  # noqa: S101 - a guard on the constants above


def apply_retention() -> dict[str, int]:
    """The scheduled task; returns what it removed."""
    counts = {
        "work_dirs": remove_finished_work_dirs(),
        "cache_files": prune_segment_cache(),
        "assets": delete_old_intermediate_assets(),
        "uploads": delete_expired_uploads(),
    }
    logger.info("retention: %s", counts, extra={"retention": counts})
    return counts


def remove_finished_work_dirs() -> int:
    root = Path(settings.RENDER_WORK_DIR)
    if not root.is_dir():
        return 0
    # Only job dirs (named by job id); anything else there is not ours to remove.
    dirs = {entry.name: entry for entry in root.iterdir() if entry.is_dir() and _is_uuid(entry.name)}
    jobs = {
        str(pk): (state, finished)
        for pk, state, finished in RenderJob.objects.filter(pk__in=list(dirs)).values_list("pk", "state", "finished_at")
    }
    failed_before = timezone.now() - timedelta(hours=settings.FAILED_WORK_DIR_KEEP_HOURS)
    removed = 0
    for name, path in dirs.items():
        if name in jobs:
            state, finished = jobs[name]
            if state not in FINAL_STATES:
                continue  # queued or running: the next attempt resumes from this dir
            if state == JobState.FAILED and finished is not None and finished > failed_before:
                continue
        elif time.time() - path.stat().st_mtime < ORPHAN_WORK_DIR_MAX_AGE_SEC:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def prune_segment_cache() -> int:
    root = Path(settings.RENDER_CACHE_DIR)
    if not root.is_dir():
        return 0
    now = time.time()
    max_age = settings.RETENTION_DAYS * 86400
    removed = 0
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:  # another worker's commit or prune got there first
            continue
        limit = PARTIAL_FILE_MAX_AGE_SEC if ".partial" in path.name else max_age
        if age > limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def delete_old_intermediate_assets() -> int:
    ended_before = timezone.now() - timedelta(days=settings.RETENTION_DAYS)
    assets = JobAsset.objects.filter(
        kind__in=INTERMEDIATE_KINDS,
        job__state__in=FINAL_STATES,
        job__finished_at__lt=ended_before,
    ).only("pk", "file", "kind")
    removed = 0
    for asset in assets.iterator(chunk_size=500):
        if asset.kind in KEPT_KINDS:  # belt and braces: the query above already excludes them
            continue
        asset.file.delete(save=False)
        asset.delete()
        removed += 1
    return removed


def _is_uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True
