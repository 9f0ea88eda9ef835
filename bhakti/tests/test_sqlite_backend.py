"""Writers to one SQLite file take turns through bhakti.sqlite_backend's lock, released at
COMMIT, ROLLBACK, a failed statement and a closed connection; other processes wait their turn."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from django.db.utils import IntegrityError, OperationalError

from bhakti.sqlite_backend.base import DatabaseWrapper, writer_lock


def _connection(path: Path, alias: str) -> DatabaseWrapper:
    settings = {
        **connections.settings["default"],
        "ENGINE": "bhakti.sqlite_backend",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 2, "init_command": "PRAGMA journal_mode=WAL;"},
        "TEST": {},
    }
    return DatabaseWrapper(settings, alias=alias)


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker) -> Iterator[None]:
    """These tests open connections of their own to a file of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "turns.sqlite3"
    setup = _connection(path, "setup")
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
    setup.close()
    return path


def _lock_is_free(path: Path) -> bool:
    lock = writer_lock(str(path))
    if not lock._thread_lock.acquire(blocking=False):
        return False
    lock._thread_lock.release()
    probe = subprocess.run(  # another process: the flock is free only if nobody here holds it
        [sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)",
         lock.path],
        capture_output=True,
    )  # fmt: skip
    return probe.returncode == 0


def test_a_transaction_holds_the_turn_until_commit_or_rollback(database):
    first = _connection(database, "first")
    first.ensure_connection()
    first._start_transaction_under_autocommit()  # what transaction.atomic() does first
    first.cursor().execute("INSERT INTO item (name) VALUES ('a')")
    assert not _lock_is_free(database)
    first._commit()
    assert _lock_is_free(database)

    first._start_transaction_under_autocommit()
    first.cursor().execute("INSERT INTO item (name) VALUES ('b')")
    first._rollback()
    assert _lock_is_free(database)
    with first.cursor() as cursor:
        cursor.execute("SELECT name FROM item ORDER BY name")
        assert cursor.fetchall() == [("a",)]
    first.close()


def test_a_failed_write_outside_a_transaction_and_a_closed_connection_give_the_turn_back(database):
    first = _connection(database, "first")
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO item (name) VALUES ('a')")
        assert _lock_is_free(database)  # an autocommit write takes the turn for its statement only
        with pytest.raises(IntegrityError):
            cursor.execute("INSERT INTO item (name) VALUES ('a')")
    assert _lock_is_free(database)
    first._start_transaction_under_autocommit()
    assert not _lock_is_free(database)
    first.close()  # e.g. a request's end closing an obsolete connection mid-transaction
    assert _lock_is_free(database)


def test_a_second_writer_waits_for_the_turn_and_goes_the_moment_it_is_given_back(database):
    first = _connection(database, "first")
    first.ensure_connection()
    first._start_transaction_under_autocommit()
    first.cursor().execute("INSERT INTO item (name) VALUES ('first')")
    finished: list[float] = []

    def write() -> None:
        second = _connection(database, "second")  # a connection per thread, as Django keeps them
        with second.cursor() as cursor:
            cursor.execute("INSERT INTO item (name) VALUES ('second')")
        finished.append(time.monotonic())
        second.close()

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.3)
    assert not finished  # waiting for its turn, not failing and not writing beside the first
    released = time.monotonic()
    first._commit()
    thread.join(timeout=5)
    assert finished and finished[0] - released < 0.1  # SQLite's busy handler sleeps up to 100 ms a try
    with first.cursor() as cursor:
        cursor.execute("SELECT name FROM item ORDER BY id")
        assert cursor.fetchall() == [("first",), ("second",)]
    first.close()


def test_a_writer_gives_up_after_the_timeout_while_another_process_holds_the_turn(database):
    lock_path = writer_lock(str(database)).path
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)", lock_path],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        second = _connection(database, "second")
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), second.cursor() as cursor:
            cursor.execute("INSERT INTO item (name) VALUES ('late')")
        assert 1.9 <= time.monotonic() - started < 5  # the connection's timeout: 2 s
        assert _lock_is_free(database) is False  # still the other process's
        second.close()
    finally:
        holder.kill()
        holder.wait()
    assert _lock_is_free(database)  # the kernel let go when that process died


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")
def test_a_forked_child_gets_its_turn_once_the_parent_lets_go(database, tmp_path):
    # django-q2 forks its workers; a thread of the parent may hold the turn at that moment.
    lock = writer_lock(str(database))
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        lock.acquire(2)
        held.set()
        release.wait(10)
        lock.release()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    released_mark = tmp_path / "released"
    pid = os.fork()
    if pid == 0:  # the child: wait for the parent's release, then take a turn of its own
        code = 1
        try:
            deadline = time.monotonic() + 10
            while not released_mark.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            writer_lock(str(database)).acquire(2)
            code = 0
        finally:
            os._exit(code)
    release.set()
    holder.join(5)
    released_mark.touch()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0  # it got the turn: nothing held over from the parent
