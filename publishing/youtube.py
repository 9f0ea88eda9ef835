"""The YouTube and Google OAuth client: builds the API from the bundled discovery document,
manages credentials (refreshing expired access tokens), uploads, and turns failures into
plain messages for creators.

The discovery document ships with google-api-python-client, so building the client needs no
network; when YOUTUBE_API_ROOT is set (tests, a proxy) its rootUrl is pointed there, and with
it the media upload URLs, which the client derives from rootUrl.

Only the functions that call Google import this module (the services and views import it inside
them); PublishError lives in publishing/errors.py so that catching it loads nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.client
import json
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google_auth_httplib2
import httplib2
import requests
from django.conf import settings
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError, ResumableUploadError
from googleapiclient.http import MediaFileUpload, build_http

from publishing.errors import OAuthNotConfigured, PublishError
from renders.pipeline.plan import LANGUAGE_NAMES, NATIVE_LANGUAGE_NAMES

logger = logging.getLogger(__name__)

# youtube.upload alone cannot set captions or change a video's status (videos.update);
# youtube.force-ssl can, and channels.list(mine=True) needs it too.
SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.force-ssl",
)
# A caption track's name, in the language itself first: "हिन्दी (Hindi)".
CAPTION_TRACK_NAMES = {
    code: name if NATIVE_LANGUAGE_NAMES[code] == name else f"{NATIVE_LANGUAGE_NAMES[code]} ({name})"
    for code, name in LANGUAGE_NAMES.items()
} | {"hi-Latn": "Hindi (Roman letters)"}  # a Hindi video's Roman Hindi subtitles (renders.pipeline.roman)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expiry: dt.datetime | None  # aware UTC
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class ChannelInfo:
    id: str
    title: str


# --- OAuth web flow ---------------------------------------------------------------------------


def _client_config(redirect_uri: str) -> dict[str, Any]:
    if not (settings.YOUTUBE_CLIENT_ID and settings.YOUTUBE_CLIENT_SECRET):
        raise OAuthNotConfigured()
    return {
        "web": {
            "client_id": settings.YOUTUBE_CLIENT_ID,
            "client_secret": settings.YOUTUBE_CLIENT_SECRET,
            "auth_uri": settings.GOOGLE_OAUTH_AUTH_URI,
            "token_uri": settings.GOOGLE_OAUTH_TOKEN_URI,
            "redirect_uris": [redirect_uri],
        }
    }


def authorization_start(redirect_uri: str) -> tuple[str, str, str]:
    """(URL to send the creator to, state, PKCE code verifier). Keep state and verifier for the callback."""
    flow = Flow.from_client_config(_client_config(redirect_uri), scopes=list(SCOPES), redirect_uri=redirect_uri)
    url, state = flow.authorization_url(access_type="offline", prompt="consent", include_granted_scopes="true")
    return url, state, flow.code_verifier or ""


def authorization_finish(redirect_uri: str, *, code: str, state: str, code_verifier: str) -> TokenSet:
    """Exchange the callback's code for tokens, proving the PKCE verifier from authorization_start.

    A Flow rebuilt here would invent a new verifier; the one kept since the redirect is passed in.
    """
    flow = Flow.from_client_config(
        _client_config(redirect_uri),
        scopes=list(SCOPES),
        redirect_uri=redirect_uri,
        state=state,
        code_verifier=code_verifier,
        autogenerate_code_verifier=False,
    )
    # Google answers with every scope granted so far (include_granted_scopes), which oauthlib would
    # treat as an error; the scopes are checked below instead.
    os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    try:
        token = flow.fetch_token(code=code, timeout=settings.PROVIDER_TIMEOUT_SEC)
    except Exception as error:  # noqa: BLE001 - oauthlib raises many types; all mean "the exchange failed"
        logger.warning("YouTube token exchange failed: %r", error)
        raise PublishError(
            "auth_error", f"Google did not accept the sign-in ({error}). Connect the channel again."
        ) from error
    refresh_token = token.get("refresh_token") or ""
    if not refresh_token:
        raise PublishError(
            "auth_error",
            "Google sent no refresh token, so Bhakti could not upload later. Remove Bhakti's access in your "
            "Google account's security settings, then connect again.",
        )
    granted = (
        tuple(str(token.get("scope") or "").split())
        if isinstance(token.get("scope"), str)
        else tuple(token.get("scope") or ())
    )
    missing = [scope for scope in SCOPES if scope not in granted]
    if granted and missing:
        raise PublishError(
            "insufficient_scope",
            "Bhakti needs permission to upload videos and to manage their captions. Connect again and allow both.",
        )
    expires_at = token.get("expires_at")
    expiry = dt.datetime.fromtimestamp(float(expires_at), tz=dt.UTC) if expires_at else None
    return TokenSet(
        access_token=token["access_token"], refresh_token=refresh_token, expiry=expiry, scopes=granted or SCOPES
    )


def revoke(token: str) -> bool:
    """Ask Google to revoke a token; False when Google says it is already invalid or cannot be reached."""
    try:
        response = requests.post(
            settings.GOOGLE_OAUTH_REVOKE_URI,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=settings.PROVIDER_TIMEOUT_SEC,
        )
    except requests.RequestException as error:
        logger.warning("YouTube token revoke failed: %r", error)
        return False
    return response.status_code == 200


# --- The API client ---------------------------------------------------------------------------


@functools.cache
def _discovery_document(root: str) -> str:
    doc = json.loads(get_static_doc("youtube", "v3"))
    if root:
        root = root.rstrip("/") + "/"
        doc["rootUrl"] = root
        doc["mtlsRootUrl"] = root
        doc["baseUrl"] = root + doc.get("servicePath", "")
    return json.dumps(doc)


def credentials(access_token: str, refresh_token: str, expiry: dt.datetime | None, scopes: list[str]) -> Credentials:
    naive_expiry = expiry.astimezone(dt.UTC).replace(tzinfo=None) if expiry else None  # google-auth wants naive UTC
    return Credentials(
        token=access_token or None,
        refresh_token=refresh_token,
        token_uri=settings.GOOGLE_OAUTH_TOKEN_URI,
        client_id=settings.YOUTUBE_CLIENT_ID,
        client_secret=settings.YOUTUBE_CLIENT_SECRET,
        scopes=scopes or list(SCOPES),
        expiry=naive_expiry,
    )


def token_state(creds: Credentials) -> tuple[str, dt.datetime | None]:
    """The (possibly refreshed) access token and its aware expiry, to store back."""
    expiry = creds.expiry.replace(tzinfo=dt.UTC) if creds.expiry else None
    return creds.token or "", expiry


def service(creds: Credentials) -> Any:
    # build_http() stops httplib2 treating YouTube's "308 Resume Incomplete" as a redirect.
    raw_http = build_http()
    raw_http.timeout = settings.PROVIDER_TIMEOUT_SEC
    http = google_auth_httplib2.AuthorizedHttp(creds, http=raw_http)
    return build_from_document(_discovery_document(settings.YOUTUBE_API_ROOT), http=http)


def _reason_and_message(error: HttpError) -> tuple[str, str]:
    try:
        data = json.loads(error.content or b"{}")
    except ValueError:
        return "", ""
    body = data.get("error") if isinstance(data, dict) else None
    if not isinstance(body, dict):
        return "", ""
    reasons = [item.get("reason", "") for item in body.get("errors") or [] if isinstance(item, dict)]
    return (reasons[0] if reasons else ""), str(body.get("message") or "")


# The daily quota resets at midnight Pacific time; no retry passes before. A rate limit is brief:
# the client already retried it (googleapiclient retries 403 rateLimitExceeded/userRateLimitExceeded).
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


def explain(error: BaseException, doing: str) -> PublishError:
    """A plain message for any failure talking to YouTube while `doing` something."""
    if isinstance(error, PublishError):
        return error
    if isinstance(error, RefreshError):
        testing = (
            " This server's Google sign-in app is in Testing, where Google ends every connection after 7 days; "
            "the operator can publish the app to lift that."
            if settings.GOOGLE_OAUTH_APP_IN_TESTING
            else ""
        )
        return PublishError(
            "auth_error",
            "YouTube no longer accepts Bhakti's access to your channel (it was revoked or has expired). "
            "Reconnect the channel on the Publishing page, then press Retry." + testing,
        )
    if isinstance(error, HttpError):
        status = error.resp.status
        reason, message = _reason_and_message(error)
        if reason in QUOTA_REASONS:
            return PublishError(
                "quota_exceeded",
                f"YouTube's upload quota is used up, so {doing} has to wait. The quota resets daily at midnight "
                "Pacific time; press Retry after that (nothing is uploaded twice).",
            )
        if reason in RATE_LIMIT_REASONS or status == 429:
            return PublishError(
                "rate_limited",
                f"YouTube asked Bhakti to slow down during {doing} (too many requests in a short time; the daily "
                "quota is not used up). Press Retry in a few minutes.",
            )
        if reason == "uploadLimitExceeded":
            return PublishError(
                "quota_exceeded",
                "Your channel has reached YouTube's limit on uploads for now. Try again in 24 hours with Retry.",
            )
        if status == 401:
            return PublishError(
                "auth_error",
                "YouTube rejected Bhakti's sign-in for your channel. Reconnect the channel, then press Retry.",
            )
        if status == 403 and reason in {"insufficientPermissions", "forbidden"}:
            return PublishError(
                "auth_error",
                f"YouTube refused {doing}: Bhakti lacks permission ({message or reason}). Reconnect the channel "
                "and allow uploading videos and managing captions.",
            )
        if status >= 500:
            return PublishError(
                "youtube_unavailable", f"YouTube had a server error during {doing}. Press Retry in a few minutes."
            )
        return PublishError("youtube_error", f"YouTube refused {doing}: {message or reason or f'HTTP {status}'}.")
    if isinstance(error, ResumableUploadError):
        return PublishError("youtube_error", f"YouTube stopped {doing}. Press Retry.")
    if isinstance(error, (TransportError, httplib2.HttpLib2Error, socket.timeout, OSError)):
        return PublishError(
            "network_error", f"Could not reach YouTube during {doing} ({error}). Press Retry in a few minutes."
        )
    return PublishError("youtube_error", f"{doing} failed unexpectedly ({type(error).__name__}: {error}). Press Retry.")


def channel_info(creds: Credentials) -> ChannelInfo:
    response = (
        service(creds).channels().list(part="snippet", mine=True).execute(num_retries=settings.YOUTUBE_NUM_RETRIES)
    )
    items = response.get("items") or []
    if not items:
        raise PublishError(
            "no_channel",
            "This Google account has no YouTube channel yet. Create one on youtube.com, then connect again.",
        )
    return ChannelInfo(id=items[0]["id"], title=items[0].get("snippet", {}).get("title", ""))


def upload_video(
    creds: Credentials,
    path: Path,
    *,
    snippet: dict[str, Any],
    status: dict[str, Any],
    on_progress: Callable[[float], bool],
) -> str:
    """Resumable upload in YOUTUBE_UPLOAD_CHUNK_BYTES chunks. `on_progress(fraction)` returning
    False stops the upload (the creator canceled). Returns the video id, or "" when stopped."""
    media = MediaFileUpload(
        str(path), mimetype="video/mp4", chunksize=settings.YOUTUBE_UPLOAD_CHUNK_BYTES, resumable=True
    )
    request = (
        service(creds)
        .videos()
        .insert(
            part="snippet,status", body={"snippet": snippet, "status": status}, media_body=media, notifySubscribers=True
        )
    )
    response = None
    dropped = 0
    while response is None:
        try:
            progress, response = request.next_chunk(num_retries=settings.YOUTUBE_NUM_RETRIES)
        except (TimeoutError, ConnectionError, http.client.HTTPException, httplib2.HttpLib2Error):
            # The connection dropped mid-chunk. The request is now "in error state": its next call
            # asks YouTube how much arrived (308 + Range) and resumes from there, rather than
            # failing the publication and uploading the whole video again on Retry.
            dropped += 1
            if dropped > max(1, settings.YOUTUBE_NUM_RETRIES):
                raise
            continue
        dropped = 0
        if response is None and progress is not None and not on_progress(progress.progress()):
            return ""
    video_id = response.get("id") if isinstance(response, dict) else None
    if not video_id:
        raise PublishError("youtube_error", "YouTube accepted the upload but sent no video id. Check YouTube Studio.")
    return str(video_id)


def processing_status(creds: Credentials, video_id: str) -> str:
    """YouTube's processingDetails.processingStatus: processing, succeeded, failed or terminated."""
    response = (
        service(creds)
        .videos()
        .list(part="processingDetails", id=video_id)
        .execute(num_retries=settings.YOUTUBE_NUM_RETRIES)
    )
    items = response.get("items") or []
    if not items:
        return "processing"  # a fresh upload may not be listed yet
    return str(items[0].get("processingDetails", {}).get("processingStatus") or "processing")


