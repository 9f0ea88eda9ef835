"""Cost estimates: what a plan can cost with the providers configured now, before any call."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from renders.pipeline.plan import Plan

# The setting that must hold a key for a provider to take part in a chain (providers_config
# skips the others); the local providers need none.
PROVIDER_KEYS = {"openai": "OPENAI_API_KEY", "elevenlabs": "ELEVENLABS_API_KEY", "pexels": "PEXELS_API_KEY"}


def _configured(name: str) -> bool:
    key_setting = PROVIDER_KEYS.get(name)
    return key_setting is None or bool(getattr(settings, key_setting, ""))


def _highest_price(chain: list[str], prices: dict[str, float]) -> Decimal:
    """The dearest provider that can answer: any of them may, when the ones before it fail or
    find nothing (stock footage), so the estimate is an upper bound, never an under-count."""
    return max((Decimal(str(prices.get(name, 0))) for name in chain if _configured(name)), default=Decimal("0"))


def estimate_plan_cost(plan: Plan) -> Decimal:
    image_price = _highest_price(settings.IMAGE_PROVIDERS, settings.PRICE_PER_IMAGE)
    speech_price = _highest_price(settings.SPEECH_PROVIDERS, settings.PRICE_PER_1K_SPEECH_CHARS)
    painted = sum(1 for scene in plan.scenes if not scene.image)
    characters = sum(len(scene.narration) for scene in plan.scenes)
    cost = image_price * painted + speech_price * Decimal(characters) / 1000
    return cost.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
