from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import ApiKey, Profile, hash_api_key

API_KEY_PREFIX = "bk_"


def ensure_profile(user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


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
    """The active key matching raw_key, or None. Compares hashes, never raw keys."""
    if not raw_key.startswith(API_KEY_PREFIX):
        return None
    key = (
        ApiKey.objects.select_related("user", "user__profile")
        .filter(key_hash=hash_api_key(raw_key), revoked_at=None)
        .first()
    )
    if key is None or not key.user.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        key.last_used_at = now
        key.save(update_fields=["last_used_at"])
    return key