def wait_until_processed(
    creds: Credentials, video_id: str, *, timeout_sec: float, poll_sec: float, sleep: Callable[[float], None]
) -> bool:
    """Poll until YouTube has processed the video; False when it is still processing at the end."""
    waited = 0.0
    while True:
        if processing_status(creds, video_id) != "processing":
            return True
        if waited >= timeout_sec:
            return False
        sleep(poll_sec)
        waited += max(poll_sec, 0.001)


def set_thumbnail(creds: Credentials, video_id: str, path: Path) -> None:
    """Set the video's custom thumbnail. A channel that may not set custom thumbnails (not
    phone-verified) gets 403 `forbidden`, which is no sign-in problem: PublishError
    `thumbnail_refused`, which the caller notes without failing the upload."""
    mimetype = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
    try:
        service(creds).thumbnails().set(
            videoId=video_id, media_body=MediaFileUpload(str(path), mimetype=mimetype)
        ).execute(num_retries=settings.YOUTUBE_NUM_RETRIES)
    except HttpError as error:
        reason, message = _reason_and_message(error)
        if error.resp.status == 403 and reason == "forbidden":
            raise PublishError(
                "thumbnail_refused",
                "YouTube did not take the custom thumbnail: this channel may not set custom thumbnails yet "
                f"({message or reason}). Verify the channel at https://www.youtube.com/verify; the video is "
                "published with a frame YouTube picks, and you can set the thumbnail in YouTube Studio.",
            ) from error
        raise


