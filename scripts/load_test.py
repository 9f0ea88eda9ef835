"""Load test of the REST API on 127.0.0.1: status pollers plus a burst of job creations.

It sets up a scratch deployment (its own data dir and database), starts gunicorn on a free
loopback port, and then, for --duration seconds:
  - --pollers clients each GET /api/v1/renders/{id} every --poll-interval seconds (a status page
    or SDK polling a job), each on its own keep-alive connection, sending the ETag of its last
    answer as If-None-Match (a 304 counts as an answer; --no-etag polls without it);
  - once they are all going, --creators clients POST /api/v1/renders --creates times in all, as
    fast as they get answers (a burst).
It prints p50/p90/p99/max latency per operation and every error, and exits non-zero when a target
is missed (status p99 < 50 ms, create p99 < 150 ms, zero errors). No render workers run: this
measures the web tier, which is what pollers and creators wait on. Loopback only; it stops by
itself (every loop is bounded by the duration and a request count).

    .venv/bin/python scripts/load_test.py                     # SQLite, the embedded default
    .venv/bin/python scripts/load_test.py --database-url postgres://postgres@127.0.0.1:5432/bhakti_load \
        --redis-url redis://127.0.0.1:6379/9                  # the production shape
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import runpy
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
TARGETS_MS = {"status": 50.0, "create": 150.0}
PLAN = {
    "title": "Load test",
    "topic": "devotion",
    "language": "en",
    "voice": "female",
    "style": "temple-painting",
    "aspect": "16:9",
    "resolution": "720p",
    "mode": "proxy",
    "music": "none",
    "watermark": "none",
    "scenes": [{"image_prompt": "a lamp by a river", "narration": "Om.", "duration_sec": 2}],
}


@dataclass
class Results:
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: {"status": [], "create": []})
    errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Requests sent before this (monotonic) time warm the server up (each gunicorn thread's first
    # database connection, lazy imports) and are not counted.
    measure_from: float = 0.0

    def add(self, kind: str, elapsed_ms: float, error: str | None, sent_at: float) -> None:
        if sent_at < self.measure_from:
            return
        with self.lock:
            if error:
                self.errors[f"{kind}: {error}"] += 1
            else:
                self.latencies_ms[kind].append(elapsed_ms)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


class Client:
    """One keep-alive HTTP/1.1 connection on asyncio, as a polling browser or SDK would hold.

    A minimal client on purpose: 100 pollers as OS threads would spend this 2-core machine's CPU
    on the load generator and blur the server's numbers.
    """

    def __init__(self, port: int, key: str):
        self.port = port
        self.key = key
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.etag: str | None = None  # of the last answer, if it had one

    async def request(
        self, method: str, path: str, body: dict | None = None, *, if_none_match: str | None = None
    ) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else b""
        conditional = f"If-None-Match: {if_none_match}\r\n" if if_none_match else ""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {self.key}\r\n{conditional}"
            f"Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode()
        for attempt in (1, 2):  # a keep-alive connection the server closed: reconnect once
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                self.writer.write(head + payload)
                await self.writer.drain()
                return await asyncio.wait_for(self._response(), timeout=30)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, bytes]:
        assert self.reader is not None
        status_line = await self.reader.readuntil(b"\r\n")
        if not status_line:
            raise ConnectionResetError("closed")
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "etag":
                self.etag = value.strip()
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        body = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def timed(results: Results, kind: str, call, expected: int | tuple[int, ...]) -> bytes | None:
    sent_at = time.monotonic()
    started = time.perf_counter()
    try:
        status, body = await call()
    except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
        results.add(kind, 0, type(error).__name__, sent_at)
        return None
    elapsed = (time.perf_counter() - started) * 1000
    ok = status in expected if isinstance(expected, tuple) else status == expected
    results.add(kind, elapsed, None if ok else f"HTTP {status}", sent_at)
    return body if ok else None


async def poller(
    port: int, key: str, job_ids: list[str], args: argparse.Namespace, results: Results, stop_at: float
) -> None:
    client = Client(port, key)
    await asyncio.sleep(random.uniform(0, args.poll_interval))  # pollers start spread out, as they would  # noqa: S311
    job_id = random.choice(job_ids)  # noqa: S311
    next_at = time.monotonic()
    sent = 0
    while time.monotonic() < stop_at and sent < (args.warmup + args.duration) / args.poll_interval + 10:
        # Revalidating with the last ETag, as docs/api.md advises pollers (unless --no-etag).
        etag = None if args.no_etag else client.etag
        path = f"/api/v1/renders/{job_id}"
        await timed(
            results, "status", lambda path=path, etag=etag: client.request("GET", path, if_none_match=etag), (200, 304)
        )
        sent += 1
        next_at += args.poll_interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    client.close()


async def creator(port: int, key: str, count: int, results: Results, stop_at: float, created: list[str]) -> None:
    client = Client(port, key)
    for _ in range(count):
        if time.monotonic() >= stop_at:
            break
        body = await timed(results, "create", lambda: client.request("POST", "/api/v1/renders", {"plan": PLAN}), 201)
        if body:
            created.append(json.loads(body)["job_id"])
    client.close()


async def run_load(port: int, key: str, job_ids: list[str], args: argparse.Namespace, results: Results) -> float:
    """Pollers for the whole duration; the creation burst once they are all going. Returns the burst's length."""
    results.measure_from = time.monotonic() + args.warmup
    stop_at = results.measure_from + args.duration
    created: list[str] = []
    pollers = [asyncio.create_task(poller(port, key, job_ids, args, results, stop_at)) for _ in range(args.pollers)]
    await asyncio.sleep(args.warmup + min(5.0, args.duration / 4))
    per_creator = [
        args.creates // args.creators + (1 if i < args.creates % args.creators else 0) for i in range(args.creators)
    ]
    burst_started = time.monotonic()
    await asyncio.gather(*(creator(port, key, count, results, stop_at, created) for count in per_creator))
    burst_sec = time.monotonic() - burst_started
    await asyncio.gather(*pollers)
    return burst_sec


