"""The story gallery, its card thumbnails, and splitting a pasted story into the scene editor."""

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
from django.template.loader import render_to_string
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from library.forms import SplitStoryForm, StoryFilterForm
from library.stories import StoryTemplate, UnknownTemplate, get_template, list_templates, template_thumbnail_prompt
from library.story_splitter import detect_language, split_story
from library.topic_match import match_topic, search_stories
from renders.forms import LANGUAGE_NAMES, STYLE_CHOICES, PlanForm, scene_formset
from renders.pipeline.illustrator import PAINTER_VERSION, LocalIllustrator
from renders.views import create_page

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


@login_required
@require_POST
def split(request: HttpRequest) -> HttpResponse:
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
        language = detect_language(story)
        try:
            scenes = split_story(
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
        f"Your {LANGUAGE_NAMES[language].split(' ')[0]} story is now {len(scenes)} scene{'s' if len(scenes) != 1 else ''}; "
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
    response = render(request, "library/_split_errors.html", {"errors": errors})
    response["HX-Retarget"] = "#split-errors"
    response["HX-Reswap"] = "innerHTML"
    return response
