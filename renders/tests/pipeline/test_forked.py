from __future__ import annotations

import os
import signal
import threading

import pytest

from renders.pipeline import forked
from renders.pipeline.illustrator import LocalIllustrator
from renders.pipeline.illustrator import provider as illustrator

pytestmark = pytest.mark.skipif(not forked.available(), reason="forks only on Linux")


def _pid_bytes() -> bytes:
    return str(os.getpid()).encode()


def test_the_function_runs_in_another_process_and_its_bytes_come_back():
    assert forked.run_in_child(_pid_bytes) not in (None, _pid_bytes())
    assert forked.run_in_child(lambda size: b"x" * size, 3_000_000) == b"x" * 3_000_000  # more than a pipe holds


def _fails() -> bytes:
    raise ValueError("painting went wrong")


def _dies() -> bytes:
    os.kill(os.getpid(), signal.SIGKILL)
    return b"never"


def test_a_child_that_raises_or_is_killed_gives_none_and_leaves_no_zombie():
    assert forked.run_in_child(_fails) is None
    assert forked.run_in_child(_dies) is None
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # both children were reaped


def test_the_painter_in_a_child_paints_the_very_bytes_it_paints_here():
    args = ("a boy praying by a river", "", (320, 180), "seed")
    in_child = LocalIllustrator(in_child=True).generate(*args)
    assert in_child.data == LocalIllustrator().generate(*args).data
    assert in_child.data[:2] == b"\xff\xd8"  # a JPEG


def test_a_failed_child_paints_in_the_process_and_an_error_surfaces_there(monkeypatch):
    calls = []

    def paint(*args):
        calls.append(os.getpid())
        raise RuntimeError("the painter broke")

    monkeypatch.setattr(illustrator, "paint_jpeg", paint)
    with pytest.raises(RuntimeError, match="the painter broke"):
        LocalIllustrator(in_child=True).generate("a river", "", (64, 36), "seed")
    assert calls == [os.getpid()]  # the child's attempt is not ours; ours raised


def test_two_threads_paint_in_children_at_once():
    results: dict[int, bytes] = {}

    def paint(index: int) -> None:
        results[index] = LocalIllustrator(in_child=True).generate(f"scene {index}", "", (160, 90), "seed").data

    threads = [threading.Thread(target=paint, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {index: LocalIllustrator().generate(f"scene {index}", "", (160, 90), "seed").data for index in range(4)} == (
        results
    )


def test_forking_beside_other_threads_leaves_the_warning_filters_as_they_were():
    # Python's warning about forking a multi-threaded process is ignored by one filter set at
    # import, not by catch_warnings around each fork (not thread-safe: concurrent painters could
    # leave an ignore for every DeprecationWarning behind).
    import importlib
    import warnings

    importlib.reload(forked)  # pytest keeps filters set while collecting out of each test: set it again here
    message = "This process (pid=1) is multi-threaded, use of fork() may lead to deadlocks in the child."
    assert any(
        action == "ignore" and category is DeprecationWarning and pattern is not None and pattern.match(message)
        for action, pattern, category, *_ in warnings.filters
    )
    before = list(warnings.filters)
    waiting = threading.Event()
    bystander = threading.Thread(target=waiting.wait)
    bystander.start()
    try:
        threads = [threading.Thread(target=forked.run_in_child, args=(_pid_bytes,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        waiting.set()
        bystander.join()
    assert warnings.filters == before