def server_times(log_path: Path, since: float) -> str:
    """The same percentiles from the app's own access lines (time inside Django, no queueing)."""
    from datetime import datetime

    times: dict[str, list[float]] = {"status": [], "create": []}
    for line in log_path.read_text().splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("logger") != "bhakti.request" or datetime.fromisoformat(entry["ts"]).timestamp() < since:
            continue
        kind = "create" if entry["method"] == "POST" else "status"
        times[kind].append(entry["ms"])
    return "\n".join(
        f"{kind:>7}: inside Django p50={percentile(values, 0.5):.1f} ms  p99={percentile(values, 0.99):.1f} ms"
        for kind, values in times.items()
        if values
    )


def wait_for_server(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


def prepare_database(url: str) -> str | None:
    """Create the PostgreSQL database when missing; returns its name if this script made it."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    server = {
        "host": parsed.hostname,
        "port": parsed.port or 5432,
        "user": parsed.username,
        "password": parsed.password,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return None
        admin.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(url: str, name: str) -> None:
    import psycopg

    parsed = urlparse(url)
    server = {
        "host": parsed.hostname,
        "port": parsed.port or 5432,
        "user": parsed.username,
        "password": parsed.password,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pollers", type=int, default=100)
    parser.add_argument("--poll-interval", type=float, default=1.0, help="seconds between one poller's requests")
    parser.add_argument("--creates", type=int, default=100, help="jobs created in the burst")
    parser.add_argument("--creators", type=int, default=10, help="threads creating jobs at once")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of polling, measured")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of polling first, not measured")
    parser.add_argument(
        "--web-workers", type=int, default=0, help="gunicorn processes (default: deploy/gunicorn.conf.py's)"
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="threads per gunicorn process (default: deploy/gunicorn.conf.py's)"
    )
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: a SQLite file")
    parser.add_argument("--redis-url", default="", help="Redis for the cache and throttles; default: local memory")
    parser.add_argument(
        "--no-etag", action="store_true", help="pollers never send If-None-Match (every poll a full answer)"
    )
    parser.add_argument(
        "--server-times",
        action="store_true",
        help="also log each request on the server and report its own time (the access log costs a little)",
    )
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bhakti-load-"))
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "S3_BUCKET"}}
    env.update(
        DJANGO_SETTINGS_MODULE="bhakti.settings",
        BHAKTI_DATA_DIR=str(scratch),
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback; with DEBUG off every request would get a 301
        SECRET_KEY="load-test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="INFO" if args.server_times else "WARNING",
        JSON_LOGS="1",
        RATE_LIMIT_PER_MIN="100000",  # the burst measures creation, not the limiter
        JOBS_PER_DAY="100000",
    )
    made_db = None
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
        made_db = prepare_database(args.database_url)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    python = sys.executable

    def manage(*command: str) -> str:
        result = subprocess.run(
            [python, "manage.py", *command], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(command)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    gunicorn: subprocess.Popen | None = None
    try:
        print(f"setting up in {scratch} ({'PostgreSQL' if args.database_url else 'SQLite'}, "
              f"{'Redis' if args.redis_url else 'local-memory'} cache)", flush=True)  # fmt: skip
        manage("migrate", "--noinput", "-v", "0")
        manage("collectstatic", "--noinput", "-v", "0")
        key = (
            manage(
                "shell",
                "-c",
                "from django.contrib.auth.models import User\n"
                "from accounts.services import api_key_create\n"
                "user, _ = User.objects.get_or_create(username='load-test')\n"
                "print(api_key_create(user=user, name='load test')[1])\n",
            )
            .strip()
            .splitlines()[-1]
        )

        port = free_port()
        log = open(scratch / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
        # The web role's own gunicorn settings (deploy/gunicorn.conf.py), on a loopback port.
        conf = runpy.run_path(str(REPO / "deploy" / "gunicorn.conf.py"))
        args.web_workers, args.threads = args.web_workers or conf["workers"], args.threads or conf["threads"]
        server_env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(args.web_workers),
            "GUNICORN_THREADS": str(args.threads),
        }
        gunicorn = subprocess.Popen(
            [python, "-m", "gunicorn", "bhakti.wsgi:application", "--config", "deploy/gunicorn.conf.py",
             "--log-level", "warning"],
            cwd=REPO, env=server_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_for_server(port, gunicorn)

        # A few jobs for the pollers to watch, made through the API like any client's.
        warmup = Results()
        job_ids: list[str] = []
        asyncio.run(creator(port, key, 10, warmup, time.monotonic() + 60, job_ids))
        if not job_ids:
            raise SystemExit(f"could not create jobs to poll: {dict(warmup.errors)}")
        results = Results()
        measured_since = time.time() + args.warmup
        burst_sec = asyncio.run(run_load(port, key, job_ids, args, results))
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            try:
                gunicorn.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)
        if made_db and args.database_url:
            drop_database(args.database_url, made_db)

    print(f"\n{args.pollers} pollers every {args.poll_interval:g} s for {args.duration:g} s; "
          f"{args.creates} creations by {args.creators} threads in {burst_sec:.1f} s; "
          f"gunicorn {args.web_workers}x{args.threads} gthread on {os.cpu_count()} cores")  # fmt: skip
    missed = []
    for kind in ("status", "create"):
        values = results.latencies_ms[kind]
        if not values:
            print(f"{kind:>7}: no successful requests")
            missed.append(kind)
            continue
        p50, p90, p99 = (percentile(values, q) for q in (0.50, 0.90, 0.99))
        rate = len(values) / (args.duration if kind == "status" else max(burst_sec, 1e-9))
        ok = p99 < TARGETS_MS[kind]
        print(f"{kind:>7}: n={len(values)} ({rate:.0f}/s)  p50={p50:.1f} ms  p90={p90:.1f} ms  p99={p99:.1f} ms  "
              f"max={max(values):.1f} ms  mean={statistics.fmean(values):.1f} ms  "
              f"target p99<{TARGETS_MS[kind]:g} ms: {'met' if ok else 'MISSED'}")  # fmt: skip
        if not ok:
            missed.append(kind)
    errors = sum(results.errors.values())
    print(f" errors: {errors}" + "".join(f"\n   {count} x {what}" for what, count in results.errors.most_common()))
    if args.server_times:
        print(server_times(scratch / "gunicorn.log", measured_since))
    shutil.rmtree(scratch, ignore_errors=True)
    return 1 if missed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
