"""The API-key cache: a known key costs no query, and any change that matters drops it at once."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import key_cache
from accounts.models import ApiKey, Profile, hash_api_key
from accounts.services import api_key_authenticate, api_key_create, api_key_revoke, ensure_profile


@pytest.fixture(autouse=True, params=[0, 1], ids=["shared-cache-only", "near-layer-on"])
def _near_layer(request, settings) -> None:
    """Every test here holds with the in-process layer (bhakti.near_cache) off and on: a change made
    in this process must reach its own layer at once."""
    settings.NEAR_CACHE_SEC = request.param


@pytest.fixture
def alice_raw_key(alice) -> str:
    ensure_profile(alice)
    return api_key_create(user=alice, name="alice's integration")[1]


def _queries(call) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, len(captured.captured_queries)


def test_it_serves_a_known_key_from_the_cache(alice, alice_raw_key):
    first = api_key_authenticate(alice_raw_key)  # read from the database, last use written
    key, queries = _queries(lambda: api_key_authenticate(alice_raw_key))
    assert queries == 0
    assert key == first and key.user == alice
    assert key.user.profile.role == Profile.Role.CREATOR  # loaded with it: no query either


def test_it_refuses_a_revoked_key_at_once(alice, alice_raw_key):
    assert api_key_authenticate(alice_raw_key) is not None
    api_key_revoke(key=ApiKey.objects.get(user=alice))
    assert api_key_authenticate(alice_raw_key) is None


def test_a_revocation_reaches_every_client_of_the_shared_cache(alice, alice_raw_key):
    # Another process is another client of the same cache (Redis in production); what this
    # process keeps in its own near layer is dropped by the revocation made here.
    assert api_key_authenticate(alice_raw_key) is not None
    other_process = caches.create_connection("default")
    key_hash = hash_api_key(alice_raw_key)
    assert other_process.get(key_cache.CACHE_PREFIX + key_hash) is not None
    api_key_revoke(key=ApiKey.objects.get(user=alice))
    entry = other_process.get(key_cache.CACHE_PREFIX + key_hash)
    generation = other_process.get(key_cache.CACHE_PREFIX + "gen:" + key_hash)
    assert entry is None or entry[0] != generation  # what it holds is no longer served
    assert key_cache.cached_key(key_hash) is None


def test_it_refuses_the_key_of_a_deactivated_user_at_once(alice, alice_raw_key):
    assert api_key_authenticate(alice_raw_key) is not None
    alice.is_active = False
    alice.save()
    assert api_key_authenticate(alice_raw_key) is None


def test_it_sees_a_profile_change_at_once(alice, alice_raw_key):
    assert api_key_authenticate(alice_raw_key).user.profile.jobs_per_day is None
    profile = Profile.objects.get(user=alice)
    profile.jobs_per_day = 3
    profile.role = Profile.Role.ADMIN
    profile.save()
    key = api_key_authenticate(alice_raw_key)
    assert key.user.profile.jobs_per_day == 3 and key.user.profile.role == Profile.Role.ADMIN


def test_a_copy_read_before_a_revocation_is_never_served(alice, alice_raw_key):
    # A request reads the key, the key is revoked, then that request caches what it read.
    key_hash = hash_api_key(alice_raw_key)
    generation = key_cache.current_generation(key_hash)
    read_before = ApiKey.objects.select_related("user", "user__profile").get(key_hash=key_hash)
    api_key_revoke(key=ApiKey.objects.get(pk=read_before.pk))
    key_cache.remember_key(read_before, generation)
    assert key_cache.cached_key(key_hash) is None
    assert api_key_authenticate(alice_raw_key) is None


def test_a_sign_in_keeps_the_cached_keys(alice, alice_raw_key, client):
    api_key_authenticate(alice_raw_key)
    client.force_login(alice)  # saves last_login only
    _, queries = _queries(lambda: api_key_authenticate(alice_raw_key))
    assert queries == 0


def test_it_refuses_the_keys_of_a_deleted_user(alice, alice_raw_key):
    assert api_key_authenticate(alice_raw_key) is not None
    alice.delete()
    assert api_key_authenticate(alice_raw_key) is None
