"""The story gallery and its card thumbnails."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from library.forms import StoryFilterForm
from library.stories import StoryTemplate, UnknownTemplate, get_template, list_templates, template_thumbnail_prompt
from library.topic_match import match_topic, search_stories
from renders.forms import STYLE_CHOICES
from renders.pipeline.illustrator import PAINTER_VERSION, LocalIllustrator

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
