"""YouTube and Google OAuth stand-ins, a rendered job with its files, a connected channel."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from conftest import tiny_plan_data
from publishing.models import YouTubeChannel
from publishing.token_cipher import encrypt_token
from publishing.youtube import SCOPES
from renders.models import AssetKind, JobAsset, JobState, RenderJob
from tests.standins.google_oauth_server import CLIENT_ID, CLIENT_SECRET, GoogleOAuthStandin
from tests.standins.youtube_server import YouTubeStandin

VIDEO_BYTES = os.urandom(600 * 1024)  # three chunks: two of 256 KiB, then 88 KiB
CHUNK = 256 * 1024  # YouTube takes chunks in multiples of 256 KiB
SRT_EN = "1\n00:00:00,000 --> 00:00:01,500\nPrahlad prayed.\n"
SRT_HI = "1\n00:00:00,000 --> 00:00:01,500\nप्रह्लाद ने प्रार्थना की।\n"


@pytest.fixture
def oauth_standin() -> Iterator[GoogleOAuthStandin]:
    with GoogleOAuthStandin() as server:
        yield server


@pytest.fixture
def youtube_standin(oauth_standin: GoogleOAuthStandin) -> Iterator[YouTubeStandin]:
    with YouTubeStandin(oauth_standin) as server:
        yield server


@pytest.fixture(autouse=True)
def youtube_settings(settings, oauth_standin, youtube_standin, monkeypatch):
    settings.YOUTUBE_CLIENT_ID = CLIENT_ID
    settings.YOUTUBE_CLIENT_SECRET = CLIENT_SECRET
    settings.GOOGLE_OAUTH_AUTH_URI = oauth_standin.auth_uri
    settings.GOOGLE_OAUTH_TOKEN_URI = oauth_standin.token_uri
    settings.GOOGLE_OAUTH_REVOKE_URI = oauth_standin.revoke_uri
    settings.YOUTUBE_API_ROOT = youtube_standin.root_url
    settings.YOUTUBE_UPLOAD_CHUNK_BYTES = CHUNK
    settings.YOUTUBE_NUM_RETRIES = 0
    settings.PROVIDER_TIMEOUT_SEC = 10
    # The stand-ins speak plain http on 127.0.0.1; oauthlib insists on https otherwise.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    return settings


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    """Publication ids handed to the queue (after commit); tests run the task themselves."""
    calls: list[int] = []
    monkeypatch.setattr(
        "publishing.services.scheduling.enqueue_upload", lambda *, publication_id: calls.append(publication_id)
    )
    return calls


def make_rendered_job(owner, *, with_captions: bool = True) -> RenderJob:
    job = RenderJob.objects.create(
        owner=owner, title="Prahlad", language="en", plan=tiny_plan_data(), state=JobState.SUCCEEDED,
        progress_pct=100, finished_at=timezone.now(),
    )  # fmt: skip
    files = [
        (AssetKind.VIDEO, "", "video.mp4", VIDEO_BYTES),
        (AssetKind.THUMBNAIL, "", "thumbnail.jpg", b"\xff\xd8\xff thumb"),
    ]
    if with_captions:
        files += [
            (AssetKind.SUBTITLES_SRT, "en", "subtitles.en.srt", SRT_EN.encode()),
            (AssetKind.SUBTITLES_SRT, "hi", "subtitles.hi.srt", SRT_HI.encode()),
            (AssetKind.SUBTITLES_VTT, "en", "subtitles.en.vtt", b"WEBVTT\n"),
        ]
    for kind, language, name, data in files:
        asset = JobAsset(job=job, kind=kind, language=language, size_bytes=len(data))
        asset.file.save(name, ContentFile(data), save=False)
        asset.save()
    return job


@pytest.fixture
def rendered_job(alice) -> RenderJob:
    return make_rendered_job(alice)


def connect_channel(owner, oauth: GoogleOAuthStandin, *, expired: bool = False) -> YouTubeChannel:
    """A channel connected earlier: tokens the OAuth stand-in issued, stored encrypted."""
    scope = " ".join(SCOPES)
    access = oauth.issue_access_token(lifetime_sec=-60 if expired else 3600)
    expiry = timezone.now() + (dt.timedelta(minutes=-1) if expired else dt.timedelta(hours=1))
    return YouTubeChannel.objects.create(
        owner=owner, channel_id="UCstandinChannel000000000", title="Bhakti Stories",
        refresh_token=encrypt_token(oauth.issue_refresh_token(scope)), access_token=encrypt_token(access),
        access_token_expiry=expiry, scopes=list(SCOPES),
    )  # fmt: skip


@pytest.fixture
def channel(alice, oauth_standin) -> YouTubeChannel:
    return connect_channel(alice, oauth_standin)
