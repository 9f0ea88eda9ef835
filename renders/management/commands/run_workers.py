"""Run a django-q2 cluster the way Bhakti needs it: the reaper on its own timer, a clean stop.

`manage.py qcluster` alone has two defects here. Its reaper runs as a scheduled task, queued
behind renders, so with every worker busy it runs late. And on SIGTERM to its process group
(docker stop on a shell entrypoint, systemd, `kill -- -PGID`) the sentinel dies on the default
handler while the main process waits for it to stop the cluster: it hangs for good.

This command starts the cluster, runs renders.reaper.reap_jobs every REAPER_EVERY_SEC in a thread
of this process, and on SIGTERM or SIGINT signals every process below it (the workers put their
renders back to queued, see renders/worker_shutdown.py), waits WORKER_STOP_GRACE_SEC for them,
kills whatever is left and exits: a stop takes at most the grace plus a second.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
import time
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from renders import worker_heartbeat
from renders.fan_out import CLUSTER_ENV

logger = logging.getLogger(__name__)

PR_SET_CHILD_SUBREAPER = 36
# How often the main loop looks for a stop signal and a dead sentinel.
STOP_POLL_SEC = 0.2


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`, from /proc (Linux). Zombies count as gone."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it exited while we looked
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses; split after the last ")".
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if state != "Z":
            children.setdefault(int(ppid), []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def become_subreaper() -> None:
    """Adopt orphaned descendants (Linux PR_SET_CHILD_SUBREAPER).

    A group-wide SIGTERM kills the sentinel at once; without this its workers would move to init,
    out of sight of the stop below, which must wait for them and kill what outlives the grace.
    """
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the workers still stop on their own signal
        logger.warning("cannot become a child subreaper; stopping relies on each process's own signal")


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


class Command(BaseCommand):
    help = "Run the render workers (a django-q2 cluster) with the reaper on its own timer; stop cleanly on SIGTERM."

    def handle(self, *args: Any, **options: Any) -> None:
        from django_q.brokers import get_broker
        from django_q.cluster import Cluster

        become_subreaper()
        # Inherited by the cluster's processes: a job's helpers know their own cluster (renders/fan_out.py).
        os.environ[CLUSTER_ENV] = worker_heartbeat.worker_name()
        stop = threading.Event()  # tells the reaper thread; set by this loop, never by a handler
        cluster = Cluster(get_broker())  # installs its own handlers, replaced below
        # A plain flag: a handler that takes a lock (Event.set does) deadlocks when a second signal
        # lands while the first handler holds it, e.g. Ctrl-C to the group and then run.sh's SIGTERM.
        signalled: list[int] = []

        def request_stop(signum: int, frame: FrameType | None) -> None:
            signalled.append(signum)

        cluster.start()
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        reaper = threading.Thread(target=self._reap_every, args=(stop,), name="reaper", daemon=True)
        reaper.start()
        self.stdout.write(
            f"Render workers running ({settings.RENDER_WORKERS}); reaper every {settings.REAPER_EVERY_SEC} s"
        )
        sentinel_died = False
        while not signalled:
            if not cluster.sentinel.is_alive():
                sentinel_died = True
                break
            time.sleep(STOP_POLL_SEC)
        stop.set()
        self._stop_everything()
        try:
            worker_heartbeat.stopped()
        except DatabaseError:
            logger.exception("could not mark this worker stopped")
        if sentinel_died:  # exit non-zero, so a supervisor (compose, systemd) starts it again
            raise CommandError("the django-q2 sentinel exited on its own; workers stopped")

    def _reap_every(self, stop: threading.Event) -> None:
        from renders.reaper import reap_jobs

        started_at = timezone.now()
        self._beat(started_at)
        while not stop.wait(settings.REAPER_EVERY_SEC):
            self._beat(started_at)
            try:
                reap_jobs()
            except DatabaseError:  # the database is away: the next round tries again
                logger.exception("reaper round failed")
            finally:
                close_old_connections()

    @staticmethod
    def _beat(started_at: datetime) -> None:
        """This process's row in the admin's worker list; a database outage only delays it."""
        try:
            worker_heartbeat.beat(started_at=started_at)
        except DatabaseError:
            logger.exception("worker heartbeat failed")
        finally:
            close_old_connections()

    def _stop_everything(self) -> None:
        """SIGTERM to every process below this one, then SIGKILL to whatever outlives the grace.

        Signalled directly, not through the cluster's stop(): a sentinel that already died on a
        group-wide SIGTERM cannot stop anything, and stop() would wait on it.
        """
        me = os.getpid()
        _signal_all(descendants(me), signal.SIGTERM)
        deadline = time.monotonic() + settings.WORKER_STOP_GRACE_SEC
        while time.monotonic() < deadline:
            _reap_children()
            if not descendants(me):
                break
            time.sleep(0.1)
        left = descendants(me)
        if left:
            logger.warning(
                "killing %d worker processes still running after %s s", len(left), settings.WORKER_STOP_GRACE_SEC
            )
            _signal_all(left, signal.SIGKILL)
        _reap_children()
        self.stdout.write("Render workers stopped")


def _reap_children() -> None:
    """Collect exited children (and orphans, when this is PID 1 in a container)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
