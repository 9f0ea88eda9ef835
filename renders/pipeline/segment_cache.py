"""Content-addressed cache of rendered segments (video pieces, mixed audio). No Django here.

A segment's key is a hash of everything that decides its bytes: the still's bytes, the burned
subtitle script, motion and timing, size, fps, encoder and its settings, watermark, font and
RENDERER_VERSION in compose.py. Entries are immutable: rendered under a temporary name in the
same directory and moved into place with os.replace, so a render killed half-way never leaves
a truncated entry that a later job would trust. Several jobs (and workers) share one cache;
two of them producing the same key at once both write identical bytes, and the last rename wins.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from pathlib import Path

_digest_lock = threading.Lock()
# (path, size, mtime_ns) -> sha256; stills are hashed once per process, not once per segment.
_digests: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, remembered while its size and mtime stay the same."""
    stat = path.stat()
    memo = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _digest_lock:
        known = _digests.get(memo)
    if known:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    with _digest_lock:
        _digests[memo] = value
    return value


def content_key(parts: dict[str, object]) -> str:
    """A stable hash of JSON-ready `parts` (key order does not matter)."""
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class SegmentCache:
    def __init__(self, root: Path):
        self.root = root / "segments"

    def path_for(self, key: str, suffix: str = ".mp4") -> Path:
        return self.root / key[:2] / f"{key}{suffix}"

    def lookup(self, key: str, suffix: str = ".mp4") -> Path | None:
        """The entry for `key` if present. A hit refreshes its mtime, so pruning can go oldest-first."""
        path = self.path_for(key, suffix)
        try:
            if path.stat().st_size > 0:
                os.utime(path)
                return path
        except FileNotFoundError:
            return None
        return None

    def temporary_path(self, key: str, suffix: str = ".mp4") -> Path:
        """A unique name next to the final entry (same filesystem, so os.replace is atomic).

        It keeps the real suffix last because ffmpeg picks the container from the extension.
        """
        final = self.path_for(key, suffix)
        final.parent.mkdir(parents=True, exist_ok=True)
        return final.with_name(f".{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial{suffix}")

    def commit(self, temporary: Path, key: str, suffix: str = ".mp4") -> Path:
        final = self.path_for(key, suffix)
        os.replace(temporary, final)
        return final
