"""What every page needs to know about publishing: whether to offer YouTube at all."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def youtube_configured() -> bool:
    return bool(settings.YOUTUBE_CLIENT_ID and settings.YOUTUBE_CLIENT_SECRET)


def publishing(request: HttpRequest) -> dict[str, bool]:
    """`youtube_offered`: creators see YouTube (nav, a video's panel) only when it can work; staff
    always see it, with a note on how to enable it when it cannot."""
    user = getattr(request, "user", None)
    return publishing_for(bool(user is not None and user.is_authenticated and user.is_staff))


def publishing_for(is_staff: bool) -> dict[str, bool]:
    """The same, for a viewer known without the request (renders.poll_context: the polled region)."""
    configured = youtube_configured()
    return {"youtube_configured": configured, "youtube_offered": configured or is_staff}
