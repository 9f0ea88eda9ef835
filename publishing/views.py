"""Web views: connect and disconnect a YouTube channel, and the publishing panel of a video page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from publishing import services
from publishing.errors import PublishError
from publishing.forms import ScheduleForm
from publishing.models import Publication, PublicationState, YouTubeChannel
from publishing.selectors import synthetic_media_used
from renders.models import JobState, RenderJob

SESSION_KEY = "publishing.youtube_oauth"


def _redirect_uri(request: HttpRequest) -> str:
    return settings.YOUTUBE_REDIRECT_URI or request.build_absolute_uri(reverse("publishing:youtube_callback"))


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return reverse("publishing:index")


def _own_job(request: HttpRequest, job_id: str) -> RenderJob:
    return get_object_or_404(RenderJob, pk=job_id, owner=request.user)


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    channel = YouTubeChannel.objects.filter(owner=request.user).first()
    publications = Publication.objects.filter(owner=request.user).select_related("job")[:50]
    configured = bool(settings.YOUTUBE_CLIENT_ID and settings.YOUTUBE_CLIENT_SECRET)
    return render(
        request, "publishing/index.html", {"channel": channel, "publications": publications, "configured": configured}
    )


@require_GET
@login_required
def youtube_connect(request: HttpRequest) -> HttpResponse:
    from publishing import youtube  # the Google libraries load only where a call needs them

    try:
        url, state, verifier = youtube.authorization_start(_redirect_uri(request))
    except PublishError as error:
        messages.error(request, error.message)
        return redirect("publishing:index")
    # The PKCE verifier must survive until the callback: a Flow rebuilt there would invent a new one.
    request.session[SESSION_KEY] = {
        "state": state,
        "code_verifier": verifier,
        "next": _safe_next(request, request.GET.get("next")),
    }
    return redirect(url)


@require_GET
@login_required
def youtube_callback(request: HttpRequest) -> HttpResponse:
    pending = request.session.pop(SESSION_KEY, None)
    if not pending:
        messages.error(request, "That YouTube sign-in has expired or was already used. Connect again.")
        return redirect("publishing:index")
    target = _safe_next(request, pending.get("next"))
    if request.GET.get("error"):
        messages.warning(request, "YouTube was not connected: access was not allowed on Google's page.")
        return redirect(target)
    if request.GET.get("state") != pending["state"] or not request.GET.get("code"):
        messages.error(request, "That YouTube sign-in did not match the one Bhakti started. Connect again.")
        return redirect("publishing:index")
    try:
        channel = services.channel_connect(
            owner=request.user,
            redirect_uri=_redirect_uri(request),
            code=request.GET["code"],
            state=pending["state"],
            code_verifier=pending["code_verifier"],
        )
    except PublishError as error:
        messages.error(request, error.message)
        return redirect("publishing:index")
    messages.success(request, f"Connected the YouTube channel “{channel.title or channel.channel_id}”.")
    return redirect(target)


@require_POST
@login_required
def youtube_disconnect(request: HttpRequest) -> HttpResponse:
    revoked = services.channel_disconnect(owner=request.user)
    if revoked:
        messages.success(request, "Disconnected YouTube; Google revoked Bhakti's access.")
    else:
        messages.warning(
            request,
            "Disconnected YouTube here, but Google did not confirm the revoke; remove Bhakti in your Google "
            "account's security settings to be sure.",
        )
    return redirect("publishing:index")


def _panel(request: HttpRequest, job: RenderJob, form: ScheduleForm | None = None, status: int = 200) -> HttpResponse:
    publication = Publication.objects.filter(job=job).first()
    if form is None:
        initial = {"title": job.title[:100]}
        if publication is None and job.state == JobState.SUCCEEDED:
            initial["description"] = services.footage_credits(job)  # the stock clips' credits
            initial["contains_synthetic_media"] = synthetic_media_used(job)
        if publication is not None:
            initial.update(
                title=publication.title, description=publication.description, tags=", ".join(publication.tags),
                category_id=publication.category_id, privacy=publication.privacy, timing=publication.timing,
                publish_at=publication.publish_at, made_for_kids="yes" if publication.made_for_kids else "no",
                contains_synthetic_media=publication.contains_synthetic_media,
            )  # fmt: skip
        form = ScheduleForm(initial=initial)
    context = {
        # The page the panel sits on (htmx sends it), to come back to after connecting or acting.
        "page_url": request.headers.get("HX-Current-URL") or request.get_full_path(),
        "job": job,
        "publication": publication,
        "form": form,
        "channel": YouTubeChannel.objects.filter(owner=job.owner).first(),
        "rendered": job.state == JobState.SUCCEEDED,
        "polling": publication is not None
        and publication.state in (PublicationState.QUEUED, PublicationState.UPLOADING),
        "can_schedule": publication is None
        or (publication.state in (PublicationState.SCHEDULED, PublicationState.FAILED, PublicationState.CANCELED)
            and not publication.youtube_video_id),
    }  # fmt: skip
    return render(request, "publishing/panel.html", context, status=status)


@require_GET
@login_required
def job_panel(request: HttpRequest, job_id: str) -> HttpResponse:
    return _panel(request, _own_job(request, job_id))


def _after_action(request: HttpRequest, job: RenderJob) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return _panel(request, job)
    return redirect(_safe_next(request, request.POST.get("next")))


@require_POST
@login_required
def job_schedule(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _own_job(request, job_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _panel(request, job, form=form, status=400)
    try:
        services.publication_schedule(owner=request.user, job=job, **form.cleaned_data)
    except services.PublishActionError as error:
        form.add_error(None, error.message)
        return _panel(request, job, form=form, status=400)
    messages.success(request, "Scheduled for YouTube.")
    return _after_action(request, job)


@require_POST
@login_required
def job_cancel(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _own_job(request, job_id)
    try:
        services.publication_cancel(owner=request.user, job=job)
        messages.success(request, "YouTube publication canceled.")
    except services.PublishActionError as error:
        messages.error(request, error.message)
    return _after_action(request, job)


@require_POST
@login_required
def job_retry(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _own_job(request, job_id)
    try:
        services.publication_retry(owner=request.user, job=job)
        messages.success(request, "Upload queued again; finished steps are kept.")
    except services.PublishActionError as error:
        messages.error(request, error.message)
    return _after_action(request, job)
