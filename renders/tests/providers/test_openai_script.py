"""The chat script provider against the OpenAI stand-in: plans, pictures, translation, failures."""

from __future__ import annotations

import json

import pytest

from renders.pipeline.providers.base import ProviderError
from renders.pipeline.providers.openai_script import OpenAIScript, ProductPicture
from tests.standins.openai_server import png_bytes

PLAN = {
    "title": "प्रह्लाद की भक्ति",
    "scenes": [
        {"image_prompt": "a child praying by a river", "narration": "प्रह्लाद ने प्रार्थना की।", "duration_sec": 4,
         "keywords": ["river", "prayer"]},
        {"image_prompt": "a palace on fire", "narration": "आग ने उसे नहीं जलाया।", "duration_sec": 5},
    ],
}  # fmt: skip


@pytest.fixture
def script(openai_account) -> OpenAIScript:
    return OpenAIScript(
        openai_account, model="gpt-6-luna", price_per_1k_input_tokens=0.5, price_per_1k_output_tokens=1.5
    )


def test_it_drafts_scenes_in_the_language_and_records_token_cost(script, openai_standin):
    openai_standin.chat_replies.append(json.dumps(PLAN, ensure_ascii=False))
    draft = script.draft(topic="Prahlad's devotion", language="hi", scene_count=2, style="miniature")
    assert draft.title == "प्रह्लाद की भक्ति"
    assert [scene.narration for scene in draft.scenes] == ["प्रह्लाद ने प्रार्थना की।", "आग ने उसे नहीं जलाया।"]
    assert draft.scenes[0].keywords == ("river", "prayer") and draft.scenes[1].duration_sec == 5
    assert draft.cost == pytest.approx(120 / 1000 * 0.5 + 80 / 1000 * 1.5)
    body = openai_standin.calls("/chat/completions")[0].json()
    assert body["model"] == "gpt-6-luna" and body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]["content"]
    assert "Hindi" in system and "exactly 2 scenes" in system and "miniature" in system


def test_it_sends_product_pictures_as_image_parts(script, openai_standin):
    script.draft(
        topic="",
        language="en",
        scene_count=3,
        style="cinematic",
        product_description="A brass diya, hand made",
        pictures=[ProductPicture("image/png", png_bytes(8, 8))],  # the stand-in decodes it, as OpenAI does
    )
    user = openai_standin.calls("/chat/completions")[0].json()["messages"][1]["content"]
    assert "A brass diya, hand made" in user[0]["text"]
    assert user[1]["type"] == "image_url" and user[1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_it_translates_narration_keeping_order_and_blanks(script, openai_standin):
    openai_standin.chat_replies.append(json.dumps({"translations": ["Prahlad prayed.", "The fire spared him."]}))
    translation = script.translate(["प्रह्लाद ने प्रार्थना की।", "", "आग ने उसे नहीं जलाया।"], source="hi", target="en")
    assert translation.texts == ("Prahlad prayed.", "", "The fire spared him.") and translation.cost > 0
    sent = json.loads(openai_standin.calls("/chat/completions")[0].json()["messages"][1]["content"])
    assert sent == {"items": ["प्रह्लाद ने प्रार्थना की।", "आग ने उसे नहीं जलाया।"]}


def test_it_retries_a_429_then_succeeds(script, openai_standin, sleeps):
    openai_standin.fail("/chat/completions", 429, headers={"Retry-After": "0"})
    draft = script.draft(topic="Ganga", language="en", scene_count=3, style="watercolor")
    assert len(draft.scenes) == 3 and len(openai_standin.calls("/chat/completions")) == 2
    assert sleeps.waits == [0.01]  # Retry-After 0: the backoff is the longer wait


def test_it_gives_up_after_repeated_500s(script, openai_standin):
    openai_standin.fail("/chat/completions", 500, times=5)
    with pytest.raises(ProviderError, match=r"server error \(HTTP 500\).*after 3 tries"):
        script.draft(topic="Ganga", language="en", scene_count=3, style="watercolor")


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("this is not json", "not JSON"),
        ("[1, 2]", "not an object"),
        ('{"title": "x"}', "without scenes"),
        ('{"scenes": [{"image_prompt": "x"}]}', "left out scene 1's narration"),
    ],
)
def test_it_rejects_malformed_plans(script, openai_standin, reply, message):
    openai_standin.chat_replies.append(reply)
    with pytest.raises(ProviderError, match=message):
        script.draft(topic="Ganga", language="en", scene_count=3, style="watercolor")


def test_it_rejects_a_translation_with_the_wrong_count(script, openai_standin):
    openai_standin.chat_replies.append('{"translations": ["only one"]}')
    with pytest.raises(ProviderError, match="1 translations for 2 texts"):
        script.translate(["a", "b"], source="en", target="hi")
