"""The in-process layer in front of a shared cache: copies for a second, dropped at once by this
process's own changes, another process's changes seen within the second."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts import key_cache
from accounts.models import ApiKey, hash_api_key
from accounts.services import api_key_authenticate, api_key_create, api_key_revoke, ensure_profile
from bhakti.near_cache import NEAR_CACHE_SEC, NearCache, near_seconds
from renders import queue_estimate
from renders.eta import plan_work
from renders.models import DEFAULT_PRIORITY, JobState, RenderJob


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def near_on(settings) -> None:
    settings.NEAR_CACHE_SEC = 1


def test_it_is_off_in_front_of_local_memory_and_on_in_front_of_a_shared_cache(settings):
    settings.NEAR_CACHE_SEC = None
    from django.core.cache.backends.locmem import LocMemCache

    assert near_seconds() == (0.0 if isinstance(cache, LocMemCache) else NEAR_CACHE_SEC)
    settings.NEAR_CACHE_SEC = 0
    layer = NearCache()
    layer.put("a", 1)
    assert layer.get("a") is None and len(layer) == 0


def test_each_reader_gets_its_own_copy_until_the_entry_expires(near_on):
    clock = Clock()
    layer = NearCache(clock=clock)
    layer.put("viewer", {"roles": ["creator"]})
    first, second = layer.get("viewer"), layer.get("viewer")
    assert first == second == {"roles": ["creator"]}
    first["roles"].append("admin")  # one request changing its copy changes no one else's
    assert layer.get("viewer") == {"roles": ["creator"]}
    clock.now += 0.99
    assert layer.get("viewer") is not None
    clock.now += 0.02
    assert layer.get("viewer") is None and len(layer) == 0


def test_it_never_grows_past_its_bound(near_on):
    clock = Clock()
    layer = NearCache(max_entries=3, clock=clock)
    for name in "abcdef":
        layer.put(name, name)
        assert len(layer) <= 3
    assert layer.get("f") == "f"
    layer.drop("f")
    assert layer.get("f") is None


def test_another_process_revoking_a_key_is_seen_within_the_second(near_on, alice, monkeypatch):
    ensure_profile(alice)
    raw_key = api_key_create(user=alice, name="integration")[1]
    clock = Clock()
    monkeypatch.setattr(key_cache._NEAR, "clock", clock)
    assert api_key_authenticate(raw_key) is not None  # read, then cached in both layers
    assert api_key_authenticate(raw_key) is not None
    # Another process revokes it: the shared cache gets a new generation, this process's layer
    # hears nothing. Simulated by doing what that process does, without this process's receivers.
    key_hash = hash_api_key(raw_key)
    ApiKey.objects.filter(key_hash=key_hash).update(revoked_at=timezone.now())
    cache.set(key_cache.CACHE_PREFIX + "gen:" + key_hash, "other-process", key_cache.GENERATION_SEC)
    assert api_key_authenticate(raw_key) is not None  # within the second: the near copy
    clock.now += 1.01
    assert api_key_authenticate(raw_key) is None


def test_a_revocation_in_this_process_is_refused_at_once(near_on, alice):
    ensure_profile(alice)
    raw_key = api_key_create(user=alice, name="integration")[1]
    assert api_key_authenticate(raw_key) is not None
    assert api_key_authenticate(raw_key) is not None
    assert len(key_cache._NEAR) == 1
    api_key_revoke(key=ApiKey.objects.get(user=alice))
    assert api_key_authenticate(raw_key) is None


def test_a_job_queued_in_this_process_counts_in_the_next_estimate_at_once(near_on, alice, settings):
    settings.RENDER_WORKERS = 1
    plan = {"mode": "final", "resolution": "1080p", "scenes": [{"duration_sec": 60}] * 2}
    older = RenderJob.objects.create(owner=alice, title="a", plan=plan, state=JobState.QUEUED)
    newer_time = older.created_at + timedelta(seconds=5)
    before = queue_estimate.estimated_wait_for(state=JobState.QUEUED, created_at=newer_time)
    assert before is not None and before > 0
    # One more job ahead of `newer_time`, noted as job_create notes it: the near copy is amended.
    ahead_time = older.created_at + timedelta(seconds=1)
    RenderJob.objects.create(owner=alice, title="b", plan=plan, state=JobState.QUEUED)
    render_kind, planned_sec = plan_work(plan)
    queue_estimate.note_queued(
        created_at=ahead_time, priority=DEFAULT_PRIORITY, render_kind=render_kind, planned_sec=planned_sec
    )
    after = queue_estimate.estimated_wait_for(state=JobState.QUEUED, created_at=newer_time)
    assert after is not None and after > before
    queue_estimate.forget_snapshot()
    assert queue_estimate._NEAR.get(queue_estimate.SNAPSHOT_KEY) is None
