"""The ORM broker with a short, renewed lease instead of django-q2's long lock.

django-q2's ORM broker locks a task it hands out for `retry` seconds (JOB_TIMEOUT_SEC + 300):
a cluster that dies takes every task it had prefetched into its own queue with it for that
long, while other clusters sit idle. Here a handed-out task is locked for BROKER_LEASE_SEC only,
and the cluster that holds it renews the lease every BROKER_RENEW_SEC from a thread of its
pusher, until the task is acknowledged. A dead cluster renews nothing, so its tasks, running or
only prefetched, are claimable again within BROKER_LEASE_SEC. A task delivered twice is safe:
renders.execution._claim leaves a job that is final or running on a live worker alone. A task
enqueued with `available_at` (a retry's backoff) is born locked until then.

A pusher that gets SIGTERM (a cluster stopping, `manage.py run_workers`) releases its leases
before it exits, so the tasks its cluster had prefetched go to another cluster at once. Its
running renders re-queue themselves with a fresh task (renders/worker_shutdown.py), so a release
of theirs only lets another cluster see, and drop, a task whose job is still running.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from datetime import datetime, timedelta
from types import FrameType

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django_q.brokers.orm import ORM

logger = logging.getLogger(__name__)


class LeaseBroker(ORM):
    def __init__(self, list_key: str | None = None) -> None:
        super().__init__(list_key=list_key)
        self._held: set[int] = set()  # OrmQ ids handed out by this process and not yet acknowledged
        self._held_lock = threading.Lock()
        self._renewer: threading.Thread | None = None
        self._release_on_stop = False
        # When a task enqueued through this instance becomes claimable (renders.services.enqueue_render
        # sets it for a retry's backoff); None: at once. dequeue() only hands out rows whose lock passed.
        self.available_at: datetime | None = None

    def enqueue(self, task: bytes) -> int:
        entry = self.get_connection().create(
            key=self.list_key or settings.Q_CLUSTER["name"], payload=task, lock=self.available_at or timezone.now()
        )
        return int(entry.pk)

    def timeout(self, task: object = None) -> datetime:
        return timezone.now() + timedelta(seconds=settings.BROKER_LEASE_SEC)

    def dequeue(self) -> list[tuple[int, bytes]] | None:
        self._install_release_on_stop()
        tasks = super().dequeue()
        if tasks:
            with self._held_lock:
                self._held.update(pk for pk, _ in tasks)
            self._start_renewer()
        return tasks

    def _install_release_on_stop(self) -> None:
        # Only in a pusher: a child process, dequeuing in its main thread (not a test or a web process).
        if self._release_on_stop or multiprocessing.current_process().name == "MainProcess":
            return
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._release_and_exit)
            self._release_on_stop = True

    def _release_and_exit(self, signum: int, frame: FrameType | None) -> None:
        try:
            # A signal may land while this thread holds the lock (dequeue): waiting forever would
            # deadlock, so give up after a moment; unreleased leases run out on their own.
            released = self.release_leases(lock_timeout=1.0)
            logger.info("released %d leased tasks on stop", released)
        except Exception:  # noqa: BLE001 - exiting regardless; unreleased leases run out on their own
            logger.exception("releasing broker leases on stop failed")
        finally:
            # Not SystemExit: multiprocessing's exit would wait on the cluster's full task queue.
            os._exit(0)

    def release_leases(self, *, lock_timeout: float = -1) -> int:
        """Make every task this process holds and that is not acknowledged claimable now.

        With a `lock_timeout` (seconds), releases nothing if the held set stays locked that long.
        """
        if not self._held_lock.acquire(timeout=lock_timeout):
            return 0
        try:
            held = set(self._held)
            self._held.clear()
        finally:
            self._held_lock.release()
        if not held:
            return 0
        return self.get_connection().filter(pk__in=held).update(lock=timezone.now())

    def _start_renewer(self) -> None:
        # Started on first use, in the process that dequeues (the pusher), not where the broker
        # object was built: a thread does not survive the fork into the pusher.
        if self._renewer is None or not self._renewer.is_alive():
            self._renewer = threading.Thread(target=self._renew_forever, name="broker-lease", daemon=True)
            self._renewer.start()

    def _renew_forever(self) -> None:
        # The pusher blocks while the cluster's own queue is full, so renewal cannot live in dequeue().
        stop = threading.Event()
        while not stop.wait(settings.BROKER_RENEW_SEC):
            try:
                self.renew_leases()
            except DatabaseError as error:  # a blip: the lease has room for a few missed renewals
                logger.warning("renewing broker leases failed (%s); trying again", error)
                connection.close()

    def renew_leases(self) -> int:
        """Extend the lease of every task this process holds; forget those acknowledged since."""
        close_old_connections()
        with self._held_lock:
            held = set(self._held)
        if not held:
            return 0
        rows = self.get_connection().filter(pk__in=held)
        renewed = rows.update(lock=self.timeout())
        still_held = set(rows.values_list("pk", flat=True))
        with self._held_lock:
            self._held -= held - still_held
        return renewed
