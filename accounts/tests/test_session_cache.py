"""The polling session cache: a known session costs no query, and any change that matters drops it."""

from __future__ import annotations

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import User
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import Profile
from accounts.services import ensure_profile
from accounts.session_cache import SessionViewer, session_viewer


@pytest.fixture(autouse=True, params=[0, 1], ids=["shared-cache-only", "near-layer-on"])
def _near_layer(request, settings) -> None:
    """Every test here holds with the in-process layer (bhakti.near_cache) off and on: a change made
    in this process must reach its own layer at once."""
    settings.NEAR_CACHE_SEC = request.param


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    ensure_profile(alice)
    client.force_login(alice)
    return client


def _viewer_of(client: Client) -> tuple[SessionViewer | None, int]:
    """What a request with this client's cookies resolves to, and the queries it took."""
    request = RequestFactory().get("/")
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    AuthenticationMiddleware(lambda r: HttpResponse()).process_request(request)
    with CaptureQueriesContext(connection) as captured:
        viewer = session_viewer(request)
    return viewer, len(captured.captured_queries)


def test_it_serves_a_known_session_without_a_query(alice_client, alice):
    first, queries = _viewer_of(alice_client)
    assert first == SessionViewer(user_id=alice.pk, is_superuser=False, is_staff=False, role=Profile.Role.CREATOR)
    assert queries == 3  # session, user, profile
    again, queries = _viewer_of(alice_client)
    assert (again, queries) == (first, 0)


def test_a_request_without_a_session_has_no_viewer(client, db):
    assert _viewer_of(client) == (None, 0)


def test_it_forgets_a_signed_out_session_at_once(alice_client):
    assert _viewer_of(alice_client)[0] is not None
    stale = Client()
    stale.cookies = alice_client.cookies.__class__(alice_client.cookies)  # the signed-out cookie, replayed
    alice_client.logout()
    assert _viewer_of(stale)[0] is None


def test_it_forgets_a_deactivated_user_at_once(alice_client, alice):
    assert _viewer_of(alice_client)[0] is not None
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert _viewer_of(alice_client)[0] is None


def test_it_sees_a_role_change_at_once(alice_client, alice):
    assert not _viewer_of(alice_client)[0].is_admin
    profile = alice.profile
    profile.role = Profile.Role.ADMIN
    profile.save(update_fields=["role"])
    assert _viewer_of(alice_client)[0].is_admin


def test_a_password_change_ends_the_other_sessions_polls(alice_client, alice):
    assert _viewer_of(alice_client)[0] is not None
    alice.set_password("a-new-password-456")
    alice.save()
    assert _viewer_of(alice_client)[0] is None  # Django's session hash check, no longer skipped