def insert_caption(creds: Credentials, video_id: str, language: str, path: Path) -> None:
    snippet = {
        "videoId": video_id,
        "language": language,
        "name": CAPTION_TRACK_NAMES.get(language, language),
        "isDraft": False,
    }
    service(creds).captions().insert(
        part="snippet",
        body={"snippet": snippet},
        media_body=MediaFileUpload(str(path), mimetype="application/octet-stream"),
    ).execute(num_retries=settings.YOUTUBE_NUM_RETRIES)


def keep_private(creds: Credentials, video_id: str, *, made_for_kids: bool) -> None:
    """Withdraw a scheduled publishAt: the video stays private on YouTube.

    videos.update replaces the whole status part, resetting any field left out (embeddable,
    license, publicStatsViewable, …) to its default: the current status is read first and sent
    back with only privacyStatus and publishAt changed.
    """
    api = service(creds)
    listed = api.videos().list(part="status", id=video_id).execute(num_retries=settings.YOUTUBE_NUM_RETRIES)
    items = listed.get("items") or []
    current = dict(items[0].get("status") or {}) if items else {}
    # Read-only fields YouTube reports but does not take back.
    for field in ("uploadStatus", "failureReason", "rejectionReason", "madeForKids"):
        current.pop(field, None)
    status = {
        **current,
        "privacyStatus": "private",
        "publishAt": None,
        "selfDeclaredMadeForKids": current.get("selfDeclaredMadeForKids", made_for_kids),
    }
    api.videos().update(part="status", body={"id": video_id, "status": status}).execute(
        num_retries=settings.YOUTUBE_NUM_RETRIES
    )
