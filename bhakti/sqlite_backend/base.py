"""Django's SQLite backend, with writers taking turns through a lock that wakes the next at once.

SQLite lets one writer at a time hold a database file. A writer that finds it held waits in
SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 … 50, 100 ms between tries and does
not wake when the lock is freed: under a burst (ten creators at once, a web process and the
worker cluster on one file) a write that would take a few milliseconds waits tens or hundreds.
Measured with `make load` (100 creations by 10 clients beside 100 pollers): inside Django a
create took 7.4 ms at the median and 147 ms at p99, almost all of the tail asleep in the busy
handler.

Here every write — a transaction (`BEGIN IMMEDIATE`, which the settings ask for) and a single
write statement outside one — first takes this process's lock for the file (threads queue on
it, woken the moment the holder lets go) and then an exclusive `flock` on `<database>-writer.lock`
beside it (other processes' writers try again every half millisecond), until COMMIT or ROLLBACK. SQLite's
own lock and busy timeout stay as they were, for writers that do not use this backend (a shell,
`sqlite3`). The kernel releases a `flock` when its process dies, so a killed worker never leaves
it held. In-memory databases (the test suite's) have one connection and skip all of it.

A waiter gives up after the connection's `timeout` (30 s in the settings), as SQLite would, with
the same "database is locked" error.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.sqlite3 import base as sqlite_base

WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_POLL_SEC = 0.0005  # between non-blocking tries of the file lock once a timeout matters


class WriterLock:
    """Turns for one database file: a thread lock, then an exclusive flock of a file beside it."""

    def __init__(self, database: str):
        self.path = f"{database}-writer.lock"
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = os.getpid()

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a fork gets its own open file description
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=max(0.0, timeout)):
            raise sqlite3.OperationalError("database is locked")
        try:
            fd = self._file()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    pass
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError("database is locked")
                # Another process is writing. A blocking flock could not give up on time (no
                # SIGALRM in threads); tries every half millisecond are as prompt, at the cost of
                # a syscall each.
                time.sleep(_POLL_SEC)
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()


_LOCKS: dict[str, WriterLock] = {}
_LOCKS_GUARD = threading.Lock()


def _forget_locks_in_child() -> None:
    """A forked child (django-q2's workers) starts with locks of its own: a thread lock copied
    while another thread of the parent held it would stay held in the child for ever, and the
    parent's open lock file is the parent's turn, not the child's."""
    global _LOCKS, _LOCKS_GUARD
    _LOCKS, _LOCKS_GUARD = {}, threading.Lock()


os.register_at_fork(after_in_child=_forget_locks_in_child)


def writer_lock(database: str) -> WriterLock:
    with _LOCKS_GUARD:
        lock = _LOCKS.get(database)
        if lock is None:
            lock = _LOCKS[database] = WriterLock(database)
        return lock


def _is_write(query: str) -> bool:
    return query[:16].lstrip().upper().startswith(WRITE_VERBS)  # the head only: reads pass by here too


class CursorWrapper(sqlite_base.SQLiteCursorWrapper):
    """A write statement outside a transaction (autocommit: `Model.save()`, `QuerySet.update()`)
    takes a turn for the length of the statement."""

    wrapper: DatabaseWrapper

    def execute(self, query: str, params: Any = None) -> Any:
        if self.connection.in_transaction or not _is_write(query):
            return super().execute(query, params)
        with self.wrapper.writing():
            return super().execute(query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        if self.connection.in_transaction or not _is_write(query):
            return super().executemany(query, param_list)
        with self.wrapper.writing():
            return super().executemany(query, param_list)


class DatabaseWrapper(sqlite_base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._holds_turn = False

    def _writer_lock(self) -> WriterLock | None:
        if self.is_in_memory_db():
            return None
        return writer_lock(str(self.settings_dict["NAME"]))

    def _take_turn(self) -> None:
        lock = self._writer_lock()
        if lock is None or self._holds_turn:
            return
        with self.wrap_database_errors:  # as Django's OperationalError, like SQLite's own refusal
            lock.acquire(float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5)))
        self._holds_turn = True

    def _end_turn(self) -> None:
        if self._holds_turn:
            self._holds_turn = False
            lock = self._writer_lock()
            if lock is not None:
                try:
                    lock.release()
                except RuntimeError:
                    pass  # a connection carried over a fork: its turn was the parent's, and the lock is new

    @contextmanager
    def writing(self) -> Iterator[None]:
        self._take_turn()
        try:
            yield
        finally:
            self._end_turn()

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=CursorWrapper)
        cursor.wrapper = self
        return cursor

    def _start_transaction_under_autocommit(self) -> None:
        self._take_turn()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in Django, absent from its stubs
        except BaseException:
            self._end_turn()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in Django, absent from its stubs
        finally:
            # A failed COMMIT leaves the transaction open: Django rolls it back next (which ends
            # the turn); a COMMIT that succeeded ends it here.
            if self.connection is None or not self.connection.in_transaction:
                self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in Django, absent from its stubs
        finally:
            self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in Django, absent from its stubs
        finally:
            self._end_turn()
