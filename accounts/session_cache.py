"""A short-lived cache of who a signed-in browser session is, for the pages a browser polls.

Resolving `request.user` loads the session row, the user row and (for the admin check) the profile:
three queries and about half the CPU of a job page's progress poll, every two seconds per open
page. `session_viewer` keeps what a poll needs to know about the session's user (`SessionViewer`)
in the cache under a hash of the session key, for `key_cache.cache_seconds()`, and drops it the
moment anything that decides what the session may see changes: the user or their profile is saved
or deleted (deactivation, a password change, a role), or the user signs in or out anywhere. The
drop is a new generation for the user, as in `accounts.key_cache`, so a copy read from the
database before the change and cached after it is never served.

Which processes see a drop at once is which processes share the cache: with Redis (REDIS_URL) all
of them. The embedded default's local-memory cache belongs to one process, so there another web
process may still answer a poll of a session signed out elsewhere for up to LOCAL_CACHE_SEC seconds
(polls only: every other page resolves `request.user` as usual). A session row deleted behind
Django's back (`clearsessions`, an expired session) is likewise honoured within the cache time.

In front of a shared cache, a viewer settled by it is also kept in this process for a second
(`bhakti.near_cache`); any drop made in this process empties that layer at once, another
process's drop is seen within the second.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.http import HttpRequest

from accounts.key_cache import GENERATION_SEC, cache_seconds
from accounts.models import Profile
from bhakti.near_cache import NearCache

CACHE_PREFIX = "accounts:session-viewer:v1:"
_NEAR = NearCache()  # entry name -> the SessionViewer the shared cache last settled


@dataclass(frozen=True)
class SessionViewer:
    """The signed-in user of a browser session, as much as a poll needs."""

    user_id: int
    is_superuser: bool
    is_staff: bool
    role: str  # Profile.role; "" for a user without a profile

    @property
    def is_admin(self) -> bool:
        """The same rule as renders.selectors.is_admin."""
        return self.is_superuser or self.role == Profile.Role.ADMIN


def _entry_name(session_key: str) -> str:
    # A hash, so the cache never holds a usable session key.
    return CACHE_PREFIX + hashlib.blake2s(session_key.encode()).hexdigest()


def _generation_name(user_id: object) -> str:
    return f"{CACHE_PREFIX}gen:{user_id}"


def session_viewer(request: HttpRequest) -> SessionViewer | None:
    """The session's signed-in user, or None when the request is not signed in.

    From the cache when it can be (two cache reads, no query); otherwise from `request.user`, as
    Django's AuthenticationMiddleware resolves it (session, user and its session hash check), and
    then cached.
    """
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    entry_name = _entry_name(session_key)
    near = _NEAR.get(entry_name)
    if isinstance(near, SessionViewer):
        return near
    entry = cache.get(entry_name)
    if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], SessionViewer):
        generation, viewer = entry
        if generation and cache.get(_generation_name(viewer.user_id)) == generation:
            _NEAR.put(entry_name, viewer)
            return viewer
    session_user_id = request.session.get(SESSION_KEY)
    if session_user_id is None:
        return None
    # Taken before the user is read: a change saved after this read gives the user a new generation.
    generation = _current_generation(session_user_id)
    user = request.user
    if not user.is_authenticated or str(user.pk) != str(session_user_id):
        return None
    try:
        role = user.profile.role
    except Profile.DoesNotExist:
        role = ""
    viewer = SessionViewer(user_id=user.pk, is_superuser=user.is_superuser, is_staff=user.is_staff, role=role)
    seconds = cache_seconds()
    if seconds > 0 and generation:
        cache.set(entry_name, (generation, viewer), seconds)
    return viewer


def _current_generation(user_id: object) -> str:
    name = _generation_name(user_id)
    cache.add(name, secrets.token_hex(8), GENERATION_SEC)
    return cache.get(name) or ""


def forget_user_sessions(user_id: object) -> None:
    """Drop every cached session of this user."""
    _NEAR.clear()  # keyed by session, not user: a sign-in or a profile change is rare enough
    if user_id is not None:
        cache.set(_generation_name(user_id), secrets.token_hex(8), GENERATION_SEC)


def _user_changed(sender: type, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in saves only last_login; user_logged_in drops the sessions itself
    forget_user_sessions(instance.pk)


def _profile_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    forget_user_sessions(instance.user_id)


def _signed_in_or_out(sender: type, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    # Signing in cycles or flushes the session key, signing out flushes it: the old key's entry
    # must not outlive its session row.
    if user is not None:
        forget_user_sessions(user.pk)


def connect_receivers() -> None:
    """Called by AccountsConfig.ready()."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.signals import user_logged_in, user_logged_out
    from django.db.models.signals import post_delete, post_save, pre_delete

    user_model = get_user_model()
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="session_cache.user_saved")
    pre_delete.connect(_user_changed, sender=user_model, dispatch_uid="session_cache.user_deleted")
    post_save.connect(_profile_changed, sender=Profile, dispatch_uid="session_cache.profile_saved")
    post_delete.connect(_profile_changed, sender=Profile, dispatch_uid="session_cache.profile_deleted")
    user_logged_in.connect(_signed_in_or_out, dispatch_uid="session_cache.signed_in")
    user_logged_out.connect(_signed_in_or_out, dispatch_uid="session_cache.signed_out")
