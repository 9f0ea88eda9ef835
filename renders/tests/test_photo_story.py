"""renders.photo_story: photos and a description become a plan, offline and with the OpenAI stand-in."""

from __future__ import annotations

import base64
import io
import json

import openai
import pytest
from PIL import Image

from renders.models import Upload
from renders.photo_story import draft_photo_plan
from renders.pipeline.plan import PlanError, parse_plan
from renders.pipeline.providers.catalog import DEFAULT_CHAT_MODEL
from renders.services import plan_limits
from renders.tests.test_upload_records import image_bytes
from renders.uploads import UploadNotFound, create_upload
from tests.standins.openai_server import API_KEY

pytestmark = pytest.mark.django_db

DESCRIPTION = "Hand-woven silk from Varanasi. Each saree takes three weeks. The border is real zari."


def photos(owner, count: int, **kwargs) -> list[Upload]:
    made = []
    for _ in range(count):
        data = image_bytes(**kwargs)
        made.append(create_upload(owner=owner, upload=data, size=len(data.getvalue())))
    return made


def test_it_spreads_the_description_over_the_photos_offline(alice, no_openai):
    uploads = photos(alice, 3)
    plan = draft_photo_plan(
        owner=alice,
        upload_ids=[upload.id for upload in uploads],
        title="Banarasi sarees",
        description=DESCRIPTION,
        details={"price": "4,500 rupees", "place": "Godowlia market"},
    )
    narrations = [scene["narration"] for scene in plan["scenes"]]
    assert [scene["image"] for scene in plan["scenes"]] == [upload.name for upload in uploads]
    assert narrations == [  # five lines in order over three photos, the title first, the closing last
        "Banarasi sarees. Hand-woven silk from Varanasi. Each saree takes three weeks.",
        "The border is real zari. Price: 4,500 rupees.",
        "Place: Godowlia market. Thank you for watching.",
    ]
    parsed = parse_plan(plan, plan_limits())
    for scene in parsed.scenes:  # each scene is long enough for its narration and shows the photo a while
        assert scene.duration_sec >= 3
    assert plan["title"] == "Banarasi sarees" and plan["language"] == "en"


def test_it_fills_every_photo_and_speaks_hindi_fixed_lines(alice, no_openai):
    uploads = photos(alice, 4)
    plan = draft_photo_plan(
        owner=alice,
        upload_ids=[upload.id for upload in uploads],
        title="मंदिर उत्सव",
        description="आज मंदिर में उत्सव है।",
        language="hi",
        options={"aspect": "9:16", "mode": "proxy", "style": "ignored"},
    )
    narrations = [scene["narration"] for scene in plan["scenes"]]
    assert narrations[0] == "मंदिर उत्सव। आज मंदिर में उत्सव है।"
    assert all(narrations) and narrations[-1].endswith("देखने के लिए धन्यवाद।")
    assert plan["aspect"] == "9:16" and plan["mode"] == "proxy"


def test_it_keeps_the_titles_own_punctuation(alice, no_openai):
    upload = photos(alice, 1)[0]
    plan = draft_photo_plan(owner=alice, upload_ids=[upload.id], title="Jai Shri Ram!", description="")
    assert plan["scenes"][0]["narration"] == "Jai Shri Ram! Thank you for watching."


def test_it_names_the_photo_that_is_not_the_callers(alice, bob, no_openai):
    mine = photos(alice, 1)[0]
    theirs = photos(bob, 1)[0]
    with pytest.raises(UploadNotFound) as refused:
        draft_photo_plan(owner=alice, upload_ids=[mine.id, theirs.id], title="T", description="")
    assert refused.value.field == "photos[1]"


def test_it_refuses_a_description_too_long_for_the_photos(alice, no_openai):
    upload = photos(alice, 1)[0]
    with pytest.raises(PlanError) as refused:
        draft_photo_plan(owner=alice, upload_ids=[upload.id], title="T", description="A long sentence here. " * 40)
    assert "description" in refused.value.errors


