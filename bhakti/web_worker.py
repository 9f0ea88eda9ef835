"""gunicorn's gthread worker, accepting new connections only while it has an idle thread.

All web processes listen on one socket. gthread accepts whenever the socket is readable, so when
a burst of clients connects at once the process that is already running takes most of them: in
`make load`, one of four processes took 9 of the 10 creators' connections (and 40% of the
pollers'). A kept-alive connection stays with the process that accepted it, so that process's GIL
served nearly every creation while the others idled: about 100 creations a second on two cores,
with 1.2 cores busy.

This worker stops listening while each of its threads is busy and listens again when one frees,
so a new connection goes to a process that can start on it at once (the kernel keeps it queued
meanwhile; nothing is refused). Requests on connections it already holds are served as before.
It hooks three methods of gthread's ThreadWorker (gunicorn pinned in requirements.txt);
bhakti/tests/test_web_worker.py runs it in gunicorn and fails if an upgrade changes them.
"""

from __future__ import annotations

from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = 0  # requests handed to the thread pool and not finished; main thread only

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled and self.in_flight < self.cfg.threads)

    def enqueue_req(self, conn: Any) -> None:
        self.in_flight += 1
        super().enqueue_req(conn)
        self.set_accept_enabled(self.nr_conns < self.worker_connections)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.in_flight -= 1
        self.set_accept_enabled(self.nr_conns < self.worker_connections)
        super().finish_request(conn, fs)
