"""The story gallery, its painted card thumbnails, and "Split my story into scenes"."""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from library.stories import list_templates

pytestmark = pytest.mark.django_db

HINDI_STORY = (
    "एक समय की बात है, गंगा के किनारे एक छोटा सा गाँव था। वहाँ एक बालक रहता था जो प्रतिदिन भगवान विष्णु की पूजा करता था।\n\n"
    "एक दिन नदी में बाढ़ आई। बालक ने हाथ जोड़कर प्रार्थना की। रात भर वर्षा होती रही।\n\n"
    "सुबह सूर्य निकला और गाँव सुरक्षित था।"
)
ENGLISH_STORY = (
    "Long ago a king ruled a city by the river. He was proud and cruel. "
    "His young son loved Lord Vishnu. Every morning the boy prayed at the temple. "
    "One night a great fire swept through the palace."
)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_it_shows_every_story_as_a_card_that_fills_the_create_page(alice_client):
    body = alice_client.get(reverse("library:gallery")).content.decode()
    for template in list_templates():
        assert escape(template.title_en) in body and template.title_hi in body
        assert f"{reverse('library:thumbnail', args=[template.id])}?v=" in body
        assert f'name="template" value="{template.id}"' in body
    assert f'action="{reverse("renders:create")}"' in body and 'method="get"' in body


def test_it_needs_a_login_for_the_gallery(client):
    assert client.get(reverse("library:gallery")).status_code == 302


