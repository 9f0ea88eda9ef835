"""The provider configuration warnings, for the staff's admin index."""

from __future__ import annotations

from django import template

from renders.providers_config import configuration_warnings

register = template.Library()


@register.simple_tag
def provider_warnings() -> list[str]:
    """Configured models shut down or dated for shutdown, retired voices (see /readyz `warnings`)."""
    return configuration_warnings()
