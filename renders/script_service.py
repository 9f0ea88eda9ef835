"""Drafting a plan's script: OpenAI chat when configured, else splitting a pasted story locally.

`draft_plan` returns plan data (the same shape the form and the API take) for the creator to
review before rendering; nothing here starts a render. With a script provider it also translates
the narration for the second subtitle language. Its callers are POST /api/v1/scripts/draft
(`renders/script_api.py`) and a topic's script step (`renders/topic.py`).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

from renders.pipeline.plan import LANGUAGES, PlanError
from renders.pipeline.providers.base import ProviderError
from renders.pipeline.providers.openai_script import OpenAIScript, ProductPicture
from renders.providers_config import openai_account
from renders.services import validate_plan
from renders.story_splitter import split_story
from renders.uploads import upload_problem

logger = logging.getLogger(__name__)

MAX_PICTURES = 4
PICTURE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


class ScriptUnavailable(Exception):
    """No script could be drafted. `code` is stable for the API; `message` says what to do."""

    def __init__(self, code: str, message: str, *, field: str = ""):
        self.code = code
        self.message = message
        self.field = field  # the request field at fault, e.g. `pictures[1]`, when one is
        super().__init__(message)


@dataclass
class ScriptDraft:
    plan: dict[str, Any]  # valid plan data, ready for the form or POST /api/v1/jobs
    provider: str  # "openai" or "story" (split locally)
    cost: Decimal = Decimal("0")
    notes: list[str] = field(default_factory=list)


def script_provider() -> OpenAIScript | None:
    account = openai_account()
    if account is None:
        return None
    return OpenAIScript(
        account,
        model=settings.OPENAI_CHAT_MODEL,
        price_per_1k_input_tokens=settings.PRICE_OPENAI_CHAT_1K_INPUT_TOKENS,
        price_per_1k_output_tokens=settings.PRICE_OPENAI_CHAT_1K_OUTPUT_TOKENS,
    )


def _money(amount: float) -> Decimal:
    return Decimal(str(amount)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def pictures_from_uploads(*, owner: User, names: Sequence[str]) -> list[ProductPicture]:
    """Read the owner's uploaded product pictures (by storage name) for the chat model to look at."""
    if len(names) > MAX_PICTURES:
        raise ScriptUnavailable("invalid", f"At most {MAX_PICTURES} product pictures can be used.")
    pictures = []
    for index, name in enumerate(names):
        problem = upload_problem(owner=owner, name=name)
        if problem:
            raise ScriptUnavailable("invalid", f"pictures[{index}]: {problem}.", field=f"pictures[{index}]")
        try:
            with default_storage.open(name, "rb") as handle:
                data = handle.read(settings.MAX_UPLOAD_IMAGE_BYTES + 1)
        except FileNotFoundError:
            raise ScriptUnavailable("invalid", f"The upload {name} is gone; upload it again.") from None
        if len(data) > settings.MAX_UPLOAD_IMAGE_BYTES:
            raise ScriptUnavailable("invalid", f"{name} is larger than {settings.MAX_UPLOAD_IMAGE_BYTES} bytes.")
        try:
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format or ""
        except (UnidentifiedImageError, OSError):
            raise ScriptUnavailable("invalid", f"{name} is not a picture.") from None
        if kind not in PICTURE_TYPES:
            raise ScriptUnavailable("invalid", f"{name} must be PNG, JPEG or WebP (it is {kind or 'unknown'}).")
        pictures.append(ProductPicture(mime_type=PICTURE_TYPES[kind], data=data))
    return pictures


def _translate(narrations: Sequence[str], source: str, target: str) -> tuple[list[str], float]:
    provider = script_provider()
    if provider is None:
        raise ScriptUnavailable(
            "no_script_provider", "Translating narration needs OPENAI_API_KEY; write the second language yourself."
        )
    try:
        translation = provider.translate(list(narrations), source=source, target=target)
    except ProviderError as error:
        raise ScriptUnavailable("provider_failed", f"Translation failed: {error}") from error
    return list(translation.texts), translation.cost


