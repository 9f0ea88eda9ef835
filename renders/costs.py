"""Cost estimates: what a plan will cost with the providers configured now, before any call."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from renders.pipeline.plan import Plan


def _first_price(chain: list[str], prices: dict[str, float]) -> Decimal:
    # The first provider in the chain is the one expected to answer; fallbacks only cost less.
    for name in chain:
        if name in prices:
            return Decimal(str(prices[name]))
    return Decimal("0")


def estimate_plan_cost(plan: Plan) -> Decimal:
    image_price = _first_price(settings.IMAGE_PROVIDERS, settings.PRICE_PER_IMAGE)
    speech_price = _first_price(settings.SPEECH_PROVIDERS, settings.PRICE_PER_1K_SPEECH_CHARS)
    painted = sum(1 for scene in plan.scenes if not scene.image)
    characters = sum(len(scene.narration) for scene in plan.scenes)
    cost = image_price * painted + speech_price * Decimal(characters) / 1000
    return cost.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
