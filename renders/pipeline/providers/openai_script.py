"""Scene plans from OpenAI chat: a topic (or a product and its pictures) becomes scenes in a language.

Also translates narration for the second subtitle language. Answers are asked for as JSON
objects and checked field by field: a chat model that drifts from the shape is a ProviderError,
so the caller can fall back (to splitting a story locally) instead of rendering garbage.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from renders.pipeline.plan import (
    LANGUAGE_NAMES,
    LANGUAGE_SCRIPTS,
    MAX_NARRATION_CHARS,
    MAX_PROMPT_CHARS,
    MAX_TITLE_CHARS,
)
from renders.pipeline.providers.base import ProviderError
from renders.pipeline.providers.catalog import DEFAULT_CHAT_MODEL
from renders.pipeline.providers.openai_client import OpenAIAccount, call_openai

# For the chat model: "Hindi (Devanagari script)", so it does not answer in romanised Hindi.
PROMPT_LANGUAGE_NAMES = {
    code: f"{name} ({LANGUAGE_SCRIPTS[code]} script)" if code in LANGUAGE_SCRIPTS else name
    for code, name in LANGUAGE_NAMES.items()
}


@dataclass(frozen=True)
class DraftScene:
    image_prompt: str
    narration: str
    duration_sec: float
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draft:
    title: str
    scenes: tuple[DraftScene, ...]
    cost: float = 0.0


@dataclass(frozen=True)
class Translation:
    texts: tuple[str, ...]
    cost: float = 0.0


@dataclass(frozen=True)
class ProductPicture:
    mime_type: str  # image/png, image/jpeg, image/webp
    data: bytes


def _text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProviderError(f"OpenAI script left out {field}")
    return value.strip()[:limit]


def _json_object(content: object) -> dict[str, Any]:
    if not isinstance(content, str):
        raise ProviderError("OpenAI script answered without text")
    try:
        data = json.loads(content)
    except ValueError as error:
        raise ProviderError(f"OpenAI script answered with something that is not JSON ({error})") from error
    if not isinstance(data, dict):
        raise ProviderError("OpenAI script answered with JSON that is not an object")
    return data


class OpenAIScript:
    name = "openai"

    def __init__(
        self,
        account: OpenAIAccount,
        *,
        model: str = DEFAULT_CHAT_MODEL,
        price_per_1k_input_tokens: float = 0.0,
        price_per_1k_output_tokens: float = 0.0,
    ):
        self.account = account
        self.model = model
        self.price_in = price_per_1k_input_tokens
        self.price_out = price_per_1k_output_tokens

    def _chat(self, what: str, messages: list[dict[str, Any]]) -> tuple[dict[str, Any], float]:
        answer = call_openai(
            what,
            self.account,
            lambda client: client.chat.completions.create(
                model=self.model,
                messages=messages,
                response_format={"type": "json_object"},
            ),
            kind="chat",
            model=self.model,
        )
        choices = getattr(answer, "choices", None) or []
        if not choices:
            raise ProviderError(f"{what} answered without a message")
        usage = getattr(answer, "usage", None)
        cost = 0.0
        if usage is not None:
            cost = (usage.prompt_tokens or 0) / 1000 * self.price_in + (
                usage.completion_tokens or 0
            ) / 1000 * self.price_out
        return _json_object(choices[0].message.content), cost

    def draft(
        self,
        *,
        topic: str,
        language: str,
        scene_count: int,
        style: str,
        scene_sec: float = 5.0,
        product_description: str = "",
        pictures: Sequence[ProductPicture] = (),
    ) -> Draft:
        """A plan's title and scenes; narration in `language`, image prompts in English."""
        language_name = PROMPT_LANGUAGE_NAMES.get(language, language)
        system = (
            "You write short narrated videos. Answer only with a JSON object: "
            '{"title": str, "scenes": [{"image_prompt": str, "narration": str, "duration_sec": number, '
            '"keywords": [str]}]}. '
            f"Write exactly {scene_count} scenes. narration is what the voice says, in {language_name}, "
            f"one to three sentences, about {scene_sec:g} seconds when spoken. image_prompt describes one "
            f"still picture in English for an illustrator, in a consistent {style} art direction, with no text "
            "in the picture. keywords are two to four English words to search stock footage with. "
            f"The title is in {language_name}, at most 80 characters."
        )
        request = f"Topic: {topic}" if topic else "Make a short video presenting this product."
        if product_description:
            request += f"\nProduct description: {product_description}\nDescribe the product faithfully."
        content: list[dict[str, Any]] = [{"type": "text", "text": request}]
        for picture in pictures:
            url = f"data:{picture.mime_type};base64,{base64.b64encode(picture.data).decode()}"
            content.append({"type": "image_url", "image_url": {"url": url}})
        data, cost = self._chat(
            "OpenAI script", [{"role": "system", "content": system}, {"role": "user", "content": content}]
        )
        raw_scenes = data.get("scenes")
        if not isinstance(raw_scenes, list) or not raw_scenes:
            raise ProviderError("OpenAI script answered without scenes")
        scenes = []
        for index, raw in enumerate(raw_scenes[:scene_count]):
            if not isinstance(raw, dict):
                raise ProviderError(f"OpenAI script sent scene {index + 1} as something other than an object")
            duration = raw.get("duration_sec", scene_sec)
            if isinstance(duration, bool) or not isinstance(duration, (int, float)):
                duration = scene_sec
            keywords = raw.get("keywords") or []
            scenes.append(
                DraftScene(
                    image_prompt=_text(raw.get("image_prompt"), f"scene {index + 1}'s image_prompt", MAX_PROMPT_CHARS),
                    narration=_text(raw.get("narration"), f"scene {index + 1}'s narration", MAX_NARRATION_CHARS),
                    duration_sec=float(duration),
                    keywords=tuple(str(word) for word in keywords if isinstance(word, str))[:6]
                    if isinstance(keywords, list)
                    else (),
                )
            )
        title = _text(data.get("title") or topic or "Untitled", "the title", MAX_TITLE_CHARS)
        return Draft(title=title, scenes=tuple(scenes), cost=cost)

    def narrate_photos(
        self,
        *,
        title: str,
        description: str,
        details: Sequence[str],
        language: str,
        pictures: Sequence[ProductPicture],
    ) -> Translation:
        """One narration per picture, in order, in `language`: the model looks at each photo (an
        image part, detail "low") and the creator's description. Same count as pictures or a
        ProviderError."""
        language_name = PROMPT_LANGUAGE_NAMES.get(language, language)
        count = len(pictures)
        system = (
            "You narrate a short video made of the creator's own photos, shown in the order given. "
            'Answer only with a JSON object {"narrations": [str]} holding exactly one narration per photo, '
            f"{count} in all, in the same order. Each narration is what the voice says while that photo "
            f"is on screen, in {language_name}: one or two short sentences, at most about 12 seconds "
            "spoken, describing what the photo shows in the light of the description. Stay faithful to "
            "the description and the photos; invent no facts, prices or claims. The first narration opens "
            "with the title; the details, if any, are spoken where they fit; the last narration ends with "
            "a short closing line."
        )
        request = f"Title: {title}\nDescription: {description or '(none)'}"
        if details:
            request += "\nDetails to mention: " + " ".join(details)
        content: list[dict[str, Any]] = [{"type": "text", "text": request}]
        for index, picture in enumerate(pictures):
            url = f"data:{picture.mime_type};base64,{base64.b64encode(picture.data).decode()}"
            content.append({"type": "text", "text": f"Photo {index + 1}:"})
            content.append({"type": "image_url", "image_url": {"url": url, "detail": "low"}})
        data, cost = self._chat(
            "OpenAI photo narration", [{"role": "system", "content": system}, {"role": "user", "content": content}]
        )
        narrations = data.get("narrations")
        if not isinstance(narrations, list) or len(narrations) != count:
            got = len(narrations) if isinstance(narrations, list) else "no"
            raise ProviderError(f"OpenAI photo narration sent {got} narrations for {count} photos")
        return Translation(
            texts=tuple(
                _text(item, f"photo {index + 1}'s narration", MAX_NARRATION_CHARS)
                for index, item in enumerate(narrations)
            ),
            cost=cost,
        )

    def translate(self, texts: Sequence[str], *, source: str, target: str) -> Translation:
        """Each text translated, same count and order; empty texts stay empty."""
        wanted = [text for text in texts if text.strip()]
        if not wanted:
            return Translation(texts=tuple(texts))
        system = (
            f"Translate each item from {PROMPT_LANGUAGE_NAMES.get(source, source)} into "
            f"{PROMPT_LANGUAGE_NAMES.get(target, target)} "
            "for subtitles: faithful, natural, short. Answer only with a JSON object "
            '{"translations": [str]} holding exactly as many items as given, in the same order.'
        )
        data, cost = self._chat(
            "OpenAI translation",
            [
                {"role": "system", "content": system},
                {"role": "user", "content": json.dumps({"items": wanted}, ensure_ascii=False)},
            ],
        )
        translations = data.get("translations")
        if not isinstance(translations, list) or len(translations) != len(wanted):
            got = len(translations) if isinstance(translations, list) else "no"
            raise ProviderError(f"OpenAI translation sent {got} translations for {len(wanted)} texts")
        answers = iter(_text(item, "a translation", MAX_NARRATION_CHARS) for item in translations)
        return Translation(texts=tuple(next(answers) if text.strip() else text for text in texts), cost=cost)
