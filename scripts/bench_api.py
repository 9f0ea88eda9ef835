#!/usr/bin/env python
"""CPU cost of the hot API and HTMX requests, in-process, each beside its target. `make bench-api`.

A benchmark, not a test: it prints figures and exits 0 whatever they are (numbers depend on the
machine; compare runs on the same machine). It sets up a scratch deployment (its own data dir and
SQLite file, or --database-url), makes a creator with an API key and three jobs (queued, running
with log lines, succeeded with files and log lines), then times each request through Django's test
client: CPU time (`time.process_time`), the minimum over --blocks blocks of --repeat requests, so
other processes on a shared machine disturb it as little as possible. Each row also shows the
number of SQL statements one request runs. With PostgreSQL on this machine, the CPU time of the
backend serving the connection (read from /proc) is added, and shown in its own column.

    .venv/bin/python scripts/bench_api.py
    .venv/bin/python scripts/bench_api.py --database-url postgres://postgres@127.0.0.1:5432/bhakti_bench
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PLAN = {
    "title": "Bench",
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


def configure(args: argparse.Namespace, scratch: Path) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bhakti.settings",
        BHAKTI_DATA_DIR=str(scratch),
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123",
        ALLOWED_HOSTS="testserver,127.0.0.1",
        LOG_LEVEL="WARNING",
        RATE_LIMIT_PER_MIN="1000000",
        JOBS_PER_DAY="1000000",
    )
    # Whitenoise warns that collectstatic has not run; no static file is served here.
    warnings.filterwarnings("ignore", message="No directory at")
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    if args.redis_url:
        from django.core.cache import cache

        cache.clear()


def make_jobs(user: Any) -> dict[str, Any]:
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from renders.models import AssetKind, JobAsset, JobEvent, JobState, RenderJob

    jobs: dict[str, Any] = {}
    for state in (JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED):
        job = RenderJob.objects.create(owner=user, title=f"Bench {state}", language="en", plan=PLAN, state=state)
        jobs[state] = job
    running, succeeded = jobs[JobState.RUNNING], jobs[JobState.SUCCEEDED]
    running.step, running.progress_pct, running.started_at = "images", 30, timezone.now()
    running.save()
    succeeded.step, succeeded.progress_pct = "store", 100
    succeeded.started_at = timezone.now() - timedelta(seconds=40)
    succeeded.finished_at, succeeded.duration_sec, succeeded.encoder = timezone.now(), 60.0, "libx264"
    succeeded.save()
    for job, lines in ((running, 12), (succeeded, 30)):
        JobEvent.objects.bulk_create(JobEvent(job=job, message=f"step line {i}", step="images") for i in range(lines))
    for kind, name in (
        (AssetKind.VIDEO, "video.mp4"),
        (AssetKind.THUMBNAIL, "thumb.jpg"),
        (AssetKind.SUBTITLES_SRT, "subs.en.srt"),
        (AssetKind.SUBTITLES_VTT, "subs.en.vtt"),
        (AssetKind.NARRATION, "narration.m4a"),
    ):
        asset = JobAsset(job=succeeded, kind=kind, language="en", size_bytes=10)
        asset.file.save(name, ContentFile(b"0123456789"), save=True)
    return jobs


LONG_QUEUE = 2000


def fill_queue(user: Any, count: int) -> None:
    """`count` queued 10-scene jobs, as job_create writes them (the plan's kind and length beside it)."""
    from renders.eta import plan_work
    from renders.models import RenderJob

    scene = {"image_prompt": "a lamp by a river", "narration": "Om namah shivaya. " * 12, "duration_sec": 6}
    plan = {**PLAN, "scenes": [scene] * 10}
    kind, seconds = plan_work(plan)
    RenderJob.objects.bulk_create(
        (
            RenderJob(owner=user, title="Queued", language="en", plan=plan, render_kind=kind, planned_sec=seconds)
            for _ in range(count)
        ),
        batch_size=500,
    )


def measure(call: Callable[[], Any], *, repeat: int, blocks: int) -> tuple[float, float]:
    """The mean CPU milliseconds a call takes here and in the database server (PostgreSQL on this
    machine; 0 otherwise), in the block where their sum was the least."""
    call()  # warm: lazy imports, template loading, connections
    best = (float("inf"), 0.0)
    for _ in range(blocks):
        server_before = server_cpu_seconds()
        started = time.process_time()
        for _ in range(repeat):
            call()
        here = (time.process_time() - started) / repeat * 1000
        server_after = server_cpu_seconds()
        if server_before is None or server_after is None or server_before[0] != server_after[0]:
            server = 0.0 if server_before is None else float("nan")  # no server here, or it reconnected
        else:
            server = (server_after[1] - server_before[1]) / repeat * 1000
        if server == server and here + server < sum(best):
            best = (here, server)
    return best


def server_cpu_seconds() -> tuple[int, float] | None:
    """The PostgreSQL backend serving this process's connection: its pid and the CPU seconds it has
    used (from /proc, in clock ticks: 10 ms steps, so a block needs many requests). None for SQLite
    or a server on another machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def queries_of(call: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50, help="requests per timed block")
    parser.add_argument("--blocks", type=int, default=7, help="timed blocks; the fastest counts")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (the database must exist); default SQLite")
    parser.add_argument("--redis-url", default="", help="Redis for the cache; default local memory")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bhakti-bench-api-"))
    try:
        configure(args, scratch)
        return run(args)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    from django.contrib.auth.models import User
    from django.test import Client

    from accounts.services import api_key_create, ensure_profile
    from renders.models import JobState, RenderJob
    from renders.queue_estimate import SNAPSHOT_SEC, take_snapshot

    user = User.objects.create_user(
        f"bench-{os.getpid()}", password="bench-password-123"
    )  # a reused database keeps old runs
    ensure_profile(user)
    _, raw_key = api_key_create(user=user, name="bench")
    jobs = make_jobs(user)
    api = Client(HTTP_X_API_KEY=raw_key, HTTP_ACCEPT="application/json")
    browser = Client()
    browser.force_login(user)

    rows: list[tuple[str, tuple[float, float], int, str, float]] = []
    unmeasured = (float("nan"), float("nan"))

    def row(label: str, call: Callable[[], Any], target_ms: float, expect: int) -> None:
        status = call().status_code
        if status != expect:
            rows.append((label, unmeasured, 0, f"HTTP {status}, not {expect}", target_ms))
            return
        cpu = measure(call, repeat=args.repeat, blocks=args.blocks)
        rows.append((label, cpu, queries_of(call), "", target_ms))

    for state, target in ((JobState.QUEUED, 2.0), (JobState.RUNNING, 2.0), (JobState.SUCCEEDED, 3.0)):
        url = f"/api/v1/renders/{jobs[state].pk}"
        row(f"API status poll, {state} (200)", partial(api.get, url), target, 200)
        etag = api.get(url).headers.get("ETag")
        if etag:
            row(
                f"API status poll, {state} (304)",
                partial(api.get, url, HTTP_IF_NONE_MATCH=etag),
                1.5,
                304,
            )
        else:
            rows.append((f"API status poll, {state} (304)", unmeasured, 0, "no ETag sent", 1.5))
    htmx: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
    for state in (JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED):
        url = f"/videos/{jobs[state].pk}/progress/"
        row(f"HTMX progress, {state} (200, whole log)", partial(browser.get, url, **htmx), 4.0, 200)
        etag = browser.get(url, **htmx).headers.get("ETag")
        if etag:
            row(
                f"HTMX progress, {state} (304, whole log)",
                partial(browser.get, url, HTTP_IF_NONE_MATCH=etag, **htmx),
                4.0,
                304,
            )
        else:
            rows.append((f"HTMX progress, {state} (304)", unmeasured, 0, "no ETag sent", 4.0))
    # What the job page really polls: only the log lines after the last one it has (here two new).
    running = jobs[JobState.RUNNING]
    since = running.events.order_by("-id").values_list("id", flat=True)[2]
    url = f"/videos/{running.pk}/progress/?since_event={since}"
    row("HTMX progress, running (200, 2 new lines)", partial(browser.get, url, **htmx), 4.0, 200)
    etag = browser.get(url, **htmx).headers.get("ETag")
    row(
        "HTMX progress, running (304, 2 new lines)",
        partial(browser.get, url, HTTP_IF_NONE_MATCH=etag, **htmx),
        4.0,
        304,
    )
    create_target = 10.0 if args.database_url else 6.0

    def create() -> Any:
        return api.post("/api/v1/renders", {"plan": PLAN}, content_type="application/json")

    row("API create", create, create_target, 201)
    # A long queue (a busy server, a big series): creating and estimating must not grow with it.
    others = User.objects.create_user(f"bench-others-{os.getpid()}")  # other creators' jobs
    fill_queue(others, LONG_QUEUE)
    row(f"API create, {LONG_QUEUE:,} others' jobs queued", create, create_target, 201)
    snapshot_cpu = measure(take_snapshot, repeat=3, blocks=args.blocks)
    queued_now = RenderJob.objects.filter(state=JobState.QUEUED).count()
    label = f"queue snapshot (every {SNAPSHOT_SEC} s), {queued_now:,} queued"
    rows.append((label, snapshot_cpu, queries_of(take_snapshot), "", 0.0))
    RenderJob.objects.filter(owner__in=[user, others], state=JobState.QUEUED).update(state=JobState.CANCELED)

    from django.db import connection

    server_known = server_cpu_seconds() is not None
    print(f"\nCPU ms per request, min of {args.blocks} blocks of {args.repeat} ({connection.vendor}, DEBUG off)")
    if server_known:
        print("CPU ms = this process + the PostgreSQL backend serving it (the server column)")
    print(f"{'request':<44} {'CPU ms':>7} {'server':>7} {'target':>7} {'queries':>7}")
    for label, (here, server), queries, note, target in rows:
        server_text = f"{server:>7.2f}" if server_known else f"{'':>7}"
        if note:
            print(f"{label:<44} {'—':>7} {'':>7} {target:>7.1f} {'':>7}  {note}")
        elif not target:  # a figure to watch, without a target of its own
            print(f"{label:<44} {here + server:>7.2f} {server_text} {'—':>7} {queries:>7}")
        else:
            verdict = "met" if here + server <= target else "over"
            print(f"{label:<44} {here + server:>7.2f} {server_text} {target:>7.1f} {queries:>7}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
