"""bhakti.redis_cache: one redis.Redis per connection pool for the whole process."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache, caches

from bhakti.redis_cache import RedisCache


def test_every_operation_shares_one_client_per_pool():
    backend = RedisCache("redis://127.0.0.1:6379/0", {})  # no connection is made until a command runs
    first = backend._cache.get_client()
    assert backend._cache.get_client(write=True) is first  # one server: reads and writes share its pool
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(backend._cache.get_client())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(client is first for client in seen)
    assert first.connection_pool is backend._cache._pools[0]  # Django's pool, made once


def test_reads_may_go_to_the_replicas_through_their_own_client():
    backend = RedisCache("redis://127.0.0.1:6379/0,redis://127.0.0.1:6380/0", {})
    writer = backend._cache.get_client(write=True)
    reader = backend._cache.get_client()  # the only replica: index 1
    assert reader is not writer and reader is backend._cache.get_client()
    assert reader.connection_pool.connection_kwargs["port"] == 6380


@pytest.mark.skipif(not isinstance(caches["default"], RedisCache), reason="the production pass runs this against Redis")
def test_the_configured_cache_round_trips_through_redis():
    cache.set("bhakti-test:redis-cache", {"a": [1, 2]}, 30)
    assert cache.get("bhakti-test:redis-cache") == {"a": [1, 2]}
    cache.delete("bhakti-test:counter")
    assert cache.add("bhakti-test:counter", 1, 30)
    assert cache.incr("bhakti-test:counter") == 2
    cache.delete_many(["bhakti-test:redis-cache", "bhakti-test:counter"])
    assert cache.get("bhakti-test:redis-cache") is None
