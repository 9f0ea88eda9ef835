"""A short in-process layer in front of the shared cache, for the reads every poll makes.

A status poll on the production shape reads the shared cache (Redis) before it reads the job: the
API key (its entry and generation), the queue snapshot, or the browser session's viewer. Each is a
network round trip plus unpickling, a few hundred microseconds of the web process's CPU, for
answers that change rarely. A `NearCache` keeps what such a read settled in this process for
NEAR_CACHE_SEC (1 s by default) — long enough that a process serving a hundred polls a second reads
each from Redis about once a second, short enough to stay an honest cache:

- whoever changes the entry in this process drops it here at once (the owners call `drop`), so a
  revocation, sign-out or new job is seen at once by the process that made it;
- another process's change is seen within NEAR_CACHE_SEC (on top of the shared cache's own
  behaviour, documented by each owner).

Values are kept pickled, as Django's local-memory cache keeps them, so every reader gets its own
copy and no request mutates another's objects. With the embedded default (the cache itself is
local memory) there is nothing to save, and the layer is off unless NEAR_CACHE_SEC says otherwise.
"""

from __future__ import annotations

import pickle
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

NEAR_CACHE_SEC = 1.0


def near_seconds() -> float:
    configured = getattr(settings, "NEAR_CACHE_SEC", None)
    if configured is not None:
        return float(configured)
    return 0.0 if isinstance(cache, LocMemCache) else NEAR_CACHE_SEC


_ALL: list[NearCache] = []


def clear_all() -> None:
    """Empty every layer of this process (the tests' fresh cache; `cache.clear()` does not reach here)."""
    for layer in _ALL:
        layer.clear()


class NearCache:
    """Entries of one kind, in this process, for near_seconds() each; at most `max_entries`."""

    def __init__(self, max_entries: int = 4096, clock: Any = time.monotonic):
        self._entries: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self.clock = clock
        _ALL.append(self)

    def get(self, name: str) -> Any | None:
        found = self._entries.get(name)
        if found is None:
            return None
        expires, data = found
        if expires <= self.clock():
            with self._lock:
                if self._entries.get(name) is found:
                    del self._entries[name]
            return None
        return pickle.loads(data)  # noqa: S301 - bytes this process pickled itself, never input

    def put(self, name: str, value: Any) -> None:
        seconds = near_seconds()
        if seconds <= 0:
            return
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if len(self._entries) >= self._max_entries and name not in self._entries:
                now = self.clock()
                self._entries = {key: entry for key, entry in self._entries.items() if entry[0] > now}
                if len(self._entries) >= self._max_entries:
                    self._entries.clear()  # a flood of distinct names: start over rather than grow
            self._entries[name] = (self.clock() + seconds, data)

    def drop(self, *names: str) -> None:
        with self._lock:
            for name in names:
                self._entries.pop(name, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
