"""The create page's "Write it for me": a topic fills the scene editor through htmx, offline."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from library.stories import get_template, plan_from_template
from renders.models import RenderJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client, alice, settings):
    settings.OPENAI_API_KEY = ""
    client.force_login(alice)
    return client


def _write(client, *, htmx: bool = True, **data: str):
    headers = {"HX-Request": "true"} if htmx else {}
    fields = {f"write-{name}": value for name, value in data.items()}
    return client.post(reverse("renders:write_for_me"), fields, headers=headers)


def test_it_fills_the_scene_editor_with_the_matching_story_in_hindi(alice_client):
    response = _write(alice_client, topic="प्रह्लाद", language="hi", length="60")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card" id="scene-editor"')
    story = get_template("prahlad")
    narrations = re.findall(r'name="scenes-\d+-narration"[^>]*>\s*(.*?)</textarea>', body, re.S)
    told = plan_from_template(story, language="hi", length_sec=60)["scenes"]  # short lines fit 60 s
    assert len(narrations) == len(told) and narrations[0] == escape(told[0]["narration"])
    durations = [float(value) for value in re.findall(r'name="scenes-\d+-duration_sec" value="([\d.]+)"', body)]
    assert sum(durations) == pytest.approx(60, abs=0.5)
    # The video card follows: title and language swapped out of band, the error box cleared.
    assert re.search(r'<input[^>]*name="title"[^>]*value="' + re.escape(story.title_hi) + '"', body)
    assert re.search(r'<select[^>]*name="language"[^>]*hx-swap-oob="true"', body)
    assert re.search(r'<option value="hi" selected>', body)
    assert '<div id="write-errors" role="alert" hx-swap-oob="true"></div>' in body
    assert not RenderJob.objects.exists()  # nothing renders until the creator submits the page


def test_it_shows_the_closest_stories_in_the_form_when_nothing_matches(alice_client):
    response = _write(alice_client, topic="Quantum computing", language="en", length="60")
    body = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#write-errors" and response["HX-Reswap"] == "innerHTML"
    assert "No story in the library matches" in body and "scene-editor" not in body
    suggested = re.findall(r"\(([a-z-]+)\)", body)
    assert len(suggested) == 3 and all(get_template(story_id) for story_id in suggested)


def test_it_names_a_length_out_of_range(alice_client):
    response = _write(alice_client, topic="Prahlad", language="en", length="5")
    assert response["HX-Retarget"] == "#write-errors"
    assert "greater than or equal to 15" in response.content.decode()


def test_it_fills_the_whole_create_page_without_javascript(alice_client):
    response = _write(alice_client, htmx=False, topic="Shabari", language="en", length="45")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="create-form"' in body
    assert escape(get_template("shabari").title_en) in body and "Read them through" in body


def test_the_create_page_offers_it_with_no_inline_script(alice_client):
    body = alice_client.get(reverse("renders:create")).content.decode()
    assert f'hx-post="{reverse("renders:write_for_me")}"' in body and 'id="write-errors"' in body
    assert "<script>" not in body and " style=" not in body
    # Its fields have ids of their own: the written script swaps the video card's fields in by id.
    assert body.count('id="id_topic"') == body.count('id="id_language"') == 1
    assert 'id="id_write-topic"' in body and 'id="id_write-language"' in body
