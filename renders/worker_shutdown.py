"""How a django-q2 worker process stops on SIGTERM or SIGINT without failing its job.

django-q2's workers inherit the default SIGTERM (die at once, mid-render) and an ignored SIGINT.
Each worker installs `on_stop_signal` when it spawns: an idle worker exits at once; a busy one
asks its render to stop, like a cancel, and execute_render_job puts the job back to queued (the
attempt not counted) with a fresh task, so it resumes from its work dir and cached segments on
whichever cluster runs next. ffmpeg runs in its own session (renders/pipeline/ffmpeg.py), so a
Ctrl-C in the terminal reaches the worker, not ffmpeg, and the worker stops it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class _Flag:
    """A flag a signal handler may set: no lock (Event.set takes one, and a second signal landing
    inside the first handler would deadlock on it). Set and read in one process; nobody waits on it."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def clear(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set


requested = _Flag()
_busy = _Flag()


class WorkerStopped(SystemExit):
    """Ends the worker process; django-q2's worker loop does not catch SystemExit."""


def on_stop_signal(signum: int, frame: FrameType | None) -> None:
    requested.set()
    if not _busy.is_set():
        raise WorkerStopped(0)


def install(**kwargs: Any) -> None:
    """django_q.signals.post_spawn receiver: runs in each worker process as it starts."""
    requested.clear()
    signal.signal(signal.SIGTERM, on_stop_signal)
    signal.signal(signal.SIGINT, on_stop_signal)


@contextmanager
def busy() -> Iterator[None]:
    """While a render runs, a stop signal asks it to stop instead of ending the process."""
    if requested.is_set():
        raise WorkerStopped(0)
    _busy.set()
    try:
        yield
    finally:
        _busy.clear()
    if requested.is_set():
        raise WorkerStopped(0)
