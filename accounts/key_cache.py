"""A short-lived cache of authenticated API keys, with their user and profile.

Every API request used to look its key up with a three-table join (key, user, profile): about a
quarter of a status poll's cost. The active key, loaded with its user and profile, is kept in the
cache under its hash for a short while (`cache_seconds`), and dropped the moment anything that decides
what the key may do is saved or deleted: the key itself (revocation), its user (deactivation,
superuser), the user's profile (role, quotas, webhook). Receivers of Django's model signals do the
dropping, so every path that saves through the ORM — services, admin, the shell — is covered.

Which processes see a drop at once is which processes share the cache: with Redis (REDIS_URL) all
of them, on every machine. The embedded default's local-memory cache belongs to one process, so
there another web process may accept a revoked key for up to LOCAL_CACHE_SEC seconds; that is why
the local-memory lifetime is short. `QuerySet.update()` sends no signals: code that changes these
models that way must call `forget_user_keys` itself.

In front of a shared cache, a key settled by it is also kept in this process for a second
(`bhakti.near_cache`): a drop made here is seen here at once, one made by another process within
that second.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from accounts.models import ApiKey
from bhakti.near_cache import NearCache

CACHE_PREFIX = "accounts:api-key:v1:"
SHARED_CACHE_SEC = 60
LOCAL_CACHE_SEC = 5


def cache_seconds() -> int:
    configured = getattr(settings, "API_KEY_CACHE_SEC", None)
    if configured is not None:
        return int(configured)
    return LOCAL_CACHE_SEC if isinstance(cache, LocMemCache) else SHARED_CACHE_SEC


GENERATION_SEC = 24 * 3600
_NEAR = NearCache()  # key hash -> the ApiKey the shared cache last settled


def _names(key_hash: str) -> tuple[str, str]:
    return CACHE_PREFIX + key_hash, CACHE_PREFIX + "gen:" + key_hash


def cached_key(key_hash: str) -> ApiKey | None:
    """The cached key, if it was cached under the key's current generation (one cache round trip).

    Every drop gives the key a new generation, so a copy read from the database before a change
    and cached after it (a request racing the revocation) is never served.
    """
    near = _NEAR.get(key_hash)
    if isinstance(near, ApiKey):
        return near
    entry_name, generation_name = _names(key_hash)
    found = cache.get_many([entry_name, generation_name])
    entry, generation = found.get(entry_name), found.get(generation_name)
    if generation is None or not isinstance(entry, tuple) or entry[0] != generation:
        return None
    if not isinstance(entry[1], ApiKey):
        return None
    _NEAR.put(key_hash, entry[1])
    return entry[1]


def current_generation(key_hash: str) -> str:
    """Taken before the database read whose result `remember_key` caches."""
    _, generation_name = _names(key_hash)
    cache.add(generation_name, secrets.token_hex(8), GENERATION_SEC)
    return cache.get(generation_name) or ""


def remember_key(key: ApiKey, generation: str) -> None:
    seconds = cache_seconds()
    if seconds > 0 and generation:
        cache.set(_names(key.key_hash)[0], (generation, key), seconds)


def forget_key_hashes(key_hashes: list[str]) -> None:
    _NEAR.drop(*key_hashes)
    if key_hashes:
        cache.set_many({_names(key_hash)[1]: secrets.token_hex(8) for key_hash in key_hashes}, GENERATION_SEC)


def forget_user_keys(user_id: int | None) -> None:
    """Drop every cached key of this user (after a change to the user or their profile)."""
    if user_id is not None:
        forget_key_hashes(list(ApiKey.objects.filter(user_id=user_id).values_list("key_hash", flat=True)))


def _key_changed(sender: type, instance: ApiKey, **kwargs: Any) -> None:
    forget_key_hashes([instance.key_hash])


def _user_changed(sender: type, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in (django.contrib.auth saves only last_login) changes nothing a key may do
    forget_user_keys(instance.pk)


def _profile_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    forget_user_keys(instance.user_id)


def connect_receivers() -> None:
    """Called by AccountsConfig.ready()."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save, pre_delete

    from accounts.models import Profile

    user_model = get_user_model()
    post_save.connect(_key_changed, sender=ApiKey, dispatch_uid="key_cache.key_saved")
    post_delete.connect(_key_changed, sender=ApiKey, dispatch_uid="key_cache.key_deleted")
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="key_cache.user_saved")
    # Before: once the user is gone, so are its keys (cascade) and the hashes to forget.
    pre_delete.connect(_user_changed, sender=user_model, dispatch_uid="key_cache.user_deleted")
    post_save.connect(_profile_changed, sender=Profile, dispatch_uid="key_cache.profile_saved")
    post_delete.connect(_profile_changed, sender=Profile, dispatch_uid="key_cache.profile_deleted")
