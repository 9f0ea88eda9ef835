"""The process's threads share one malloc arena (glibc only; elsewhere a no-op). No Django here.

glibc gives each thread that allocates an arena of its own and hands a thread arena's free
memory back to the system only from the arena's top. Painting stills on several threads
(images.py) therefore left what the painters freed with the process: measured on the bench's
60 s 1080p final, the Python process's peak rose from 84 to 132 MB in the speech step after
painting, and stayed there. With one arena, freed memory returns to the main heap, which glibc
trims; the painters' big allocations are few, so sharing one arena's lock costs nothing
measurable. Arenas made before the call stay; threads started after it use the main arena.
"""

from __future__ import annotations

import ctypes
import platform

M_MMAP_THRESHOLD = -3  # glibc's malloc.h
M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024

_done = False


def single_arena() -> bool:
    """Ask glibc to make no more arenas (idempotent). Returns whether the allocator took it."""
    global _done
    if _done:
        return True
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        _done = bool(libc.mallopt(M_ARENA_MAX, 1)) and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False
    return _done
