"""Cost estimates: what a plan can cost with the providers configured now, before any call."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from renders.pipeline.plan import Plan
from renders.providers_config import chain_names


def _highest_price(names: list[str], prices: dict[str, float]) -> Decimal:
    """The dearest provider the chain will hold: any of them may answer, when the ones before it
    fail or find nothing (stock footage), so the estimate is an upper bound, never an under-count."""
    return max((Decimal(str(prices.get(name, 0))) for name in names), default=Decimal("0"))


# What writing a topic's script sends and gets back, in tokens, for the estimate before the call:
# the instructions and topic, then about this much per scene (the scene, and its translation).
SCRIPT_TOKENS_IN = 600
SCRIPT_TOKENS_OUT_PER_SCENE = 250
# Narration characters a second of video holds, at an unhurried pace (estimates before a script exists).
NARRATION_CHARS_PER_SEC = 16


def _rounded(cost: Decimal) -> Decimal:
    return cost.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def estimate_script_cost(*, scene_count: int) -> Decimal:
    """What the chat calls writing a topic's script (and translating it) can cost, before making them."""
    tokens_in = Decimal(2 * SCRIPT_TOKENS_IN + scene_count * SCRIPT_TOKENS_OUT_PER_SCENE)  # the draft is re-sent
    tokens_out = Decimal(2 * scene_count * SCRIPT_TOKENS_OUT_PER_SCENE)
    price_in = Decimal(str(settings.PRICE_OPENAI_CHAT_1K_INPUT_TOKENS))
    price_out = Decimal(str(settings.PRICE_OPENAI_CHAT_1K_OUTPUT_TOKENS))
    return _rounded(tokens_in / 1000 * price_in + tokens_out / 1000 * price_out)


def estimate_topic_plan_cost(*, scene_count: int, duration_sec: float) -> Decimal:
    """A plan's cost before its script is written: this many painted scenes narrated for this long."""
    image_price = _highest_price(chain_names(settings.IMAGE_PROVIDERS, "local"), settings.PRICE_PER_IMAGE)
    speech_price = _highest_price(chain_names(settings.SPEECH_PROVIDERS, "espeak"), settings.PRICE_PER_1K_SPEECH_CHARS)
    characters = Decimal(str(duration_sec)) * NARRATION_CHARS_PER_SEC
    return _rounded(image_price * scene_count + speech_price * characters / 1000)


def estimate_plan_cost(plan: Plan) -> Decimal:
    image_price = _highest_price(chain_names(settings.IMAGE_PROVIDERS, "local"), settings.PRICE_PER_IMAGE)
    speech_price = _highest_price(chain_names(settings.SPEECH_PROVIDERS, "espeak"), settings.PRICE_PER_1K_SPEECH_CHARS)
    painted = sum(1 for scene in plan.scenes if not scene.image)
    characters = sum(len(scene.narration) for scene in plan.scenes)
    cost = image_price * painted + speech_price * Decimal(characters) / 1000
    return _rounded(cost)
