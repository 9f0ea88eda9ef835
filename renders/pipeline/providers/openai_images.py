"""Scene art from OpenAI's GPT image models, answered as base64 PNG (the only answer they give)."""

from __future__ import annotations

import base64
import binascii
import io

from PIL import Image, ImageOps, UnidentifiedImageError

from renders.pipeline.images import styled_prompt
from renders.pipeline.providers.base import Picture, ProviderError
from renders.pipeline.providers.catalog import DEFAULT_IMAGE_MODEL
from renders.pipeline.providers.openai_client import OpenAIAccount, call_openai

# The standard sizes every GPT image model takes: square, landscape, portrait. (DALL·E and its
# sizes were retired on 2026-05-12.)
SQUARE, LANDSCAPE, PORTRAIT = "1024x1024", "1536x1024", "1024x1536"


def api_size(size: tuple[int, int]) -> str:
    """The standard size closest in shape to the frame: the result is cropped to the frame anyway."""
    width, height = size
    ratio = width / height
    if ratio > 1.15:
        return LANDSCAPE
    if ratio < 1 / 1.15:
        return PORTRAIT
    return SQUARE


def decode_picture(b64: object, size: tuple[int, int], what: str) -> bytes:
    """Base64 image → PNG bytes cropped to `size`; ProviderError if it is not a picture."""
    if not isinstance(b64, str) or not b64:
        raise ProviderError(f"{what} answered without an image")
    try:
        raw = base64.b64decode(b64, validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            fitted = ImageOps.fit(image.convert("RGB"), size, Image.Resampling.LANCZOS)
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError) as error:
        raise ProviderError(f"{what} answered with something that is not an image ({error})") from error
    out = io.BytesIO()
    fitted.save(out, format="PNG")
    return out.getvalue()


class OpenAIImages:
    name = "openai"

    def __init__(self, account: OpenAIAccount, *, model: str = DEFAULT_IMAGE_MODEL, price_per_image: float = 0.0):
        self.account = account
        self.model = model
        self.price_per_image = price_per_image

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        # The API has no seed: repeat renders are kept stable by the pipeline's still cache instead.
        params: dict[str, object] = {
            "model": self.model,
            "prompt": styled_prompt(prompt, style),
            "size": api_size(size),
            "n": 1,
        }
        response = call_openai(
            "OpenAI images",
            self.account,
            lambda client: client.images.generate(**params),
            kind="image",
            model=self.model,
        )
        data = getattr(response, "data", None) or []
        if not data:
            raise ProviderError("OpenAI images answered without an image")
        png = decode_picture(getattr(data[0], "b64_json", None), size, "OpenAI images")
        return Picture(data=png, cost=self.price_per_image)
