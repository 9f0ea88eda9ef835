"""The story gallery and its card thumbnails; a series started from the gallery, its page and its cancel."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from library import samples
from library.forms import SeriesForm, StoryFilterForm
from library.stories import StoryTemplate, UnknownTemplate, get_template, list_templates, template_thumbnail_prompt
from library.topic_match import match_topic, search_stories
from renders import rate_limits
from renders import views as render_views
from renders.downloads import serve_stored_file
from renders.forms import STYLE_CHOICES
from renders.pipeline.illustrator import PAINTER_VERSION, LocalIllustrator
from renders.pipeline.plan import LANGUAGE_NAMES, PlanError
from renders.selectors import series_entries, series_for_user, series_get_for_user
from renders.series_publishing import PublishSettings, SeriesNotPublishable, publishing_refusal
from renders.series_service import (
    MAX_SERIES_ITEMS,
    SeriesError,
    SeriesItem,
    SeriesSchedule,
    series_cancel,
    series_prepare,
    series_start,
)
from renders.series_times import time_zone_names
from renders.services import QuotaExceeded

THUMB_SIZE = (480, 270)
THUMBS_DIR = "template-thumbs"
MIN_STORIES_FOR_TAG_CHIP = 2


@login_required
@require_GET
def gallery(request: HttpRequest) -> HttpResponse:
    """Every story, or those one of whose names the search matches (either script), or those with a tag."""
    library = list_templates()
    tag_counts = Counter(tag for template in library for tag in template.tags)
    filter_form = StoryFilterForm(request.GET, tags=sorted(tag_counts))
    query, tag = filter_form.filters()
    templates = search_stories(query, library) if query else library
    if tag:
        templates = [template for template in templates if tag in template.tags]
    # Nothing by that name: the stories whose names are nearest, as links that search for them.
    suggestions = match_topic(query, library).closest if query and not templates and not tag else []
    context = {
        "templates": templates,
        "filter_form": filter_form,
        "query": query,
        "tag": tag,
        # Chips for the tags stories share (and the one chosen); a card's own tags link to the rest.
        "tag_links": [
            {"name": name, "count": count, "href": _gallery_query(query, name), "active": name == tag}
            for name, count in sorted(tag_counts.items())
            if count >= MIN_STORIES_FOR_TAG_CHIP or name == tag
        ],
        "all_tags_href": _gallery_query(query, ""),
        "suggestions": [
            {"template": template, "href": _gallery_query(template.title_en, "")} for template in suggestions
        ],
        # The picture's content key rides in its URL, so a week-long browser cache never shows a stale one.
        "thumb_versions": {template.id: _thumbnail_key(template) for template in templates},
        "max_length": settings.MAX_TOTAL_DURATION_SEC,
        "style_names": dict(STYLE_CHOICES),
    }
    return render(request, "library/gallery.html", context)


def _gallery_query(query: str, tag: str) -> str:
    return "?" + urlencode({key: value for key, value in (("q", query), ("tag", tag)) if value})


def _thumbnail_key(template: StoryTemplate) -> str:
    # Changes with the prompt, style and painter, so an edited template gets a fresh picture.
    source = f"{template_thumbnail_prompt(template)}|{template.style}|{THUMB_SIZE}|{PAINTER_VERSION}"
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _thumbnail_path(template: StoryTemplate) -> Path:
    return Path(settings.MEDIA_ROOT) / THUMBS_DIR / f"{template.id}-{_thumbnail_key(template)}.jpg"


def _paint_thumbnail(template: StoryTemplate, path: Path) -> None:
    picture = LocalIllustrator().generate(template_thumbnail_prompt(template), template.style, THUMB_SIZE, template.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: two requests painting at once never serve half a file.
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    partial.write_bytes(picture.data)
    os.replace(partial, path)


# --- The front door --------------------------------------------------------------------------------

FRONT_DOOR_STORIES = 6


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """`/`: a creator's videos once logged in; for a stranger, what Bhakti makes and how to start."""
    if request.user.is_authenticated:
        return render_views.dashboard(request)
    context = {
        "samples": samples.finished_samples(),
        "stories": list_templates()[:FRONT_DOOR_STORIES],
        "story_count": len(list_templates()),
        "thumb_versions": {template.id: _thumbnail_key(template) for template in list_templates()},
    }
    return render(request, "library/home.html", context)


