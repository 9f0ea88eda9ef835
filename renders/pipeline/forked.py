"""Run a CPU-bound function that returns bytes in a forked child process. No Django here.

The offline painter is Python and Pillow, and Python holds the GIL through much of it: two
paintings on two threads measured 1.45× one, not 2× (3.5 s of CPU in 2.3 s of wall for the
bench's ten stills, a core idle ~0.4 of the time), and the two paintings' canvases and layers
(~25 MB each at 1080p) were the render's Python peak. In a child of its own each painting has a
core and a GIL to itself, and its memory goes with the child.

A fork, not multiprocessing: a django-q worker is a daemonic process, which multiprocessing
refuses to give children, and a fork copies what the function needs (modules, arguments) without
pickling or importing anything again. The child only computes and writes its bytes to a pipe,
then leaves by os._exit: no atexit handlers, no flushing of the parent's buffers, no goodbye on
the parent's database or HTTP connections. Anything unexpected (no fork on this platform, the
child killed, an exception in it) gives None, and the caller does the work itself: the function
must be deterministic, so doing it again gives the same bytes, or raises its real error where
the caller can see it.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable

_OK = b"\0"
# Python 3.12+ warns when a process with other threads forks (a lock one of them holds stays held
# in the child). The child here touches only the function's own work. Set once, here:
# warnings.catch_warnings() around the fork is not thread-safe (two painting threads restoring
# each other's filters could leave an ignore in place for every DeprecationWarning).
warnings.filterwarnings("ignore", message=r".*is multi-threaded, use of fork\(\)", category=DeprecationWarning)


def available() -> bool:
    """Whether run_in_child can fork here (Linux only: elsewhere fork is missing or unsafe)."""
    return sys.platform == "linux" and hasattr(os, "fork")


def run_in_child(function: Callable[..., bytes], *args: object) -> bytes | None:
    """function(*args) computed in a forked child; None when it could not be (see the module)."""
    if not available():
        return None
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read)
            data = function(*args)
            with os.fdopen(write, "wb") as out:
                out.write(_OK + data)
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    try:
        with os.fdopen(read, "rb") as answer:
            payload = answer.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if status != 0 or not payload.startswith(_OK):
        return None
    return payload[len(_OK) :]
