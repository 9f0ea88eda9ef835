"""What publishing to YouTube refuses, as creators read it; importable without the Google client
libraries (publishing/youtube.py loads those: ~40 MB that every Django process would otherwise
carry from start-up, through the admin, whether or not it ever publishes)."""

from __future__ import annotations


class PublishError(Exception):
    """A YouTube failure a creator can act on. `code` is stable: quota_exceeded, auth_error, …"""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


class OAuthNotConfigured(PublishError):
    def __init__(self) -> None:
        super().__init__(
            "not_configured",
            "YouTube publishing is not set up on this server: an operator must set YOUTUBE_CLIENT_ID and "
            "YOUTUBE_CLIENT_SECRET (a Google Cloud OAuth client of type 'Web application').",
        )
