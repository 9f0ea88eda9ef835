"""Share links on the web: the owner creates and revokes them on the video's page; anyone with a
live link watches the video on a public page (no login), with Open Graph tags for chat previews."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from renders.downloads import serve_stored_file
from renders.models import AssetKind
from renders.pipeline.plan import LANGUAGE_NAMES
from renders.selectors import job_get_for_user
from renders.services import JobActionError
from renders.sharing import share_link_create, share_links_revoke, shared_asset, shared_job
from renders.views import download_stem

_KINDS_BY_PATH = {"video": AssetKind.VIDEO, "thumbnail": AssetKind.THUMBNAIL}


@login_required
@require_POST
def share_create(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = job_get_for_user(user=request.user, job_id=job_id)
    try:
        link = share_link_create(job=job)
    except JobActionError as error:
        messages.error(request, error.message)
    else:
        url = request.build_absolute_uri(reverse("renders:share_page", args=[link.token]))
        messages.success(request, f"Anyone with this link can watch the video: {url}")
    return redirect(f"{reverse('renders:job_status', args=[job.pk])}#share")


@login_required
@require_POST
def share_revoke(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = job_get_for_user(user=request.user, job_id=job_id)
    revoked = share_links_revoke(job=job)
    if revoked:
        messages.success(request, "Sharing stopped: the old links no longer play the video.")
    return redirect(f"{reverse('renders:job_status', args=[job.pk])}#share")


@require_GET
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    """The public player. Its tags are what a chat app shows when the link is pasted."""
    job = shared_job(token=token)
    video = shared_asset(job=job, kind=AssetKind.VIDEO)
    if video is None:
        raise Http404("No such video")
    thumbnail = shared_asset(job=job, kind=AssetKind.THUMBNAIL)
    video_path = reverse("renders:share_file", args=[token, "video"])
    thumbnail_path = reverse("renders:share_file", args=[token, "thumbnail"]) if thumbnail else ""
    scenes = job.plan.get("scenes", []) if isinstance(job.plan, dict) else []
    language = LANGUAGE_NAMES.get(job.language, job.language)
    context = {
        "job": job,
        "page_url": request.build_absolute_uri(),
        "video_path": video_path,
        "video_url": request.build_absolute_uri(video_path),
        "thumbnail_path": thumbnail_path,
        "thumbnail_url": request.build_absolute_uri(thumbnail_path) if thumbnail else "",
        "description": f"A devotional video in {language}, {len(scenes)} scene{'s' if len(scenes) != 1 else ''}, made with Bhakti.",
    }
    response = render(request, "renders/share_page.html", context)
    # A private link: search engines are asked not to list it.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def share_file(request: HttpRequest, token: str, kind: str) -> HttpResponseBase:
    """The shared video or its thumbnail, with byte ranges so the player can seek."""
    if kind not in _KINDS_BY_PATH:
        raise Http404("No such file")
    job = shared_job(token=token)
    asset = shared_asset(job=job, kind=_KINDS_BY_PATH[kind])
    if asset is None:
        raise Http404("No such file")
    extension = asset.file.name.rsplit(".", 1)[-1] if "." in asset.file.name else "bin"
    response = serve_stored_file(
        request, asset.file.storage, asset.file.name, filename=f"{download_stem(job.title)}.{extension}"
    )
    # Revalidated on every load, so revoking a link stops it playing from a browser's cache too.
    response["Cache-Control"] = "no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response
