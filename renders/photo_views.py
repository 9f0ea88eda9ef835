"""The studio's photo flow: photos and a description become a narrated video, in three steps.

1. Photos (1–20 JPEG, PNG or WebP; added, reordered, removed) and music.
2. Title, description, optional price and place (spoken when given), language, voice, shape, quality.
3. The drafted scenes, one per photo: edit any narration, then render (→ the job's status page).

Thin views over `renders.uploads` (create_upload, get_own_upload), `renders.photo_story`
(draft_photo_plan) and `renders.services.job_create`; the draft between steps is kept server-side
by `renders.photo_flow`. Step 1 works as a plain multipart form; with htmx, its buttons swap just
the photo panel, and static/js/photo_upload.js adds drag and drop. Every upload id that comes back
from a browser is looked up among the creator's own uploads: another creator's id is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from renders import rate_limits
from renders.downloads import serve_stored_file
from renders.forms import (
    ASPECT_CHOICES,
    LANGUAGE_CHOICES,
    MODE_CHOICES,
    MUSIC_CHOICES,
    PhotoDetailsForm,
    PhotoMusicForm,
    max_photos,
)
from renders.models import Upload
from renders.photo_flow import PhotoDraft, discard_draft, load_draft, new_draft, save_draft
from renders.photo_story import draft_photo_plan
from renders.pipeline import plan as plan_schema
from renders.pipeline.images import MAX_UPLOAD_PIXELS
from renders.pipeline.plan import PlanError
from renders.services import QuotaExceeded, job_create
from renders.uploads import UploadNotFound, UploadRejected, create_upload, get_own_upload, human_size

STEPS = (("photos", "Photos"), ("details", "Description"), ("review", "Review"))


def _is_htmx(request: HttpRequest) -> bool:
    """Whether htmx made the request (django-htmx's middleware sets `request.htmx`)."""
    return bool(getattr(request, "htmx", False))


def _creator(request: HttpRequest) -> User:
    """The signed-in creator (every view here is login_required)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _draft_or_404(request: HttpRequest, flow_id: str) -> PhotoDraft:
    draft = load_draft(request.session, flow_id)
    if draft is None:
        raise Http404("No such photo video in progress")
    return draft


def _own_uploads(request: HttpRequest, upload_ids: list[str]) -> list[Upload]:
    """The creator's uploads for these ids, in order; any id that is not theirs is a 404."""
    try:
        return [get_own_upload(owner=_creator(request), upload_id=upload_id) for upload_id in upload_ids]
    except Upload.DoesNotExist:
        raise Http404("No such upload") from None


def _live_photos(request: HttpRequest, draft: PhotoDraft) -> tuple[list[str], int]:
    """The draft's photos that still exist (unused uploads expire), and how many were dropped."""
    kept: list[str] = []
    for upload_id in draft.photos:
        try:
            kept.append(get_own_upload(owner=_creator(request), upload_id=upload_id).id)
        except Upload.DoesNotExist:
            continue
    return kept, len(draft.photos) - len(kept)


@login_required
@require_GET
def photo_start(request: HttpRequest) -> HttpResponse:
    """A new photo video: a fresh flow, then its first step."""
    draft = new_draft(request.session)
    return redirect("renders:photo_photos", flow_id=draft.flow_id)


# ---- step 1: photos and music --------------------------------------------------------------------


def _photos_context(draft: PhotoDraft, form: PhotoMusicForm, errors: list[str]) -> dict[str, Any]:
    return {
        "draft": draft,
        "steps": STEPS,
        "step": "photos",
        "music_form": form,
        "errors": errors,
        "max_photos": max_photos(),
        "max_bytes": settings.MAX_UPLOAD_IMAGE_BYTES,
        "max_size": human_size(settings.MAX_UPLOAD_IMAGE_BYTES),
        "max_megapixels": MAX_UPLOAD_PIXELS // 1_000_000,
    }


def _expired_note(count: int) -> str:
    what = "A photo" if count == 1 else f"{count} photos"
    return f"{what} you added earlier expired unused and {'was' if count == 1 else 'were'} removed; add {'it' if count == 1 else 'them'} again."


def _render_photos(request: HttpRequest, draft: PhotoDraft, form: PhotoMusicForm, errors: list[str]) -> HttpResponse:
    context = _photos_context(draft, form, errors)
    if _is_htmx(request):
        # Refusals are shown in the panel itself; htmx swaps only 2xx responses.
        return render(request, "renders/photos_upload.html#photo_panel", context)
    return render(request, "renders/photos_upload.html", context, status=400 if errors else 200)


def _add_files(request: HttpRequest, photos: list[str]) -> list[str]:
    """Store each posted file as an upload and append its id; return what went wrong, per file."""
    problems: list[str] = []
    limit = max_photos()
    for upload in request.FILES.getlist("files"):
        label = upload.name or "A file"
        if len(photos) >= limit:
            problems.append(f"{label}: a video takes at most {limit} photos, so this one was not added.")
            continue
        try:
            photos.append(create_upload(owner=_creator(request), upload=upload, size=upload.size or 0).id)
        except UploadRejected as error:
            problems.append(f"{label}: {error}")
    return problems


def _apply_action(action: str, photos: list[str]) -> None:
    """Move or remove one photo: `up:N`, `down:N`, `remove:N` (N counts from 0 in the posted order)."""
    verb, _, position = action.partition(":")
    if not position.isdigit() or int(position) >= len(photos):
        return
    index = int(position)
    if verb == "remove":
        del photos[index]
    elif verb == "up" and index > 0:
        photos[index - 1], photos[index] = photos[index], photos[index - 1]
    elif verb == "down" and index < len(photos) - 1:
        photos[index + 1], photos[index] = photos[index], photos[index + 1]


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def photo_photos(request: HttpRequest, flow_id: str) -> HttpResponse:
    draft = _draft_or_404(request, flow_id)
    if request.method == "GET":
        draft.photos, expired = _live_photos(request, draft)
        errors = [_expired_note(expired)] if expired else []
        save_draft(request.session, draft)
        return _render_photos(request, draft, PhotoMusicForm(initial={"music": draft.music}), errors)

    # The posted ids are the order on screen (drag and drop reorders them); each must be the
    # creator's own. A page without them (a bare upload) keeps the draft's order.
    posted = request.POST.getlist("photo") if "photo" in request.POST else draft.photos
    posted = list(dict.fromkeys(posted))[: max_photos()]  # each photo once; never more than fit
    photos = [upload.id for upload in _own_uploads(request, posted)]
    action = request.POST.get("action", "add")
    _apply_action(action, photos)
    errors = _add_files(request, photos)
    form = PhotoMusicForm(request.POST)
    if form.is_valid():
        draft.music = form.cleaned_data["music"]
    draft.photos = photos
    save_draft(request.session, draft)
    if action == "next":
        if not photos:
            errors.append("Add at least one photo to make a video.")
        elif form.is_valid() and not errors:
            return _to_step(request, "renders:photo_details", draft)
    if not errors and form.is_valid() and not _is_htmx(request):
        return redirect("renders:photo_photos", flow_id=draft.flow_id)  # after a POST, a page to reload
    return _render_photos(request, draft, form, errors)


def _to_step(request: HttpRequest, view: str, draft: PhotoDraft) -> HttpResponse:
    if _is_htmx(request):  # a whole new page: htmx follows it as a full navigation
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _step_url(view, draft)
        return response
    return redirect(view, flow_id=draft.flow_id)


def _step_url(view: str, draft: PhotoDraft) -> str:
    return reverse(view, kwargs={"flow_id": draft.flow_id})


# ---- step 2: title, description, details --------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def photo_details(request: HttpRequest, flow_id: str) -> HttpResponse:
    draft = _draft_or_404(request, flow_id)
    if not draft.photos:
        messages.error(request, "Add at least one photo first.")
        return redirect("renders:photo_photos", flow_id=draft.flow_id)
    if request.method == "GET":
        form = PhotoDetailsForm(initial=draft.details or None)
        return _render_details(request, draft, form, [])

    form = PhotoDetailsForm(request.POST)
    # Kept as typed, valid or not: going back to the photos and returning shows it all again.
    draft.details = {name: request.POST.get(name, "") for name in form.fields}
    save_draft(request.session, draft)
    if not form.is_valid():
        return _render_details(request, draft, form, [], status=400)
    if draft.plan_is_current:  # nothing changed since the scenes were drafted: keep the edits
        return redirect("renders:photo_review", flow_id=draft.flow_id)
    uploads = _own_uploads_or_none(request, draft.photos)
    if uploads is None:
        return _render_details(request, draft, form, [_EXPIRED], status=400)
    try:
        plan = draft_photo_plan(
            owner=_creator(request),
            upload_ids=[upload.id for upload in uploads],
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            details=form.details() or None,
            language=form.cleaned_data["language"],
            options={**form.options(), "music": draft.music},
        )
    except PlanError as error:
        return _render_details(request, draft, form, _sentences(error.errors.values()), status=400)
    except UploadNotFound:  # expired between the check above and the drafting
        return _render_details(request, draft, form, [_EXPIRED], status=400)
    except QuotaExceeded as error:  # a paid script service, over the creator's budget
        return _render_details(request, draft, form, [error.message], status=400)
    draft.plan, draft.plan_inputs = plan, draft.inputs_key()
    save_draft(request.session, draft)
    return redirect("renders:photo_review", flow_id=draft.flow_id)


_EXPIRED = "A photo expired before the video was drafted; go back to the photos and add it again."


def _sentences(messages: Any) -> list[str]:
    return [message[:1].upper() + message[1:] for message in messages]


def _own_uploads_or_none(request: HttpRequest, upload_ids: list[str]) -> list[Upload] | None:
    try:
        return [get_own_upload(owner=_creator(request), upload_id=upload_id) for upload_id in upload_ids]
    except Upload.DoesNotExist:
        return None


def _render_details(
    request: HttpRequest, draft: PhotoDraft, form: PhotoDetailsForm, problems: list[str], *, status: int = 200
) -> HttpResponse:
    context = {
        "draft": draft,
        "steps": STEPS,
        "step": "details",
        "form": form,
        "problems": problems,
        "redraft": draft.plan is not None,
    }
    return render(request, "renders/photos_details.html", context, status=status)


# ---- step 3: review the scenes, render ---------------------------------------------------------


@dataclass
class ReviewScene:
    index: int
    photo: str  # upload id, for the thumbnail
    narration: str
    error: str = ""


def _review_scenes(draft: PhotoDraft, errors: dict[int, str] | None = None) -> list[ReviewScene]:
    scenes = (draft.plan or {}).get("scenes", [])
    result = []
    for index, scene in enumerate(scenes):
        image = scene.get("image")
        photo = image if isinstance(image, str) and image.startswith("up_") else ""
        if not photo and index < len(draft.photos):
            photo = draft.photos[index]
        result.append(ReviewScene(index, photo, scene.get("narration", ""), (errors or {}).get(index, "")))
    return result


@login_required
@require_http_methods(["GET", "POST"])
def photo_review(request: HttpRequest, flow_id: str) -> HttpResponse:
    draft = _draft_or_404(request, flow_id)
    if not draft.plan_is_current:
        messages.info(request, "The photos or the description changed: check them and draft the scenes again.")
        return redirect("renders:photo_details", flow_id=draft.flow_id)
    if request.method == "GET":
        return _render_review(request, draft)

    assert draft.plan is not None  # plan_is_current
    errors = _apply_narrations(request, draft.plan)
    save_draft(request.session, draft)  # edits are kept whatever happens next
    if errors:
        return _render_review(request, draft, errors=errors, status=400)
    wait = rate_limits.take_render_start(user_id=_creator(request).pk)
    if wait is not None:
        response = _render_review(request, draft, problems=[rate_limits.refusal_message(wait)], status=429)
        response["Retry-After"] = str(wait)
        return response
    try:
        job = job_create(owner=_creator(request), plan_data=draft.plan)
    except PlanError as error:
        errors, problems = _scene_errors(error.errors)
        return _render_review(request, draft, errors=errors, problems=problems, status=400)
    except QuotaExceeded as error:
        return _render_review(request, draft, problems=[error.message], status=400)
    discard_draft(request.session, draft.flow_id)
    return redirect("renders:job_status", job_id=job.pk)


def _apply_narrations(request: HttpRequest, plan: dict[str, Any]) -> dict[int, str]:
    """Put each posted `narration-N` into the plan's scene N; return the ones that are too long."""
    errors: dict[int, str] = {}
    for index, scene in enumerate(plan.get("scenes", [])):
        key = f"narration-{index}"
        if key not in request.POST:
            continue
        text = request.POST[key].strip()
        scene["narration"] = text
        if len(text) > plan_schema.MAX_NARRATION_CHARS:
            errors[index] = f"At most {plan_schema.MAX_NARRATION_CHARS} characters (this has {len(text)}); shorten it."
    return errors


def _scene_errors(errors: dict[str, str]) -> tuple[dict[int, str], list[str]]:
    """PlanError messages split into those about one scene (`scenes[N]…`) and the rest."""
    per_scene: dict[int, str] = {}
    rest: list[str] = []
    for path, message in errors.items():
        if path.startswith("scenes[") and "]" in path and path[7 : path.index("]")].isdigit():
            per_scene[int(path[7 : path.index("]")])] = message[:1].upper() + message[1:]
        else:
            rest.append(message[:1].upper() + message[1:])
    return per_scene, rest


def settings_summary(plan: dict[str, Any]) -> str:
    """“English · 9:16 (Shorts) · Preview (fast, small) · Temple bells”: the plan's settings as chosen."""
    labels = [
        dict(choices).get(str(plan.get(key, "")), "")
        for key, choices in (
            ("language", LANGUAGE_CHOICES),
            ("aspect", ASPECT_CHOICES),
            ("mode", MODE_CHOICES),
            ("music", MUSIC_CHOICES),
        )
    ]
    return " · ".join(label for label in labels if label)


def _render_review(
    request: HttpRequest,
    draft: PhotoDraft,
    *,
    errors: dict[int, str] | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    plan = draft.plan or {}
    context = {
        "draft": draft,
        "steps": STEPS,
        "step": "review",
        "plan": plan,
        "scenes": _review_scenes(draft, errors),
        "problems": problems or [],
        "has_errors": bool(errors or problems),
        "max_narration": plan_schema.MAX_NARRATION_CHARS,
        "settings_summary": settings_summary(plan),
    }
    return render(request, "renders/photos_review.html", context, status=status)


# ---- the photos themselves ----------------------------------------------------------------------


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def photo_file(request: HttpRequest, upload_id: str) -> HttpResponseBase:
    """An uploaded photo, for its owner's thumbnails. Another creator's id is a 404."""
    upload = _own_uploads(request, [upload_id])[0]
    if not default_storage.exists(upload.name):
        raise Http404("No such upload")
    return serve_stored_file(request, default_storage, upload.name, filename=upload.name.rsplit("/", 1)[-1])
