from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts import audit, key_cache
from accounts.models import ApiKey, Profile, hash_api_key

API_KEY_PREFIX = "bk_"


def ensure_profile(user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def request_profile(user: User) -> Profile:
    """The profile loaded with this request's user, else `ensure_profile`.

    API-key authentication loads the profile with the user for each request (from the key cache,
    which drops it on every profile change), so a create need not read it again. Only for a user
    of the request being served: a user object kept longer may hold an old copy.
    """
    loaded = user._state.fields_cache.get("profile")
    return loaded if isinstance(loaded, Profile) else ensure_profile(user)


@transaction.atomic
def api_key_create(*, user: User, name: str) -> tuple[ApiKey, str]:
    """Create a key; return it and the raw key, which is never stored and never shown again."""
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(user=user, name=name.strip() or "API key", prefix=raw[:11], key_hash=hash_api_key(raw))
    audit.record(audit.Action.KEY_CREATED, actor=user, detail=f"key {key.name!r} ({key.prefix}…)")
    return key, raw


def api_key_revoke(*, key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit.record(audit.Action.KEY_REVOKED, detail=f"key {key.name!r} ({key.prefix}…) of {key.user.get_username()}")


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching raw_key (its user and profile loaded), or None. Compares hashes.

    Served from accounts.key_cache when it can be; a cached key is dropped as soon as the key,
    its user or their profile changes.
    """
    if not raw_key.startswith(API_KEY_PREFIX):
        return None
    key_hash = hash_api_key(raw_key)
    key = key_cache.cached_key(key_hash)
    if key is None:
        generation = key_cache.current_generation(key_hash)
        key = ApiKey.objects.select_related("user", "user__profile").filter(key_hash=key_hash, revoked_at=None).first()
        if key is None or not key.user.is_active:
            return None
        _touch(key)
        key_cache.remember_key(key, generation)
    elif _touch(key):
        # The next request reads it again, with its new last use: cached copies stay plain reads.
        key_cache.forget_key_hashes([key_hash])
    return key


def _touch(key: ApiKey) -> bool:
    """Record the key's use, at most once a minute; True when it was written."""
    now = timezone.now()
    if key.last_used_at is not None and (now - key.last_used_at).total_seconds() <= 60:
        return False
    key.last_used_at = now
    return ApiKey.objects.filter(pk=key.pk).update(last_used_at=now) > 0