def draft_plan(
    *,
    topic: str = "",
    language: str = "en",
    story: str = "",
    product_description: str = "",
    pictures: Sequence[ProductPicture] = (),
    scene_count: int = 5,
    scene_sec: float = 5.0,
    style: str = "temple-painting",
    voice: str = "female",
    aspect: str = "16:9",
    translate: bool = True,
) -> ScriptDraft:
    """A reviewed-before-render plan. A topic or product needs OpenAI; a story is split locally
    (and is the fallback when OpenAI fails). Raises ScriptUnavailable saying what to do."""
    if language not in LANGUAGES:
        raise ScriptUnavailable("invalid", f"language must be one of {', '.join(LANGUAGES)}.")
    if not 1 <= scene_count <= settings.MAX_SCENES:
        raise ScriptUnavailable("invalid", f"scene_count must be between 1 and {settings.MAX_SCENES}.")
    if not (topic.strip() or story.strip() or product_description.strip()):
        raise ScriptUnavailable("invalid", "Give a topic, a product description or a story to draft from.")
    notes: list[str] = []
    cost = 0.0  # summed unrounded; rounded once at the end
    scenes: list[dict[str, Any]] | None = None
    title = topic.strip()[:120]
    provider_name = "story"
    provider = script_provider()

    if topic.strip() or product_description.strip():
        if provider is None:
            notes.append("No script provider is configured (OPENAI_API_KEY); the story was split instead.")
        else:
            try:
                draft = provider.draft(
                    topic=topic.strip(),
                    language=language,
                    scene_count=scene_count,
                    scene_sec=scene_sec,
                    style=style,
                    product_description=product_description.strip(),
                    pictures=pictures,
                )
            except ProviderError as error:
                logger.warning("script draft failed: %s", error)
                notes.append(f"OpenAI could not draft the script ({error}); the story was split instead.")
            else:
                cost += draft.cost
                title = draft.title
                provider_name = "openai"
                scenes = [
                    {
                        "image_prompt": scene.image_prompt,
                        "narration": scene.narration,
                        "duration_sec": scene.duration_sec,
                    }
                    for scene in draft.scenes
                ]
    if scenes is None:
        if not story.strip():
            reason = notes[-1].split(";")[0] if notes else "No story was given"
            raise ScriptUnavailable(
                "no_script_provider",
                f"{reason}. Paste the story itself and Bhakti will split it into scenes without any service.",
            )
        try:
            scenes = split_story(story, language, max_scenes=settings.MAX_SCENES)
        except ValueError as error:
            raise ScriptUnavailable("invalid", str(error)) from error
        title = title or scenes[0]["narration"][:60].rstrip(" ,.;:।") or "Untitled"

    limit = float(settings.MAX_SCENE_DURATION_SEC)
    for scene in scenes:
        # A scene stretches to fit its narration anyway; the plan's own limit must hold.
        scene["duration_sec"] = min(max(float(scene["duration_sec"]), 1.0), limit)

    if translate and provider is not None:
        alt = "hi" if language == "en" else "en"
        try:
            texts, spent = _translate([scene["narration"] for scene in scenes], language, alt)
        except ScriptUnavailable as error:
            notes.append(f"{error.message}; subtitles will be in one language.")
        else:
            cost += spent
            for scene, text in zip(scenes, texts, strict=True):
                scene["narration_alt"] = text

    plan = {
        "title": title[:120] or "Untitled",
        "topic": (topic or product_description)[:300],
        "language": language,
        "voice": voice,
        "style": style,
        "aspect": aspect,
        "scenes": scenes,
    }
    try:
        validated = validate_plan(plan_data=plan)
    except PlanError as error:
        raise ScriptUnavailable("invalid", f"The drafted plan is not valid: {error}") from error
    return ScriptDraft(plan=validated.to_dict(), provider=provider_name, cost=_money(cost), notes=notes)
