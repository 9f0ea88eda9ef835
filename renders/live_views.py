"""Watching a job while it renders: its finished segments as an HLS EVENT playlist, for its owner.

The worker stores each piece of the live stream (renders/pipeline/live_stream.py) as a JobAsset
of kind LIVE_PIECE as soon as it and every piece before it are done; the playlist lists them in
order and ends (`#EXT-X-ENDLIST`) once the job is final. Nothing here is cached by the browser:
the playlist grows, and a retried job stores its pieces again under the same URLs. Another
user's job, an admin's included, is a 404: the stream is only for the creator watching it.
Once the job succeeded the pieces are deleted (the MP4 is the deliverable) and the page plays
the MP4.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_GET

from renders.downloads import serve_stored_file
from renders.models import AssetKind, JobAsset, RenderJob
from renders.selectors import job_get_for_user

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
NO_STORE = "no-store"


def hls_playlist(*, pieces: Sequence[tuple[str, float]], ended: bool) -> str:
    """An EVENT playlist of `pieces` (URL, seconds) in playing order, closed when `ended`.

    The target duration is the longest piece so far (at least 1 s): a proxy's pieces are whole
    scenes whose lengths are not known before the job's speech is made. Players tolerate it
    growing; hls.js reloads by the last piece's length anyway.
    """
    longest = max((seconds for _, seconds in pieces), default=1.0)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-PLAYLIST-TYPE:EVENT",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(longest))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    for url, seconds in pieces:
        lines += [f"#EXTINF:{seconds:.6f},", url]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _own_job(request: HttpRequest, job_id: UUID) -> RenderJob:
    job = job_get_for_user(user=request.user, job_id=job_id)
    if job.owner_id != request.user.pk:
        raise Http404("No such job")
    return job


def _contiguous(rows: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """Pieces 0, 1, 2… up to the first gap (a retry replacing its pieces may leave one briefly)."""
    listed = []
    for expected, (index, seconds) in enumerate(rows):
        if index != expected:
            break
        listed.append((index, seconds))
    return listed


@login_required
@require_GET
def live_playlist(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """The job's live stream so far, for its owner; never stored by the browser."""
    job = _own_job(request, job_id)
    rows = (
        JobAsset.objects.filter(job=job, kind=AssetKind.LIVE_PIECE)
        .order_by("scene_index")
        .values_list("scene_index", "duration_sec")
    )
    pieces = [
        (reverse("renders:live_piece", args=[job.pk, index]), seconds) for index, seconds in _contiguous(list(rows))
    ]
    response = HttpResponse(hls_playlist(pieces=pieces, ended=job.is_final), content_type=PLAYLIST_TYPE)
    response["Cache-Control"] = NO_STORE
    return response


@login_required
@require_GET
def live_piece(request: HttpRequest, job_id: UUID, index: int) -> HttpResponseBase:
    """One MPEG-TS piece of the job's live stream, for its owner."""
    job = _own_job(request, job_id)
    asset = JobAsset.objects.filter(job=job, kind=AssetKind.LIVE_PIECE, scene_index=index).first()
    if asset is None:
        raise Http404("No such piece")
    response = serve_stored_file(request, asset.file.storage, asset.file.name, filename=f"live_{index:04d}.ts")
    if response.status_code in (200, 206):  # the bytes themselves (S3: a redirect to them)
        response["Content-Type"] = "video/mp2t"  # mimetypes takes .ts for Qt Linguist
    response["Cache-Control"] = NO_STORE
    return response
