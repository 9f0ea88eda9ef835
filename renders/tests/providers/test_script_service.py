"""Drafting scripts: OpenAI chat through the stand-in, the local story split as fallback, the API."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image
from rest_framework.test import APIClient

from renders.script_service import ScriptUnavailable, draft_plan, pictures_from_uploads

STORY = "Prahlad prayed to Vishnu every day. His father was angry.\n\nThe fire did not burn him. Vishnu protected him."
PLAN = {
    "title": "Prahlad",
    "scenes": [
        {"image_prompt": "a boy praying", "narration": "Prahlad prayed.", "duration_sec": 4},
        {"image_prompt": "a fire in a palace", "narration": "The fire spared him.", "duration_sec": 60},
    ],
}


def test_it_drafts_from_a_topic_and_translates_for_the_second_language(openai_settings, openai_standin):
    openai_standin.chat_replies.extend(
        [json.dumps(PLAN), json.dumps({"translations": ["प्रह्लाद ने प्रार्थना की।", "आग ने उसे छोड़ दिया।"]})]
    )
    draft = draft_plan(topic="Prahlad's devotion", language="en", scene_count=2, style="miniature")
    assert draft.provider == "openai" and draft.notes == []
    scenes = draft.plan["scenes"]
    assert [scene["narration"] for scene in scenes] == ["Prahlad prayed.", "The fire spared him."]
    assert scenes[1]["narration_alt"] == "आग ने उसे छोड़ दिया।"
    assert scenes[1]["duration_sec"] == openai_settings.MAX_SCENE_DURATION_SEC  # clamped to the plan's limit
    assert draft.plan["style"] == "miniature" and draft.plan["title"] == "Prahlad"
    per_call = Decimal("120") / 1000 * Decimal("0.00015") + Decimal("80") / 1000 * Decimal("0.0006")
    assert draft.cost == (2 * per_call).quantize(Decimal("0.0001"))
    assert len(openai_standin.calls("/chat/completions")) == 2


def test_it_splits_a_story_locally_without_any_service(no_openai):
    draft = draft_plan(story=STORY, language="en", translate=True)
    assert draft.provider == "story" and draft.cost == 0
    assert [scene["narration"] for scene in draft.plan["scenes"]] == [
        "Prahlad prayed to Vishnu every day. His father was angry.",
        "The fire did not burn him. Vishnu protected him.",
    ]
    assert all("narration_alt" not in scene for scene in draft.plan["scenes"])


def test_it_says_a_topic_needs_openai_or_a_story(no_openai):
    with pytest.raises(ScriptUnavailable, match="OPENAI_API_KEY.*Paste the story itself") as caught:
        draft_plan(topic="Ganga's descent")
    assert caught.value.code == "no_script_provider"


def test_it_falls_back_to_the_story_when_openai_keeps_failing(openai_settings, openai_standin):
    openai_standin.fail("/chat/completions", 500, times=10)
    draft = draft_plan(topic="Prahlad", story=STORY, language="en")
    assert draft.provider == "story" and len(draft.plan["scenes"]) == 2
    assert "OpenAI could not draft the script (OpenAI script had a server error (HTTP 500)" in draft.notes[0]
    assert "subtitles will be in one language" in draft.notes[1]


def test_it_keeps_the_plan_when_translation_is_malformed(openai_settings, openai_standin):
    openai_standin.chat_replies.extend([json.dumps(PLAN), '{"translations": ["only one"]}'])
    draft = draft_plan(topic="Prahlad", scene_count=2)
    assert draft.provider == "openai" and all("narration_alt" not in scene for scene in draft.plan["scenes"])
    assert "1 translations for 2 texts" in draft.notes[0]


def _upload(owner, name: str = "diya.png") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 150, 20)).save(buffer, format="PNG")
    return default_storage.save(f"uploads/{owner.pk}/{name}", ContentFile(buffer.getvalue()))


@pytest.mark.django_db
def test_it_reads_only_the_owners_product_pictures(alice, bob):
    name = _upload(alice)
    (picture,) = pictures_from_uploads(owner=alice, names=[name])
    assert picture.mime_type == "image/png" and picture.data.startswith(b"\x89PNG")
    with pytest.raises(ScriptUnavailable, match=r"pictures\[0\]: must name a picture you uploaded"):
        pictures_from_uploads(owner=bob, names=[name])


@pytest.mark.django_db
def test_it_drafts_a_product_video_through_the_api(alice, openai_settings, openai_standin):
    name = _upload(alice)
    client = APIClient()
    client.force_authenticate(alice)
    answer = client.post(
        "/api/v1/scripts/draft",
        {"product_description": "A brass diya", "pictures": [name], "scene_count": 3, "translate": False},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["provider"] == "openai" and len(answer.json()["plan"]["scenes"]) == 3
    user_message = openai_standin.calls("/chat/completions")[0].json()["messages"][1]["content"]
    assert user_message[1]["image_url"]["url"].startswith("data:image/png;base64,")

    bad = client.post("/api/v1/scripts/draft", {"language": "fr", "topic": "x"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
