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


def estimate_plan_cost(plan: Plan) -> Decimal:
    image_price = _highest_price(chain_names(settings.IMAGE_PROVIDERS, "local"), settings.PRICE_PER_IMAGE)
    speech_price = _highest_price(chain_names(settings.SPEECH_PROVIDERS, "espeak"), settings.PRICE_PER_1K_SPEECH_CHARS)
    painted = sum(1 for scene in plan.scenes if not scene.image)
    characters = sum(len(scene.narration) for scene in plan.scenes)
    cost = image_price * painted + speech_price * Decimal(characters) / 1000
    return cost.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