def test_it_lets_the_chat_model_see_the_photos(alice, openai_settings, openai_standin):
    uploads = photos(alice, 2, width=2000, height=1000)
    openai_standin.chat_replies.append(json.dumps({"narrations": ["Silk sarees. A red saree.", "A gold border."]}))
    plan = draft_photo_plan(
        owner=alice, upload_ids=[upload.id for upload in uploads], title="Silk sarees", description=DESCRIPTION
    )
    assert [scene["narration"] for scene in plan["scenes"]] == ["Silk sarees. A red saree.", "A gold border."]
    body = openai_standin.requests[-1].json()
    parts = body["messages"][1]["content"]
    images = [part["image_url"] for part in parts if part["type"] == "image_url"]
    assert len(images) == 2
    header, encoded = images[0]["url"].split(",", 1)
    assert header == "data:image/jpeg;base64"
    with Image.open(io.BytesIO(base64.b64decode(encoded))) as seen:
        assert max(seen.size) <= 768  # a downscaled copy, not the 2000 px original
    assert DESCRIPTION in parts[0]["text"]
    assert openai_standin.images_seen == [("image/jpeg", (768, 384))] * 2  # decoded by the stand-in as OpenAI does


def test_it_is_narrated_by_the_stand_ins_own_answer_one_line_per_photo(alice, openai_settings, openai_standin):
    uploads = photos(alice, 3)
    plan = draft_photo_plan(owner=alice, upload_ids=[upload.id for upload in uploads], title="T", description="D.")
    assert [scene["narration"] for scene in plan["scenes"]] == [f"This is photo {n}." for n in (1, 2, 3)]


@pytest.mark.parametrize(
    ("part", "code"),
    [
        ({"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,bm90IGFuIGltYWdl"}}, "invalid_image"),
        ({"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,@@@"}}, "invalid_base64"),
        ({"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(
            image_bytes().getvalue()).decode()}}, "invalid_image_format"),  # JPEG bytes declared as PNG
        ({"type": "image_url", "image_url": {"url": "https://example.com/a.jpg", "detail": "ultra"}}, "invalid_value"),
        ({"type": "image_url", "image_url": {}}, "missing_required_parameter"),
        ({"type": "video_url", "video_url": {"url": "x"}}, "invalid_value"),
    ],
)  # fmt: skip
def test_the_stand_in_refuses_image_parts_openai_refuses(openai_standin, part, code):
    client = openai.OpenAI(api_key=API_KEY, base_url=openai_standin.base_url, max_retries=0)
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model=DEFAULT_CHAT_MODEL, messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}, part]}]
        )
    assert refused.value.code == code
    assert openai_standin.images_seen == []


def test_the_stand_in_refuses_an_image_in_a_system_message(openai_standin):
    client = openai.OpenAI(api_key=API_KEY, base_url=openai_standin.base_url, max_retries=0)
    part = {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}}
    with pytest.raises(openai.BadRequestError, match="Supported values are: 'text'"):
        client.chat.completions.create(model=DEFAULT_CHAT_MODEL, messages=[{"role": "system", "content": [part]}])


def test_it_falls_back_to_offline_when_the_chat_model_fails(alice, openai_settings, openai_standin, caplog):
    uploads = photos(alice, 2)
    openai_standin.fail("chat/completions", 500, times=5)
    plan = draft_photo_plan(
        owner=alice, upload_ids=[upload.id for upload in uploads], title="Silk sarees", description=DESCRIPTION
    )
    assert plan["scenes"][0]["narration"].startswith("Silk sarees. Hand-woven silk from Varanasi.")
    assert "photo narration by OpenAI failed" in caplog.text
    assert len(openai_standin.calls("chat/completions")) == 2  # the first try and its one retry


def test_it_falls_back_when_the_chat_model_answers_the_wrong_count(alice, openai_settings, openai_standin):
    uploads = photos(alice, 2)
    openai_standin.chat_replies.append(json.dumps({"narrations": ["Only one."]}))
    plan = draft_photo_plan(owner=alice, upload_ids=[upload.id for upload in uploads], title="T", description="D.")
    assert plan["scenes"][0]["narration"] == "T. D."
