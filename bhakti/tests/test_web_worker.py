"""The web processes' gunicorn worker: a burst of new connections is shared by the processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Each request holds its process's only thread for a while, as a creation does, and says which
# process served it.
APP = """
import os, time
def application(environ, start_response):
    time.sleep(0.4)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _served_by(port: int) -> str:
    """One request on a new kept-alive connection (as a client SDK holds one); the serving pid."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        answer = b""
        while not answer.endswith(b"\r\n\r\n") and b"\r\n\r\n" not in answer:
            answer += client.recv(4096)
        head, _, body = answer.partition(b"\r\n\r\n")
        length = int(
            next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[1]
        )
        while len(body) < length:
            body += client.recv(4096)
        return body.decode()


def test_a_burst_of_connections_is_shared_by_the_processes_not_taken_by_the_first(tmp_path):
    (tmp_path / "sleepy_app.py").write_text(APP)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "sleepy_app:application", "--pythonpath", f"{tmp_path},{REPO}",
         "--worker-class", "bhakti.web_worker.BalancedThreadWorker", "--workers", "2", "--threads", "1",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""}, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                served = _served_by(port)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        time.sleep(1)  # both processes up and listening (the probe above reached only one)
        with ThreadPoolExecutor(4) as pool:
            pids = Counter(pool.map(lambda _: _served_by(port), range(4)))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    # Plain gthread lets whichever process is awake accept all four, serving them one after the
    # other on its one thread; here a busy process stops accepting and the other takes the next.
    assert served and sorted(pids.values()) == [2, 2], pids