def test_it_paints_a_thumbnail_once_and_serves_it_from_disk_with_cache_headers(client, settings):
    url = reverse("library:thumbnail", args=["prahlad"])
    response = client.get(url)
    data = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "public" in response["Cache-Control"] and "max-age=604800" in response["Cache-Control"]
    assert Image.open(io.BytesIO(data)).size == (480, 270)
    cached = list((Path(settings.MEDIA_ROOT) / "template-thumbs").glob("prahlad-*.jpg"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    again = client.get(url)
    assert b"".join(again.streaming_content) == data
    assert cached[0].stat().st_mtime_ns == mtime  # served from the cache, not painted again


def test_it_answers_404_for_an_unknown_templates_thumbnail(client):
    assert client.get(reverse("library:thumbnail", args=["no-such-story"])).status_code == 404


def test_it_splits_a_hindi_story_into_the_scene_editor_and_sets_the_language(alice_client):
    response = alice_client.post(
        reverse("library:split_story"),
        {"story": HINDI_STORY, "sentences_per_scene": "2"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card" id="scene-editor"')
    narrations = re.findall(r'name="scenes-\d+-narration"[^>]*>\s*(.*?)</textarea>', body, re.S)
    # Two sentences a scene, never across a paragraph: 2 + (2 + 1) + 1 sentences.
    assert len(narrations) == 4
    assert narrations[0].startswith("एक समय की बात है") and narrations[2] == "रात भर वर्षा होती रही।"
    assert narrations[3] == "सुबह सूर्य निकला और गाँव सुरक्षित था।"
    prompts = re.findall(r'name="scenes-\d+-image_prompt"[^>]*>\s*(.*?)</textarea>', body, re.S)
    assert "river Ganga" in prompts[0] and all(prompt.strip() for prompt in prompts)
    assert 'name="scenes-TOTAL_FORMS" value="4"' in body
    # The language select is swapped out of band to Hindi.
    assert re.search(r'<select name="language"[^>]*hx-swap-oob="true"', body)
    assert '<option value="hi" selected>' in body
    assert "Your Hindi story is now 4 scenes" in body


def test_it_splits_an_english_story_a_few_sentences_per_scene(alice_client):
    response = alice_client.post(
        reverse("library:split_story"),
        {"story": ENGLISH_STORY, "sentences_per_scene": "2"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    narrations = re.findall(r'name="scenes-\d+-narration"[^>]*>\s*(.*?)</textarea>', body, re.S)
    assert narrations == [
        "Long ago a king ruled a city by the river. He was proud and cruel.",
        "His young son loved Lord Vishnu. Every morning the boy prayed at the temple.",
        "One night a great fire swept through the palace.",
    ]
    assert '<option value="en" selected>' in body
    durations = re.findall(r'name="scenes-\d+-duration_sec" value="([\d.]+)"', body)
    assert len(durations) == 3 and all(3 <= float(value) <= 20 for value in durations)


def test_it_explains_an_empty_story_without_touching_the_editor(alice_client):
    response = alice_client.post(
        reverse("library:split_story"), {"story": "  ", "sentences_per_scene": "2"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#split-errors"
    assert "This field is required." in response.content.decode()


def test_it_fills_the_whole_create_page_without_javascript(alice_client):
    response = alice_client.post(reverse("library:split_story"), {"story": ENGLISH_STORY, "sentences_per_scene": "3"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" in body
    assert 'name="scenes-TOTAL_FORMS" value="2"' in body
    assert "Long ago a king ruled a city by the river." in body


def _card_ids(body: str) -> list[str]:
    return re.findall(r'name="template" value="([a-z0-9-]+)"', body)


@pytest.mark.parametrize(
    ("query", "story_id"),
    [("Prahlada", "prahlad"), ("नरसिंह", "prahlad"), ("Narsimha", "prahlad"), ("ध्रुव", "dhruva"), ("Sabri", "shabari")],
)
def test_it_finds_a_story_in_the_gallery_by_any_of_its_names(alice_client, query, story_id):
    response = alice_client.get(reverse("library:gallery"), {"q": query})
    body = response.content.decode()

    assert response.status_code == 200
    assert _card_ids(body) == [story_id]
    assert f'value="{escape(query)}"' in body  # the search box keeps what was typed
    assert "1 story named" in body


def test_it_suggests_the_closest_stories_when_no_name_matches(alice_client):
    body = alice_client.get(reverse("library:gallery"), {"q": "Dhruba"}).content.decode()

    assert _card_ids(body) == []
    assert "No story in the library is called “Dhruba”" in body
    assert f'href="{reverse("library:gallery")}?q=Dhruva%2C+the+Pole+Star"' in body


def test_it_filters_the_gallery_by_tag_with_links_that_work_without_javascript(alice_client):
    everything = alice_client.get(reverse("library:gallery")).content.decode()
    tagged = {template.id for template in list_templates() if "krishna" in template.tags}
    assert tagged and f'href="{reverse("library:gallery")}?tag=krishna"' in everything

    body = alice_client.get(reverse("library:gallery"), {"tag": "krishna"}).content.decode()

    assert set(_card_ids(body)) == tagged
    assert re.search(r'<a href="[^"]*\?tag=krishna" aria-current="page">krishna', body)
    # Chips for the tags stories share and the chosen one; a card's own tags link to every other.
    chips = re.findall(
        r'<li><a href="[^"]*\?tag=([a-z]+)"', everything.split('aria-label="Filter by tag"')[1].split("</nav>")[0]
    )
    counts = Counter(tag for template in list_templates() for tag in template.tags)
    assert set(chips) == {tag for tag, count in counts.items() if count >= 2} and "devotion" in chips
    # Searching keeps the tag; the tag's links keep the search.
    assert '<input type="hidden" name="tag" value="krishna">' in body
    searched = alice_client.get(reverse("library:gallery"), {"q": "Sudama", "tag": "friendship"}).content.decode()
    assert _card_ids(searched) == ["sudama"]
    assert f'href="{reverse("library:gallery")}?q=Sudama&amp;tag=devotion"' in searched


def test_it_ignores_an_unknown_tag_and_an_overlong_search(alice_client):
    for params in ({"tag": "no-such-tag"}, {"q": "x" * 500}):
        body = alice_client.get(reverse("library:gallery"), params).content.decode()
        assert len(_card_ids(body)) == len(list_templates()), params


def test_the_gallery_has_no_inline_script_or_style(alice_client):
    body = alice_client.get(reverse("library:gallery"), {"q": "prahlad", "tag": "holi"}).content.decode()

    assert "<script>" not in body and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert " style=" not in body and "<style" not in body