@require_GET
def sample_file(request: HttpRequest, job_id: uuid.UUID, asset_id: int) -> HttpResponseBase:
    """A sample video or its thumbnail: public, and nothing but the samples is (library.samples)."""
    asset = samples.sample_asset(job_id, asset_id)
    if asset is None:
        raise Http404("No such sample")
    response = serve_stored_file(
        request, asset.file.storage, asset.file.name, filename=asset.file.name.rsplit("/", 1)[-1]
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
@cache_control(public=True, max_age=7 * 24 * 3600)
def thumbnail(request: HttpRequest, template_id: str) -> FileResponse:
    """A gallery card's picture, painted offline once and kept on disk (public: templates are not private)."""
    try:
        template = get_template(template_id)
    except UnknownTemplate:
        raise Http404("No such story template") from None
    path = _thumbnail_path(template)
    if not path.is_file():
        _paint_thumbnail(template, path)
    return FileResponse(open(path, "rb"), content_type="image/jpeg")  # noqa: SIM115 - FileResponse closes it


# --- Series -----------------------------------------------------------------------------------------


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails  # set by django_htmx's middleware (django-htmx's typing recipe)


SERIES_PER_PAGE = 20
DEFAULT_PUBLISH_TIME = dt.time(9, 0)


def _series_form(request: HttpRequest) -> SeriesForm:
    kwargs: dict[str, Any] = {
        "stories": [(story.id, story.title_en) for story in list_templates()],
        "time_zones": time_zone_names(),
        "max_items": MAX_SERIES_ITEMS,
        "max_length": settings.MAX_TOTAL_DURATION_SEC,
    }
    if request.method == "POST":
        return SeriesForm(request.POST, **kwargs)
    # The zone of the creator's last scheduled series, else the server's.
    last = series_for_user(user=request.user).exclude(time_zone="").first()
    zone = last.time_zone if last else settings.TIME_ZONE
    picked = request.GET.getlist("story")
    initial = {
        "stories": picked,
        "title": f"{len(picked)} stories" if len(picked) > 1 else "My series",
        "time_zone": zone,
        "start_date": timezone.localdate() + dt.timedelta(days=1),
        "time": DEFAULT_PUBLISH_TIME,
        "every_days": 1,
        "every_hours": 0,
        "privacy": "public",
    }
    return SeriesForm(initial=initial, **kwargs)


def _create_from_form(request: HttpRequest, form: SeriesForm) -> str | None:
    """Start the series the form describes; its id, or None with the refusal added to the form."""
    data = form.cleaned_data
    items = form.items()
    owner = cast(User, request.user)  # login_required
    schedule = None
    if data["schedule"]:
        schedule = SeriesSchedule(
            start_date=data["start_date"],
            local_time=data["time"],
            time_zone=data["time_zone"],
            every_days=data["every_days"] or 0,
            every_hours=data["every_hours"] or 0,
            publish=PublishSettings(made_for_kids=data["made_for_kids"] == "yes", privacy=data["privacy"] or "public"),
        )
    options = {"aspect": data["aspect"], "mode": data["mode"]}
    try:
        draft = series_prepare(
            owner=owner,
            title=data["title"],
            items=[
                SeriesItem(story=story, language=language, duration_target=length, options=options)
                for story, language, length in items
            ],
            schedule=schedule,
        )
        # Counted against the start rate only once it is well formed; then all of it or nothing.
        wait = rate_limits.take_render_start(user_id=owner.pk, count=draft.job_count)
        if wait is not None:
            form.add_error(None, rate_limits.series_refusal_message(wait, draft.job_count))
            return None
        series = series_start(draft=draft)
    except SeriesError as refusal:
        name = refusal.field.removeprefix("schedule.")
        form.add_error(name if name in form.fields else None, refusal.message)
        return None
    except SeriesNotPublishable as refusal:
        form.add_error("schedule", refusal.message)
        return None
    except QuotaExceeded as refusal:
        form.add_error(None, refusal.message)
        return None
    except PlanError as refusal:
        form.add_error(None, str(refusal))
        return None
    return str(series.pk)


@login_required
@require_http_methods(["GET", "POST"])
def series_new(request: HttpRequest) -> HttpResponse:
    """Stories picked in the gallery become a series: one render each, optionally published one a day."""
    form = _series_form(request)
    if request.method == "POST" and form.is_valid():
        series_id = _create_from_form(request, form)
        if series_id is not None:
            messages.success(request, "Series started: one render per video.")
            return redirect("library:series_detail", series_id=series_id)
    context = {
        "form": form,
        "publishing_refusal": publishing_refusal(cast(User, request.user)),  # login_required
        "max_items": MAX_SERIES_ITEMS,
    }
    return render(request, "library/series_new.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def series_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(series_for_user(user=request.user), SERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "library/series_list.html", {"page": page})


def _series_context(request: HttpRequest, series_id: uuid.UUID) -> dict[str, Any]:
    series = series_get_for_user(user=request.user, series_id=series_id)
    entries = series_entries(series=series)
    return {
        "series": series,
        "entries": entries,
        "all_final": all(entry.job.is_final for entry in entries),
        "language_names": LANGUAGE_NAMES,
        "cancelable": series.canceled_at is None,
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def series_detail(request: HtmxHttpRequest, series_id: uuid.UUID) -> HttpResponse:
    """The series' videos with their states and publish times; the list polls itself until every render is final."""
    template = "library/series_detail.html#items" if request.htmx else "library/series_detail.html"
    return render(request, template, _series_context(request, series_id))


@login_required
@require_http_methods(["GET", "POST"])
def series_cancel_view(request: HttpRequest, series_id: uuid.UUID) -> HttpResponse:
    """GET asks for confirmation (it works without JavaScript); POST cancels."""
    context = _series_context(request, series_id)
    series = context["series"]
    if request.method == "GET":
        return render(request, "library/series_cancel.html", context)
    try:
        result = series_cancel(series=series)
    except SeriesError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"Series canceled: {result.message}")
    return redirect("library:series_detail", series_id=series.pk)
