"""The API actors and stand-ins the compat tests share with the /api/v1 tests (same fixtures, imported)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from publishing.models import YouTubeChannel
from publishing.token_cipher import encrypt_token
from publishing.youtube import SCOPES
from renders.tests.api.conftest import (  # noqa: F401 - fixtures
    _fast_api_tests,
    ada,
    ada_api,
    alice_api,
    alice_key,
    bob_api,
    enqueued,
)
from renders.tests.conftest import no_openai, openai_settings, openai_standin  # noqa: F401 - fixtures


@pytest.fixture
def uploads_enqueued(monkeypatch) -> list[int]:
    """Publication ids handed to the upload queue; nothing is uploaded."""
    calls: list[int] = []
    monkeypatch.setattr(
        "publishing.services.scheduling.enqueue_upload", lambda *, publication_id: calls.append(publication_id)
    )
    return calls


@pytest.fixture
def alice_channel(alice: User) -> YouTubeChannel:
    # Scheduling only checks that a channel is connected; no token is used until the upload.
    return YouTubeChannel.objects.create(
        owner=alice, channel_id="UCcompat00000000000000000", title="Bhakti Stories",
        refresh_token=encrypt_token("refresh"), access_token=encrypt_token("access"), scopes=list(SCOPES),
    )  # fmt: skip
