"""The creator's studio pages: my videos, create, job status (polled by htmx), files, actions.

Views translate HTTP to services and selectors and back; access goes through
`job_get_for_user`, so another creator's job is a 404 on every URL here.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from html import escape as escape_html
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.session_cache import session_viewer
from renders import rate_limits, story_splitter
from renders.conditional import etag_matches, job_etag
from renders.deletion import delete_problem, job_delete, jobs_delete
from renders.downloads import serve_stored_file
from renders.eta import eta_seconds, eta_text, quality_costs, render_estimate_seconds
from renders.forms import (
    LANGUAGE_LABELS,
    JobFilterForm,
    PlanForm,
    SplitStoryForm,
    WriteScriptForm,
    attach_plan_errors,
    error_summary,
    initial_from_plan,
    plan_data_from_forms,
    scene_formset,
)
from renders.models import AssetKind, JobAsset, JobState, RenderJob
from renders.pipeline import roman
from renders.pipeline.context import STEPS
from renders.pipeline.plan import LANGUAGE_NAMES, PlanError
from renders.poll_context import poll_context
from renders.script_service import script_provider
from renders.selectors import (
    job_files,
    job_get_for_user,
    job_log_lines,
    job_stamp_for_user,
    job_stats,
    jobs_list,
    own_video_get,
    video_versions,
)
from renders.services import (
    JobActionError,
    QuotaExceeded,
    final_plan_of,
    job_cancel,
    job_create,
    job_make_final,
    job_retry,
    plan_limits,
)
from renders.sharing import live_share_links
from renders.starting_plans import UnknownStartingPlan, plan_from_template_id
from renders.topic import ScriptFailed, TopicNotFound, TopicRequest, write_script
from renders.uploads import is_own_upload, upload_prefix

JOBS_PER_PAGE = 12
LOG_LINES = 40
STEP_LABELS = {
    "script": "Script",
    "images": "Scene images",
    "speech": "Narration",
    "subtitles": "Subtitles",
    "compose": "Video",
    "store": "Saving",
}


# ---- my videos ---------------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def dashboard(request: HttpRequest) -> HttpResponse:
    filter_form = JobFilterForm(request.GET)
    filters = filter_form.filters()
    # A card's picture: the thumbnail of a finished video, else the first scene image an unfinished
    # one made before it stopped (a succeeded job always has its thumbnail: none of its scenes load).
    pictures = JobAsset.objects.filter(
        Q(kind=AssetKind.THUMBNAIL) | Q(kind=AssetKind.SCENE_IMAGE) & ~Q(job__state=JobState.SUCCEEDED)
    ).order_by("-kind", "scene_index")  # "thumbnail" sorts after "scene_image"
    jobs = jobs_list(user=request.user, latest_only=True, **filters).prefetch_related(
        Prefetch("assets", pictures, to_attr="card_pictures")
    )
    page = Paginator(jobs, JOBS_PER_PAGE).get_page(request.GET.get("page"))
    query = {key: value for key, value in (("q", filters["search"]), ("state", filters["state"]), ("language", filters["language"])) if value}  # fmt: skip
    context = {
        "filter_form": filter_form,
        "page": page,
        "filter_query": urlencode(query),
        "filtered": bool(query),
        "stats": job_stats(user=request.user, latest_only=True),
        "language_names": {**LANGUAGE_LABELS, roman.LANGUAGE_CODE: "Hindi in Roman letters"},
    }
    template = "renders/dashboard.html#results" if request.htmx else "renders/dashboard.html"
    return render(request, template, context)


# ---- create ------------------------------------------------------------------------------------


def _create_page(
    request: HttpRequest,
    plan_form: PlanForm,
    formset: Any,
    *,
    problems: list[str] | None = None,
    starting_point: str = "",
    status: int = 200,
    version_of: RenderJob | None = None,
    plan_for_costs: dict[str, Any] | None = None,
) -> HttpResponse:
    costs_plan = plan_for_costs or {"resolution": plan_form["resolution"].value(), "scenes": []}
    plan_form.fields["mode"].help_text = f"{plan_form.fields['mode'].help_text} {quality_costs(costs_plan)}"
    context = {
        "plan_form": plan_form,
        "formset": formset,
        "problems": problems or [],
        "error_summary": error_summary(plan_form, formset) if plan_form.is_bound else [],
        "starting_point": starting_point,
        "split_form": SplitStoryForm(),
        "write_form": WriteScriptForm(),
        "script_service": script_provider() is not None,
        "max_scenes": settings.MAX_SCENES,
        "version_of": version_of,
    }
    return render(request, "renders/create.html", context, status=status)


def _template_start(request: HttpRequest) -> tuple[dict[str, Any] | None, str]:
    """Plan data for ?template=ID (with language, length, mode, aspect), and what to tell the creator.

    A story starts as a Preview (seconds to render) unless ?mode= says otherwise: "Make final" on
    the finished preview then renders the same plan at full quality as the video's next version.
    """
    template_id = request.GET.get("template", "")
    if not template_id:
        return None, ""
    options: dict[str, Any] = {
        key: request.GET[key] for key in ("language", "voice", "aspect", "resolution", "mode") if request.GET.get(key)
    }
    options.setdefault("mode", "proxy")
    try:
        start = plan_from_template_id(template_id, limits=plan_limits())  # at the story's own settings
    except UnknownStartingPlan:
        messages.error(request, "That story template does not exist; pick one from the gallery.")
        return None, ""
    length = request.GET.get("length", "").strip()
    try:
        if length:
            options["length_sec"] = float(length)
        if options:
            start = plan_from_template_id(template_id, limits=plan_limits(), **options)
    except ValueError as error:
        messages.error(request, f"Could not use those options: {error}. The story's own settings are shown instead.")
    return start.plan, f"Started from the story “{start.title}”. Change anything you like."


def create_page(
    request: HttpRequest,
    *,
    plan_initial: dict[str, Any] | None = None,
    scenes_initial: list[dict[str, Any]] | None = None,
    starting_point: str = "",
    problems: list[str] | None = None,
    status: int = 200,
    version_of: RenderJob | None = None,
    plan: dict[str, Any] | None = None,
) -> HttpResponse:
    """The create page filled with a starting plan (a template, a duplicate, a split story, an edit)."""
    formset = scene_formset(owner=request.user, initial=scenes_initial or None)
    return _create_page(
        request,
        PlanForm(initial=plan_initial or {}),
        formset,
        starting_point=starting_point,
        problems=problems,
        status=status,
        version_of=version_of,
        plan_for_costs=plan,
    )


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _create_submit(request)
    plan, starting_point = _template_start(request)
    plan_initial, scenes_initial = initial_from_plan(plan) if plan else ({}, [])
    return create_page(
        request, plan_initial=plan_initial, scenes_initial=scenes_initial, starting_point=starting_point, plan=plan
    )


def _create_submit(request: HttpRequest) -> HttpResponse:
    # An edit names the video it is a new version of; only the creator's own (else a 404).
    version_of = (
        own_video_get(user=request.user, job_id=request.POST["version_of"]) if request.POST.get("version_of") else None
    )
    plan_form = PlanForm(request.POST)
    # A mutable copy: scene forms write back the stored names of uploads they kept.
    formset = scene_formset(owner=request.user, data=request.POST.copy(), files=request.FILES)
    plan_ok = plan_form.is_valid()
    scenes_ok = formset.is_valid()  # run even when the plan form failed: every error shows, uploads are kept
    problems: list[str] = []
    if plan_ok and scenes_ok:
        wait = rate_limits.take_render_start(user_id=request.user.pk)
        if wait is not None:
            response = _create_page(
                request,
                plan_form,
                formset,
                problems=[rate_limits.refusal_message(wait)],
                status=429,
                version_of=version_of,
            )
            response["Retry-After"] = str(wait)
            return response
        try:
            job = job_create(
                owner=request.user, plan_data=plan_data_from_forms(plan_form, formset), version_of=version_of
            )
        except PlanError as error:
            problems = attach_plan_errors(plan_form, formset, error.errors)
        except (QuotaExceeded, JobActionError) as error:
            problems = [error.message]
        else:
            # No flash message: the status page itself says where the job is, and stays current.
            return redirect("renders:job_status", job_id=job.pk)
    return _create_page(request, plan_form, formset, problems=problems, status=400, version_of=version_of)


# Fields of the video card that a written script fills (out of band, beside the scene editor).
_WRITTEN_FIELDS = ("title", "topic", "language", "style", "music")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def write_for_me(request: HttpRequest) -> HttpResponse:
    """ "Write it for me": a topic, a language and a length fill the scene editor (renders.topic).

    With htmx: the scene editor partial, plus the video card's title, topic, language, style and
    music swapped out of band. Refusals (nothing matches offline, the script service failed, a
    limit) show in the form and leave the editor alone. Without JavaScript: the whole create page.
    """
    form = WriteScriptForm(request.POST)
    problem = ""
    plan: dict[str, Any] | None = None
    if form.is_valid():
        wait = rate_limits.take_render_start(user_id=request.user.pk, scope=rate_limits.SCRIPT_DRAFT)
        if wait is not None:
            problem = rate_limits.refusal_message(wait)
        else:
            topic_request = TopicRequest(
                topic=form.cleaned_data["topic"],
                language=form.cleaned_data["language"],
                duration_target=form.cleaned_data["length"],
            )
            try:
                plan = write_script(owner=request.user, request=topic_request).plan
            except (TopicNotFound, ScriptFailed, QuotaExceeded) as refusal:
                problem = refusal.message
            except PlanError as error:
                problem = " ".join(error.errors.values())
    else:
        problem = " ".join(message for errors in form.errors.values() for message in errors)
    if plan is None:
        return _write_refused(request, problem)
    plan_initial, scenes_initial = initial_from_plan(plan)
    note = f"“{plan['title']}” is now {len(scenes_initial)} scenes. Read them through and change what you like."
    if not request.htmx:
        return create_page(request, plan_initial=plan_initial, scenes_initial=scenes_initial, starting_point=note)
    formset = scene_formset(owner=request.user, initial=scenes_initial)
    context = {"formset": formset, "max_scenes": settings.MAX_SCENES, "split_note": note}
    parts: list[str] = [render_to_string("renders/create.html#scene_editor", context, request=request)]
    plan_form = PlanForm(initial=plan_initial)
    for name in _WRITTEN_FIELDS:
        plan_form.fields[name].widget.attrs["hx-swap-oob"] = "true"
        parts.append(str(plan_form[name]))
    parts.append('<div id="write-errors" role="alert" hx-swap-oob="true"></div>')
    return HttpResponse("".join(parts))


def _write_refused(request: HttpRequest, problem: str) -> HttpResponse:
    if not request.htmx:
        return create_page(request, problems=[problem], status=400)
    # Leave the scene editor alone and say why in the "Write it for me" box.
    response = render(request, "renders/_split_errors.html", {"errors": [problem]})
    response["HX-Retarget"] = "#write-errors"
    response["HX-Reswap"] = "innerHTML"
    return response


@login_required
@require_GET
def duplicate(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = job_get_for_user(user=request.user, job_id=job_id)
    plan_initial, scenes_initial = initial_from_plan(job.plan)
    note = f"A copy of “{job.title}”. Change what you like and render it as a new video."
    return create_page(request, plan_initial=plan_initial, scenes_initial=scenes_initial, starting_point=note)


@login_required
@require_GET
def edit(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """The scene editor on this version's plan; submitting renders the video's next version."""
    job = own_video_get(user=request.user, job_id=job_id)
    plan_initial, scenes_initial = initial_from_plan(job.plan)
    note = (
        f"Editing “{job.title}” (version {job.version}). Rendering makes it this video's next version; "
        "scenes you leave as they are are reused, not rendered again."
    )
    return create_page(
        request,
        plan_initial=plan_initial,
        scenes_initial=scenes_initial,
        starting_point=note,
        version_of=job,
        plan=job.plan,
    )


@login_required
@require_POST
def split_story(request: HttpRequest) -> HttpResponse:
    """Turn a pasted story into scenes and fill the create page's scene editor with them.

    With htmx: the scene editor partial, plus the language select swapped out-of-band to the
    story's language (a Hindi story narrated by the English voice would sound wrong). Without
    JavaScript: the whole create page, filled.
    """
    form = SplitStoryForm(request.POST)
    scenes: list[dict] = []
    language = "en"
    if form.is_valid():
        story = form.cleaned_data["story"]
        language = story_splitter.detect_language(story)
        try:
            scenes = story_splitter.split_story(
                story,
                language,
                sentences_per_scene=form.cleaned_data["sentences_per_scene"],
                max_scenes=settings.MAX_SCENES,
            )
        except ValueError as error:
            form.add_error("story", str(error))
    if not scenes:
        return _split_refused(request, form)
    note = (
        f"Your {LANGUAGE_NAMES[language]} story is now {len(scenes)} scene{'s' if len(scenes) != 1 else ''}; "
        "the video's language is set to match. Check the suggested image prompts."
    )
    if not request.htmx:
        return create_page(request, plan_initial={"language": language}, scenes_initial=scenes, starting_point=note)
    formset = scene_formset(owner=request.user, initial=scenes)
    context = {"formset": formset, "max_scenes": settings.MAX_SCENES, "split_note": note}
    editor = render_to_string("renders/create.html#scene_editor", context, request=request)
    language_form = PlanForm(initial={"language": language})
    language_form.fields["language"].widget.attrs["hx-swap-oob"] = "true"
    cleared_errors = '<div id="split-errors" role="alert" hx-swap-oob="true"></div>'
    return HttpResponse(editor + str(language_form["language"]) + cleared_errors)


def _split_refused(request: HttpRequest, form: SplitStoryForm) -> HttpResponse:
    errors = form.errors.get("story") or ["Paste a story to split."]
    if not request.htmx:
        return create_page(request, problems=list(errors), status=400)
    # Leave the scene editor alone and show the reason in the split box instead.
    response = render(request, "renders/_split_errors.html", {"errors": errors})
    response["HX-Retarget"] = "#split-errors"
    response["HX-Reswap"] = "innerHTML"
    return response


# ---- job status ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineStep:
    name: str
    label: str
    status: str  # pending | active | done | failed | stopped


def step_timeline(job: RenderJob) -> list[TimelineStep]:
    """Each pipeline step's status for the status page, from the job's state and current step.

    The `script` step shows only for a job written from a topic (it has that step's timing); it
    was done when the job was made.
    """
    written = "script" in (job.timings or {})
    steps = STEPS if written else tuple(step for step in STEPS if step != "script")
    if job.state == JobState.SUCCEEDED:
        statuses = ["done"] * len(steps)
    elif job.state == JobState.QUEUED:
        statuses = ["done" if step == "script" else "pending" for step in steps]
    else:
        at = job.error_step or job.step if job.state == JobState.FAILED else job.step
        index = steps.index(at) if at in steps else (1 if written else -1)
        here = {JobState.RUNNING: "active", JobState.FAILED: "failed"}.get(job.state, "stopped")
        statuses = [
            "done" if position < index else here if position == index else "pending" for position in range(len(steps))
        ]
    return [
        TimelineStep(name, STEP_LABELS.get(name, name), status) for name, status in zip(steps, statuses, strict=True)
    ]


def download_stem(title: str) -> str:
    """A file name from a title: words joined by hyphens, Devanagari kept whole.

    Not Django's slugify: it drops combining marks, and Devanagari vowel signs and the anusvara
    are combining marks ("गंगा" would become "गग").
    """
    kept = "".join(
        char if char.isalnum() or unicodedata.category(char).startswith("M") else " " for char in title.lower()
    )
    return "-".join(kept.split())[:80].strip("-") or "bhakti-video"


def _file_name(job: RenderJob, asset: JobAsset) -> str:
    base = download_stem(job.title)
    suffix = Path(asset.file.name).suffix
    if asset.kind == AssetKind.SCENE_IMAGE:
        return f"{base}-scene-{asset.scene_index + 1}{suffix}"
    if asset.kind in (AssetKind.SUBTITLES_SRT, AssetKind.SUBTITLES_VTT):
        return f"{base}.{asset.language}{suffix}"
    if asset.kind == AssetKind.VIDEO:
        return f"{base}{suffix}"
    return f"{base}-{asset.kind}{suffix}"


def _log_html(lines: list[dict[str, Any]]) -> SafeString:
    """The log lines as the page's list items.

    Formatted here rather than by the template: per line its variable and filter nodes (times
    above all) were most of a progress poll's rendering. Every value from the database is escaped.
    """
    zone = timezone.get_current_timezone()
    items = []
    for line in lines:
        at = line["at"].astimezone(zone)
        items.append(
            f'<li class="level-{escape_html(line["level"])}" data-event="{int(line["id"])}">'
            f'<time datetime="{at.isoformat()}">'
            f"{at.hour:02}:{at.minute:02}:{at.second:02}</time>"
            f'<span class="step">{escape_html(line["step"] or "·")}</span>'
            f"<span>{escape_html(line['message'])}</span></li>"
        )
    return mark_safe("".join(items))  # noqa: S308 - built above from escaped values only


def _status_context(job: RenderJob, *, action_error: str = "", since_event: int | None = None) -> dict[str, Any]:
    """Everything the progress region and the log show, in three queries (job, events, assets).

    Without `since_event`, the newest LOG_LINES log lines, to show (or replace) the whole log; with
    it, only the lines after that event, to append to the log the page has (`log_swap`).
    """
    if since_event is None:
        events = job_log_lines(job=job)[-LOG_LINES:]
        last_event = events[-1]["id"] if events else 0
    else:
        events = job_log_lines(job=job, since_event=since_event)
        last_event = events[-1]["id"] if events else since_event
    assets = job_files(job=job)
    by_kind: dict[str, list[JobAsset]] = {}
    if assets:
        # Each file's link from one reverse() (the template's {% url %} per file was a tenth of a poll).
        href_of = reverse("renders:asset_file", args=[job.pk, 0]).removesuffix("0/")
        for asset in assets:
            asset.href = f"{href_of}{asset.pk}/"  # type: ignore[attr-defined]
            by_kind.setdefault(asset.kind, []).append(asset)
    subtitles = sorted(
        by_kind.get(AssetKind.SUBTITLES_SRT, []) + by_kind.get(AssetKind.SUBTITLES_VTT, []),
        key=lambda asset: (asset.language != job.language, asset.language, asset.kind),
    )
    plan_scenes = job.plan.get("scenes", []) if isinstance(job.plan, dict) else []
    return {
        "job": job,
        "progress_url": f"{reverse('renders:job_progress', args=[job.pk])}?since_event={last_event}",
        "timeline": step_timeline(job),
        "step_label": STEP_LABELS.get(job.step, ""),
        "log_html": _log_html(events),
        "video": (by_kind.get(AssetKind.VIDEO) or [None])[0],
        "thumbnail": (by_kind.get(AssetKind.THUMBNAIL) or [None])[0],
        "narration": (by_kind.get(AssetKind.NARRATION) or [None])[0],
        "scene_images": sorted(by_kind.get(AssetKind.SCENE_IMAGE, []), key=lambda asset: asset.scene_index),
        "subtitles": subtitles,
        "vtt_tracks": [asset for asset in subtitles if asset.kind == AssetKind.SUBTITLES_VTT],
        "scene_count": len(plan_scenes),
        "language_names": {**LANGUAGE_LABELS, roman.LANGUAGE_CODE: "Hindi in Roman letters"},
        "action_error": action_error,
        "cancel_pending": job.cancel_requested and not job.is_final,
        "eta": eta_text(eta_seconds(job)),
        "max_attempts": settings.JOB_MAX_ATTEMPTS,
        "waiting_to_retry": job.state == JobState.QUEUED and job.next_attempt_at is not None,
        "can_make_final": _is_preview_done(job),
        "final_costs": eta_text(round(render_estimate_seconds(final_plan_of(job)))) if _is_preview_done(job) else "",
    }


def _is_preview_done(job: RenderJob) -> bool:
    return job.state == JobState.SUCCEEDED and (job.plan or {}).get("mode") == "proxy"


@login_required
@require_GET
def job_status(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = job_get_for_user(user=request.user, job_id=job_id)
    context = {**_status_context(job), "versions": video_versions(job)}
    # Outside the polled region too: the player keeps playing while the region is swapped.
    context["live_stream"] = settings.RENDER_LIVE_STREAM and not job.is_final and job.owner_id == request.user.pk
    # Outside the polled region: a poll never reads share links.
    context["share_links"] = [
        (link, request.build_absolute_uri(reverse("renders:share_page", args=[link.token])))
        for link in (live_share_links(job=job) if job.state == JobState.SUCCEEDED else [])
    ]
    return render(request, "renders/job_status.html", context)


@require_GET
@vary_on_headers("HX-Request", "Cookie")
def job_progress(request: HttpRequest, job_id: UUID) -> HttpResponseBase:
    """The polled region, with the log lines the page has not shown yet. Once the job is final it
    renders without its trigger, so polling stops.

    The region's own URL carries `since_event`, the last log line the page has: the answer appends
    only newer lines to the log (an out-of-band swap); without it, or once the job is final, it
    replaces the whole log. It carries an ETag and `Cache-Control: no-cache`, so the browser
    revalidates each poll with `If-None-Match` by itself; while the job has not changed the answer
    is a 304 after one read of the job's version (renders/job_version.py), and htmx swaps in the
    region it had (that URL's last answer, whose lines the page therefore already has).

    Who is asking comes from the session cache (accounts/session_cache.py), not `request.user`:
    loading the session, the user and the profile was half the cost of a poll.
    """
    viewer = session_viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    since_event = _since_event(request)
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match:
        stamp = job_stamp_for_user(user=viewer, job_id=job_id)
        etag = _progress_etag(request, stamp.change_seq, since_event)
        if etag_matches(if_none_match, etag):
            return _revalidatable(HttpResponseNotModified(), etag)
    job = job_get_for_user(user=viewer, job_id=job_id)
    response = HttpResponse(_progress_html(request, job, since_event=since_event, is_staff=viewer.is_staff))
    # The version read with the job, so the ETag is never newer than the region shows.
    return _revalidatable(response, _progress_etag(request, job.change_seq, since_event))


def _since_event(request: HttpRequest) -> int | None:
    try:
        since = int(request.GET.get("since_event", ""))
    except ValueError:
        return None
    return since if since >= 0 else None


def _progress_html(
    request: HttpRequest, job: RenderJob, *, since_event: int | None, is_staff: bool, action_error: str = ""
) -> str:
    """The progress region and, out of band, the log: only the new lines while the job runs and
    the page polls `since_event`, otherwise (no `since_event`, a final job) the whole log.

    Rendered without the request's context processors, which would load the session and the user
    that `session_viewer` spared: the two values the region takes from them are passed in.
    """
    if job.is_final:
        since_event = None
    context = _status_context(job, action_error=action_error, since_event=since_event)
    # Lazily, as Django's csrf context processor does: a final job's region has no form.
    context["csrf_token"] = SimpleLazyObject(lambda: get_token(request))
    context.update(poll_context(is_staff=is_staff))
    # Appended lines come without the log's placeholder line, which leads only a whole log.
    context["log_appends"] = since_event is not None
    context["log_swap"] = "beforeend:#job-log" if since_event is not None else "true"
    region = get_template("renders/job_status.html#progress").render(context)
    if since_event is not None and not context["log_html"]:
        return region
    return region + get_template("renders/job_status.html#log").render(context)


def _progress_etag(request: HttpRequest, version: int, since_event: int | None) -> str:
    # The region holds a CSRF token (the cancel form): a new CSRF secret must not get an old region.
    csrf_secret = request.META.get("CSRF_COOKIE", "")
    return job_etag(
        kind="p",
        version=version,
        parts=(hashlib.blake2s(csrf_secret.encode()).hexdigest()[:8], "" if since_event is None else str(since_event)),
    )


def _revalidatable(response: HttpResponseBase, etag: str) -> HttpResponseBase:
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _after_action(request: HttpRequest, job: RenderJob, error: str) -> HttpResponse:
    if request.htmx:
        return HttpResponse(
            _progress_html(request, job, since_event=None, is_staff=request.user.is_staff, action_error=error)
        )
    if error:
        messages.error(request, error)
    return redirect("renders:job_status", job_id=job.pk)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def cancel(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = job_get_for_user(user=request.user, job_id=job_id)
    error = ""
    try:
        job = job_cancel(job=job)
    except JobActionError as problem:
        error = problem.message
    return _after_action(request, job, error)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def retry(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = job_get_for_user(user=request.user, job_id=job_id)
    wait = rate_limits.take_render_start(user_id=request.user.pk)
    if wait is not None:
        return _after_action(request, job, rate_limits.refusal_message(wait))
    error = ""
    try:
        job = job_retry(job=job)
    except JobActionError as problem:
        error = problem.message
    except QuotaExceeded as problem:
        error = problem.message
    return _after_action(request, job, error)


@login_required
@require_POST
def make_final(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """Render this finished preview at final quality as the video's next version, then show it."""
    job = own_video_get(user=request.user, job_id=job_id)  # the requester's own: job.owner is them
    wait = rate_limits.take_render_start(user_id=job.owner_id)
    if wait is not None:
        messages.error(request, rate_limits.refusal_message(wait))
        return redirect("renders:job_status", job_id=job.pk)
    try:
        new = job_make_final(job=job, owner=job.owner)
    except (JobActionError, QuotaExceeded) as error:
        messages.error(request, error.message)
        return redirect("renders:job_status", job_id=job.pk)
    except PlanError as error:
        messages.error(
            request, "This preview's plan cannot render at final quality: " + " ".join(error.errors.values())
        )
        return redirect("renders:job_status", job_id=job.pk)
    return redirect("renders:job_status", job_id=new.pk)


# ---- delete -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """GET asks to confirm (what goes, what stays); POST deletes the video and its files."""
    job = job_get_for_user(user=request.user, job_id=job_id)
    problem = delete_problem(job)
    if request.method == "POST" and not problem:
        title = job.title
        try:
            job_delete(job=job)
        except JobActionError as error:
            problem = error.message
        else:
            messages.success(request, f"Deleted “{title}” and its files.")
            return redirect("renders:dashboard")
    versions = video_versions(job)
    others = [version for version in versions if version.pk != job.pk]
    context = {
        "jobs": [job],
        "problems": [problem] if problem else [],
        "single": True,
        "other_versions": others,
        # Deleting the latest version makes the one before it the video's latest (its card in My videos).
        "next_latest": others[-1] if others and versions[-1].pk == job.pk else None,
    }
    return render(request, "renders/delete_confirm.html", context, status=409 if problem else 200)


@login_required
@require_POST
def delete_many(request: HttpRequest) -> HttpResponse:
    """From the library's checkboxes: first a confirmation listing them, then (confirm=1) the delete."""
    ids = request.POST.getlist("job")[: settings.MAX_BULK_DELETE]
    jobs = []
    for job_id in ids:
        try:
            jobs.append(job_get_for_user(user=request.user, job_id=job_id))
        except Http404:
            continue  # gone meanwhile, or never theirs: nothing to delete
    if not jobs:
        messages.error(request, "Tick the videos to delete first.")
        return redirect("renders:dashboard")
    if request.POST.get("confirm") != "1":
        problems = [f"“{job.title}”: {problem}" for job in jobs if (problem := delete_problem(job))]
        return render(request, "renders/delete_confirm.html", {"jobs": jobs, "problems": problems, "single": False})
    deleted, refused = jobs_delete(jobs=jobs)
    if deleted:
        messages.success(request, f"Deleted {deleted} video{'s' if deleted != 1 else ''} and their files.")
    for line in refused:
        messages.error(request, f"Not deleted: {line}")
    return redirect("renders:dashboard")


# ---- files ----------------------------------------------------------------------------------------


@login_required
@require_GET
def asset_file(request: HttpRequest, job_id: UUID, asset_id: int) -> HttpResponseBase:
    """A file of the job (video, subtitles, images…) for its owner; ?download=1 saves it."""
    job = job_get_for_user(user=request.user, job_id=job_id)
    asset = get_object_or_404(JobAsset, pk=asset_id, job=job)
    return serve_stored_file(
        request,
        asset.file.storage,
        asset.file.name,
        filename=_file_name(job, asset),
        as_attachment=request.GET.get("download") == "1",
    )


@login_required
@require_GET
def upload_preview(request: HttpRequest, filename: str) -> HttpResponseBase:
    """A scene picture the creator uploaded, for the editor's preview. Only their own."""
    name = f"{upload_prefix(request.user)}{filename}"
    if not is_own_upload(owner=request.user, name=name) or not default_storage.exists(name):
        raise Http404("No such upload")
    return serve_stored_file(request, default_storage, name, filename=filename)
