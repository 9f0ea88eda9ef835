"""ETags for a job's polled views, from `RenderJob.change_seq` (renders/job_version.py).

A poller that sends the ETag it last got back in `If-None-Match` is answered `304 Not Modified`
after one primary-key read of the job's version, instead of the job, its events and files being
read and rendered again. The version changes with every write a poller could see (database
triggers), so an unchanged ETag means an unchanged answer.
"""

from __future__ import annotations

from collections.abc import Iterable


def job_etag(*, kind: str, version: int, parts: Iterable[object] = ()) -> str:
    """A strong ETag: what the response shows (`kind`), the job's version, and anything else it
    depends on that the version does not cover (the queue estimate of a queued job, …)."""
    tail = "".join(f"-{part}" for part in parts if part is not None)
    return f'"{kind}{version}{tail}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for GET)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))
