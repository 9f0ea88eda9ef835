"""OpenAI images against the stand-in: styled prompt, model size, b64 decode, retries, fallback."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from renders.pipeline.illustrator import LocalIllustrator
from renders.pipeline.images import ART_DIRECTION_MARKER
from renders.pipeline.providers.base import ProviderError, with_fallback
from renders.pipeline.providers.openai_images import OpenAIImages, api_size
from tests.standins.server import Reply


@pytest.fixture
def images(openai_account) -> OpenAIImages:
    return OpenAIImages(openai_account, model="gpt-image-2.5-flare", price_per_image=0.04)


def test_it_paints_with_the_style_added_and_records_the_cost(images, openai_standin):
    picture = images.generate("a child praying by a river", "watercolor", (256, 144), "seed")
    with Image.open(io.BytesIO(picture.data)) as image:
        assert image.format == "PNG" and image.size == (256, 144)  # cropped to the frame
    assert picture.cost == 0.04
    body = openai_standin.calls("/images/generations")[0].json()
    assert body["model"] == "gpt-image-2.5-flare" and body["size"] == "1536x1024" and body["n"] == 1
    assert body["prompt"].startswith("a child praying by a river. " + ART_DIRECTION_MARKER)
    assert "watercolor" in body["prompt"].lower()
    assert "response_format" not in body  # gpt-image models always answer b64_json


def test_it_asks_for_the_size_closest_to_the_frame():
    assert api_size((1080, 1920)) == "1024x1536"
    assert api_size((720, 720)) == "1024x1024"
    assert api_size((1920, 1080)) == "1536x1024"


def test_it_retries_a_429_then_succeeds(images, openai_standin, sleeps):
    openai_standin.fail("/images/generations", 429, headers={"Retry-After": "3"})
    assert images.generate("lotus", "miniature", (160, 90), "s").data
    assert len(openai_standin.calls("/images/generations")) == 2 and sleeps.waits == [3.0]


def test_it_falls_back_to_the_local_illustrator_after_repeated_500s(images, openai_standin, job_log):
    openai_standin.fail("/images/generations", 500, times=10)
    provider, picture = with_fallback(
        [images, LocalIllustrator()],
        lambda p: p.generate("lotus pond", "miniature", (160, 90), "s"),
        job_log,
        "image for scene 1",
    )
    assert provider.name == "local" and picture.data and picture.cost == 0
    assert job_log.warnings() == [
        "image for scene 1: openai failed (OpenAI images had a server error (HTTP 500): stand-in says 500 "
        "after 3 tries); falling back to local"
    ]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply.json({"created": 1, "data": []}), "without an image"),
        (Reply.json({"created": 1, "data": [{"url": "https://example.com/x.png"}]}), "without an image"),
        (Reply.json({"created": 1, "data": [{"b64_json": "bm90IGFuIGltYWdl"}]}), "not an image"),
    ],
)
def test_it_rejects_malformed_answers(images, openai_standin, reply, message):
    openai_standin.script("/images/generations", reply)
    with pytest.raises(ProviderError, match=message):
        images.generate("lotus", "miniature", (160, 90), "s")


def test_it_does_not_retry_a_bad_key(openai_standin, openai_account, sleeps):
    from dataclasses import replace

    wrong = OpenAIImages(replace(openai_account, api_key="sk-wrong"))
    with pytest.raises(ProviderError, match=r"refused the API key \(HTTP 401\): Incorrect API key provided"):
        wrong.generate("lotus", "miniature", (160, 90), "s")
    assert sleeps.waits == []


def test_the_default_model_is_one_openai_serves(openai_account, openai_standin):
    from django.conf import settings

    assert OpenAIImages(openai_account).model == settings.OPENAI_IMAGE_MODEL
    assert OpenAIImages(openai_account).generate("lotus", "miniature", (160, 90), "s").data
    assert openai_standin.calls("/images/generations")[0].json()["model"] == settings.OPENAI_IMAGE_MODEL


@pytest.mark.parametrize("model", ["gpt-image-1", "dall-e-3"])
def test_a_shut_down_model_is_named_with_its_date_in_the_fallback(openai_account, openai_standin, job_log, model):
    retired = OpenAIImages(openai_account, model=model)
    provider, _picture = with_fallback(
        [retired, LocalIllustrator()],
        lambda p: p.generate("lotus pond", "miniature", (160, 90), "s"),
        job_log,
        "image for scene 1",
    )
    assert provider.name == "local"
    (warning,) = job_log.warnings()
    assert f"OpenAI images refused the model: {model} was shut down on 2026-" in warning
    assert "model_not_found" in warning and "falling back to local" in warning
    assert len(openai_standin.calls("/images/generations")) == 1  # a 404 is not retried


def test_no_credit_is_not_retried_and_says_so(images, openai_standin, sleeps):
    from tests.standins.openai_server import insufficient_quota

    openai_standin.script("/images/generations", insufficient_quota())
    with pytest.raises(ProviderError, match=r"no credit left on this account \(insufficient_quota\)"):
        images.generate("lotus", "miniature", (160, 90), "s")
    assert sleeps.waits == [] and len(openai_standin.calls("/images/generations")) == 1


def test_a_real_rate_limit_is_retried(images, openai_standin, sleeps):
    from tests.standins.openai_server import rate_limited

    openai_standin.script("/images/generations", rate_limited("2"))
    assert images.generate("lotus", "miniature", (160, 90), "s").data
    assert sleeps.waits == [2.0]
