"""Channels: finishing Google's OAuth flow, revoking it, and the stored tokens' credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.utils import timezone

from publishing.errors import PublishError
from publishing.models import YouTubeChannel
from publishing.token_cipher import TokenUnreadable, decrypt_token, encrypt_token

if TYPE_CHECKING:
    from publishing import youtube


def channel_connect(*, owner: User, redirect_uri: str, code: str, state: str, code_verifier: str) -> YouTubeChannel:
    """Finish the OAuth flow: exchange the code (with the PKCE verifier), find the channel, store tokens encrypted."""
    from publishing import youtube  # the Google libraries load only where a call needs them

    tokens = youtube.authorization_finish(redirect_uri, code=code, state=state, code_verifier=code_verifier)
    creds = youtube.credentials(tokens.access_token, tokens.refresh_token, tokens.expiry, list(tokens.scopes))
    try:
        info = youtube.channel_info(creds)
    except Exception as error:  # noqa: BLE001 - explain() turns every transport/API failure into a message
        raise youtube.explain(error, "reading your channel") from error
    channel, _created = YouTubeChannel.objects.update_or_create(
        owner=owner,
        defaults={
            "channel_id": info.id,
            "title": info.title,
            "refresh_token": encrypt_token(tokens.refresh_token),
            "access_token": encrypt_token(tokens.access_token),
            "access_token_expiry": tokens.expiry,
            "scopes": list(tokens.scopes),
            "connected_at": timezone.now(),  # a new consent: in Testing, Google's 7 days start again
        },
    )
    return channel


def channel_disconnect(*, owner: User) -> bool:
    """Revoke Bhakti's access at Google and forget the tokens. Returns whether Google confirmed the revoke."""
    channel = YouTubeChannel.objects.filter(owner=owner).first()
    if channel is None:
        return False
    try:
        token = decrypt_token(channel.refresh_token)
    except TokenUnreadable:
        token = ""
    from publishing import youtube

    revoked = youtube.revoke(token) if token else False
    channel.delete()
    return revoked


def channel_credentials(channel: YouTubeChannel) -> youtube.Credentials:
    from publishing import youtube

    try:
        access, refresh = decrypt_token(channel.access_token), decrypt_token(channel.refresh_token)
    except TokenUnreadable as error:
        raise PublishError(
            "auth_error",
            "Bhakti can no longer read your channel's stored sign-in (the server's key changed). Reconnect the channel.",
        ) from error
    return youtube.credentials(access, refresh, channel.access_token_expiry, list(channel.scopes))


def store_refreshed_token(channel: YouTubeChannel, creds: youtube.Credentials) -> None:
    from publishing import youtube

    token, expiry = youtube.token_state(creds)
    if token and (expiry != channel.access_token_expiry or not channel.access_token):
        channel.access_token = encrypt_token(token)
        channel.access_token_expiry = expiry
        channel.save(update_fields=["access_token", "access_token_expiry", "updated_at"])
