import platform

import pytest

from renders.pipeline import allocator


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_takes_the_single_arena_and_the_fixed_mmap_threshold_once():
    assert allocator.single_arena() is True
    assert allocator.single_arena() is True  # idempotent: set once per process
