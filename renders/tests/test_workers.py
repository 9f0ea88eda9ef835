"""Real workers: `manage.py run_workers` clusters (and `scripts/run.sh`) against a database they
share with this test, stopped and killed with real signals.

The test database of pytest-django lives inside this process's transaction (or in memory), so
the clusters get a database of their own: a SQLite file on the embedded pass, a fresh PostgreSQL
database on the production pass. The test reads it back with plain SQL.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.processes]

THREE_SCENES = [
    {"image_prompt": f"{place} at dusk", "narration": "Hari.", "duration_sec": 1}
    for place in ("a river", "a temple", "a forest")
]
ONE_SCENE = [{"image_prompt": "a lamp by a river", "narration": "Om.", "duration_sec": 1}]
SIX_SCENES = [
    {"image_prompt": f"{place} at dawn", "narration": "Prahlad prayed.", "duration_sec": 1.5}
    for place in ("a river", "a temple", "a palace", "a forest", "a mountain", "a village")
]


def plan(scenes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "title": "Prahlad",
        "topic": "devotion",
        "language": "en",
        "voice": "female",
        "style": "temple-painting",
        "aspect": "16:9",
        "resolution": "720p",
        "mode": "proxy",
        "music": "none",
        "watermark": "none",
        "scenes": scenes,
    }


@dataclass
class SharedDatabase:
    """A database the test and its subprocesses both reach, with the env that points at it."""

    env: dict[str, str]
    connect: Any
    work: Path
    placeholder: str  # "?" for sqlite3, "%s" for psycopg
    processes: list[subprocess.Popen] = field(default_factory=list)

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        connection = self.connect()
        try:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            connection.close()

    def manage(self, *args: str, timeout: float = 180) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def create_jobs(self, plan_data: dict[str, Any], count: int, *, priorities: tuple[int, ...] = ()) -> list[str]:
        """`count` jobs of the default priority, or one job per entry of `priorities`, in that order
        (one shell, so they are queued within a moment). The owner is staff: any priority is allowed."""
        priority_list = list(priorities) or [5] * count
        code = (
            "import json, sys\n"
            "from django.contrib.auth.models import User\n"
            "from renders.services import job_create\n"
            "owner, _ = User.objects.get_or_create(username='worker-test', defaults={'is_staff': True})\n"
            f"plan = json.loads({json.dumps(json.dumps(plan_data))})\n"
            f"print(json.dumps([str(job_create(owner=owner, plan_data=plan, priority=p).pk) for p in {priority_list}]))\n"
        )
        return json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])

    def started_order(self, ids: list[str]) -> list[str]:
        """The jobs in the order their (first) attempt started."""
        by_hex = {uuid.UUID(job_id).hex: job_id for job_id in ids}
        rows = self.rows(
            "SELECT id, started_at FROM renders_renderjob WHERE started_at IS NOT NULL ORDER BY started_at"
        )
        return [by_hex[uuid.UUID(str(job_id)).hex] for job_id, _ in rows if uuid.UUID(str(job_id)).hex in by_hex]

    def start_cluster(self, name: str, **env: str) -> subprocess.Popen:
        return self.start(name, [sys.executable, "manage.py", "run_workers"], **env)

    def start(self, name: str, command: list[str], **env: str) -> subprocess.Popen:
        log = open(self.work / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes every worker with it
        )
        self.processes.append(process)
        return process

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}" for path in sorted(self.work.glob("*.log"))
        )

    def states(self) -> dict[str, str]:
        """Job id (as uuid.UUID's hex) -> state. SQLite stores the hex, PostgreSQL a uuid."""
        return {
            uuid.UUID(str(job_id)).hex: state for job_id, state in self.rows("SELECT id, state FROM renders_renderjob")
        }

    def wait_until_final(self, ids: list[str], timeout: float) -> list[str]:
        wanted = [uuid.UUID(job_id).hex for job_id in ids]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = self.states()
            if all(states.get(job_id) in {"succeeded", "failed", "canceled"} for job_id in wanted):
                return [states[job_id] for job_id in wanted]
            time.sleep(1)
        raise AssertionError(f"jobs did not finish in {timeout} s: {self.states()}\n{self.log_tail()}")

    def job_summary(self, job_id: str) -> dict[str, Any]:
        """The job_summary.json the worker stored, read from wherever the workers store media."""
        key = job_id if self.placeholder == "%s" else uuid.UUID(job_id).hex
        sql = f"SELECT file FROM renders_jobasset WHERE job_id = {self.placeholder} AND kind = 'summary'"
        [(name,)] = self.rows(sql, (key,))
        if self.env.get("S3_BUCKET"):
            import boto3

            s3 = boto3.client(
                "s3",
                endpoint_url=self.env.get("S3_ENDPOINT") or None,
                aws_access_key_id=self.env.get("S3_ACCESS_KEY"),
                aws_secret_access_key=self.env.get("S3_SECRET_KEY"),
                region_name=self.env.get("S3_REGION", "us-east-1"),
            )
            return json.loads(s3.get_object(Bucket=self.env["S3_BUCKET"], Key=name)["Body"].read())
        return json.loads((Path(self.env["MEDIA_ROOT"]) / name).read_text())

    def job(self, job_id: str) -> tuple[str, int]:
        key = job_id if self.placeholder == "%s" else uuid.UUID(job_id).hex
        sql = f"SELECT state, attempts FROM renders_renderjob WHERE id = {self.placeholder}"
        [(state, attempts)] = self.rows(sql, (key,))
        return state, attempts

    def broker_rows_once_acknowledged(self, within: float = 15) -> int:
        """Broker rows left once the cluster has acknowledged its tasks. The acknowledgement is written
        just after the job's final state (a separate step of the worker), so wait for it a while."""
        deadline = time.monotonic() + within
        while (count := self.rows("SELECT count(*) FROM django_q_ormq")[0][0]) and time.monotonic() < deadline:
            time.sleep(0.2)
        return count

    def leased_tasks(self) -> int:
        """Broker rows handed to a cluster: their lock lies in the future."""
        [(locks,)] = self.rows("SELECT count(*) FROM django_q_ormq WHERE lock > CURRENT_TIMESTAMP")
        return locks

    def events(self, job_id: str) -> list[str]:
        key = job_id if self.placeholder == "%s" else uuid.UUID(job_id).hex
        sql = f"SELECT message FROM renders_jobevent WHERE job_id = {self.placeholder} ORDER BY id"
        return [message for (message,) in self.rows(sql, (key,))]


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    """Signal the cluster and every process it started (it leads its own session)."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return


@pytest.fixture
def shared_db(tmp_path: Path) -> Iterator[SharedDatabase]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="bhakti.settings",
        BHAKTI_DATA_DIR=str(tmp_path / "data"),
        RENDER_WORK_DIR=str(tmp_path / "work"),
        RENDER_CACHE_DIR=str(tmp_path / "cache"),  # one cache for both clusters, as on a shared volume
        MEDIA_ROOT=str(tmp_path / "media"),
        PROXY_SHORT_SIDE="96",
        RENDER_PARALLELISM="1",
        RENDER_WORKERS="2",
        JOB_TIMEOUT_SEC="120",
        HEARTBEAT_STALE_SEC="20",
        JOBS_PER_DAY="1000",
        SAMPLE_VIDEOS="0",  # run.sh would queue the front page's samples beside the jobs under test
        LOG_LEVEL="WARNING",
    )
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.postgresql":
        import psycopg

        name = f"bhakti_workers_{uuid.uuid4().hex[:10]}"
        server = {
            "host": database["HOST"] or "127.0.0.1",
            "port": int(database["PORT"] or 5432),
            "user": database["USER"],
            "password": database["PASSWORD"] or None,
        }
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
        env["DATABASE_URL"] = f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
        shared = SharedDatabase(
            env=env, connect=lambda: psycopg.connect(dbname=name, **server), work=tmp_path, placeholder="%s"
        )
    else:
        env.pop("DATABASE_URL", None)
        path = tmp_path / "workers.sqlite3"
        env["SQLITE_PATH"] = str(path)
        shared = SharedDatabase(
            env=env, connect=lambda: sqlite3.connect(path, timeout=30), work=tmp_path, placeholder="?"
        )
        name = ""
    shared.manage("migrate", "--noinput", "-v", "0")
    yield shared
    # Every job is final by now: stop the clusters together and don't wait on their grace period.
    for process in shared.processes:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + 5
    for process in shared.processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=10)
    if name:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_it_runs_twenty_jobs_on_two_clusters_each_exactly_once(shared_db):
    ids = shared_db.create_jobs(plan(ONE_SCENE), 20)
    clusters = [shared_db.start_cluster("cluster-a"), shared_db.start_cluster("cluster-b")]

    states = shared_db.wait_until_final(ids, timeout=300)

    assert states == ["succeeded"] * 20, shared_db.log_tail()
    for job_id in ids:
        events = shared_db.events(job_id)
        started = [message for message in events if message.startswith("Attempt ")]
        assert started == ["Attempt 1 of 3 started on a worker"], (job_id, events)
        assert sum(message.startswith("Done: ") for message in events) == 1, (job_id, events)
    assert shared_db.rows("SELECT count(*) FROM renders_renderjob WHERE attempts <> 1") == [(0,)]
    assert shared_db.broker_rows_once_acknowledged() == 0  # every task acknowledged

    # Each process reports itself for the admin's worker list, and says when it stopped.
    beats = shared_db.rows("SELECT pid, workers, stopped_at FROM renders_workerheartbeat ORDER BY pid")
    assert beats == sorted((process.pid, 2, None) for process in clusters), beats
    for process in clusters:
        _signal_group(process, signal.SIGTERM)
        process.wait(timeout=30)
    stopped = shared_db.rows("SELECT count(*) FROM renders_workerheartbeat WHERE stopped_at IS NOT NULL")
    assert stopped == [(2,)], shared_db.log_tail()


def test_it_finishes_a_job_on_another_worker_after_a_sigkill_mid_compose(shared_db):
    cache = shared_db.work / "cache" / "segments"
    [job_id] = shared_db.create_jobs(plan(SIX_SCENES), 1)
    doomed = shared_db.start_cluster("cluster-doomed")

    deadline = time.monotonic() + 240
    cached_at_kill = 0
    while time.monotonic() < deadline:
        cached_at_kill = (
            len([path for path in cache.rglob("*.mp4") if ".partial" not in path.name]) if cache.exists() else 0
        )
        if cached_at_kill >= 2:
            break
        time.sleep(0.05)
    _signal_group(doomed, signal.SIGKILL)  # the whole process group: as if the machine were gone
    doomed.wait(timeout=10)
    assert cached_at_kill >= 2, shared_db.log_tail()
    [(state, step, attempts)] = shared_db.rows(
        "SELECT state, step, attempts FROM renders_renderjob"
    )  # fmt: skip
    assert (state, step, attempts) == ("running", "compose", 1), shared_db.log_tail()

    killed_at = time.monotonic()
    survivor = shared_db.start_cluster("cluster-survivor")
    # The survivor must not take the job while the dead worker's heartbeat still looks fresh,
    # even once the dead cluster's lease on the task has run out: its reaper re-queues it.
    time.sleep(3)
    assert shared_db.rows("SELECT attempts FROM renders_renderjob") == [(1,)]
    while shared_db.job(job_id) == ("running", 1) and time.monotonic() - killed_at < 120:
        time.sleep(0.5)
    restarted_after = time.monotonic() - killed_at
    assert restarted_after < 90, (restarted_after, shared_db.log_tail())

    assert shared_db.wait_until_final([job_id], timeout=240) == ["succeeded"], shared_db.log_tail()
    assert survivor.poll() is None
    events = shared_db.events(job_id)
    assert [message for message in events if message.startswith("Attempt ")] == [
        "Attempt 1 of 3 started on a worker",
        "Attempt 2 of 3 started on a worker",
    ]
    assert any("stopped responding during compose" in message for message in events)
    assert sum(message.startswith("compose: done") for message in events) == 1, events  # attempt 2 only
    assert sum(message.startswith("Done: ") for message in events) == 1
    segments = shared_db.job_summary(job_id)["segments"]
    assert segments["cached"] >= cached_at_kill, (cached_at_kill, segments)  # reused, not rendered again
    assert segments["rendered"] + segments["cached"] == 6  # six scenes (a proxy fades inside them)


def test_it_restarts_every_job_a_killed_cluster_held_within_90_s(shared_db):
    """Running and prefetched alike: a dead cluster's leases run out, its running jobs are reaped."""
    ids = shared_db.create_jobs(plan(THREE_SCENES), 5)
    doomed = shared_db.start_cluster("cluster-doomed", RENDER_WORKERS="2")
    # Two workers render, two tasks wait in the cluster's own queue, one in its pusher: all five leased.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running = [job_id for job_id in ids if shared_db.job(job_id) == ("running", 1)]
        if len(running) == 2 and shared_db.leased_tasks() == 5:
            break
        time.sleep(0.1)
    _signal_group(doomed, signal.SIGKILL)
    killed_at = time.monotonic()
    doomed.wait(timeout=10)
    assert len(running) == 2 and shared_db.leased_tasks() == 5, shared_db.log_tail()
    prefetched = [job_id for job_id in ids if job_id not in running]
    assert [shared_db.job(job_id) for job_id in prefetched] == [("queued", 0)] * 3

    shared_db.start_cluster("cluster-survivor", RENDER_WORKERS="5")  # room to start all five at once
    started_after: dict[str, float] = {}
    while len(started_after) < 5 and time.monotonic() - killed_at < 120:
        for job_id in ids:
            state, attempts = shared_db.job(job_id)
            restarted = attempts == 2 if job_id in running else attempts == 1
            if job_id not in started_after and (restarted or state == "succeeded"):
                started_after[job_id] = time.monotonic() - killed_at
        time.sleep(0.5)
    waits = {"running": max(started_after.get(job_id, 999) for job_id in running)}
    waits["prefetched"] = max(started_after.get(job_id, 999) for job_id in prefetched)
    print(f"seconds from the kill to the last restart: {waits}")
    assert max(waits.values()) < 90, (waits, shared_db.log_tail())

    assert shared_db.wait_until_final(ids, timeout=240) == ["succeeded"] * 5, shared_db.log_tail()
    for job_id in ids:
        events = shared_db.events(job_id)
        expected_attempts = 2 if job_id in running else 1
        assert sum(message.startswith("Attempt ") for message in events) == expected_attempts, (job_id, events)
        assert sum(message.startswith("Done: ") for message in events) == 1, (job_id, events)


LONG_SCENES = [
    {"image_prompt": f"{place} at noon", "narration": "Prahlad sang the name of Hari.", "duration_sec": 4}
    for place in ("a river", "a temple", "a palace", "a forest", "a mountain", "a village", "a field", "a lake")
]


def test_it_starts_a_high_priority_job_before_older_low_ones_while_the_only_worker_is_busy(shared_db):
    # Everything is queued before the only worker starts, so the order cannot depend on how fast
    # this machine is: the broker holds the tasks first-in first-out (busy, three lows, high), and
    # each claim takes the most urgent due job, so the high one starts right after the busy one.
    [busy] = shared_db.create_jobs(plan(LONG_SCENES), 1, priorities=(10,))
    *lows, high = shared_db.create_jobs(plan(ONE_SCENE), 4, priorities=(1, 1, 1, 9))
    shared_db.start_cluster("cluster-one-worker", RENDER_WORKERS="1")

    states = shared_db.wait_until_final([busy, *lows, high], timeout=300)

    assert states == ["succeeded"] * 5, shared_db.log_tail()
    assert shared_db.started_order([busy, *lows, high]) == [busy, high, *lows], shared_db.log_tail()
    assert shared_db.broker_rows_once_acknowledged() == 0  # no slot left over


def test_it_retries_a_crashed_ffmpeg_after_the_backoff_on_a_real_cluster(shared_db):
    from renders.tests.ffmpeg_faults import crashing_ffmpeg

    standin = crashing_ffmpeg(shared_db.work / "ffmpeg-faults", crash_on=(2,))
    [job_id] = shared_db.create_jobs(plan(THREE_SCENES), 1)
    shared_db.start_cluster(
        "cluster-retry", RENDER_WORKERS="1", IMAGEIO_FFMPEG_EXE=str(standin), RETRY_BACKOFF_SEC="2",
        RENDER_ENCODER="libx264",
    )  # fmt: skip

    assert shared_db.wait_until_final([job_id], timeout=240) == ["succeeded"], shared_db.log_tail()
    assert shared_db.job(job_id) == ("succeeded", 2)
    events = shared_db.events(job_id)
    assert "Attempt 1 of 3 failed during compose: ffmpeg crashed (killed by signal 11). Attempt 2 of 3 in 2 s, " \
        "reusing finished work" in events, events  # fmt: skip
    assert [message for message in events if "started on a worker" in message] == [
        "Attempt 1 of 3 started on a worker",
        "Attempt 2 of 3 started on a worker",
    ]
    key = job_id if shared_db.placeholder == "%s" else uuid.UUID(job_id).hex
    mark = shared_db.placeholder
    sql = f"SELECT at FROM renders_jobevent WHERE job_id = {mark} AND message LIKE {mark} ORDER BY id"
    times = [row[0] for row in shared_db.rows(sql, (key, "Attempt %"))]
    failed_at, started_at = (_as_datetime(value) for value in times[1:3])
    assert (started_at - failed_at).total_seconds() >= 1.9  # the backoff held: not before 2 s
    assert shared_db.job_summary(job_id)["segments"]["cached"] >= 1  # attempt 1's segment reused
    assert shared_db.broker_rows_once_acknowledged() == 0


def _as_datetime(value: Any) -> Any:
    """SQLite hands back text, PostgreSQL a datetime."""
    from datetime import datetime

    return datetime.fromisoformat(value) if isinstance(value, str) else value


STOP_BOUND_SEC = 10  # every process gone after SIGTERM or Ctrl-C (1.3-3.0 s measured; the figures print)


def _group_gone_within(process: subprocess.Popen, seconds: float) -> float:
    """Seconds until the process and every other process of its group had exited."""
    started = time.monotonic()
    process.wait(timeout=seconds)
    while time.monotonic() - started < seconds:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"processes of group {process.pid} still running after {seconds} s")


def _processes_mentioning(text: str) -> list[str]:
    """Command lines naming `text`: an ffmpeg left behind names its work dir."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command:
            found.append(command)
    return found


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_stops_run_sh_on_sigint_and_sigterm_and_resumes_the_render(shared_db):
    bind = f"127.0.0.1:{_free_port()}"
    [job_id] = shared_db.create_jobs(plan(SIX_SCENES), 1)
    segments = shared_db.work / "cache" / "segments"

    def cached() -> int:
        return len([path for path in segments.rglob("*.mp4") if ".partial" not in path.name])

    def run_until_rendering(name: str, attempt: int) -> subprocess.Popen:
        """Start run.sh and return once this run has rendered a segment of its own."""
        before = cached()
        script = shared_db.start(name, ["scripts/run.sh"], BIND=bind)
        banner = f"Bhakti is at http://{bind}/"
        log = shared_db.work / f"{name}.log"

        def started() -> bool:
            # The workers and the web server start side by side: on a busy machine the first
            # segment can be done before the server prints where it answers.
            return cached() > before and banner in log.read_text()

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not started():
            time.sleep(0.1)
        assert shared_db.job(job_id) == ("running", attempt), shared_db.log_tail()
        assert banner in log.read_text()
        return script

    # Ctrl-C: the terminal sends SIGINT to the whole foreground process group, ffmpeg's too if it shared it.
    script = run_until_rendering("run-ctrl-c", attempt=1)
    _signal_group(script, signal.SIGINT)
    print(f"exited {_group_gone_within(script, STOP_BOUND_SEC):.1f} s after SIGINT")
    assert shared_db.job(job_id) == ("queued", 0), shared_db.events(job_id)
    assert any("shut down during" in message for message in shared_db.events(job_id))
    assert _processes_mentioning(str(shared_db.work)) == []

    # SIGTERM to the group (docker stop, systemd, kill -- -PGID); the job resumed at the start.
    script = run_until_rendering("run-sigterm", attempt=1)
    _signal_group(script, signal.SIGTERM)
    print(f"exited {_group_gone_within(script, STOP_BOUND_SEC):.1f} s after SIGTERM")
    assert shared_db.job(job_id) == ("queued", 0), shared_db.events(job_id)
    assert _processes_mentioning(str(shared_db.work)) == []

    shared_db.start_cluster("cluster-last")
    assert shared_db.wait_until_final([job_id], timeout=240) == ["succeeded"], shared_db.log_tail()
    events = shared_db.events(job_id)
    assert sum(message.startswith("Done: ") for message in events) == 1, events
    assert not any("failed" in message for message in events), events
    assert shared_db.job_summary(job_id)["segments"]["cached"] >= 2  # both stopped runs' segments reused


def test_it_shares_one_jobs_segments_with_a_second_cluster(shared_db):
    # RENDER_FAN_OUT is "auto": on once both clusters have reported themselves.
    for name in ("cluster-a", "cluster-b"):
        shared_db.start_cluster(name, RENDER_WORKERS="1")
    deadline = time.monotonic() + 60
    while shared_db.rows("SELECT count(*) FROM renders_workerheartbeat") != [(2,)] and time.monotonic() < deadline:
        time.sleep(0.2)
    [job_id] = shared_db.create_jobs(plan(LONG_SCENES), 1)

    assert shared_db.wait_until_final([job_id], timeout=240) == ["succeeded"], shared_db.log_tail()
    events = shared_db.events(job_id)
    [shared] = [message for message in events if "video segments rendered by other workers" in message]
    helped, total = (int(word) for word in shared.split()[1:4:2])
    print(shared)
    assert total == 8 and helped >= 1, (shared, shared_db.log_tail())  # a preview's eight scenes, fades inside
    assert sum(message.startswith("Done: ") for message in events) == 1
    segments = shared_db.job_summary(job_id)["segments"]
    assert (segments["rendered"], segments["cached"]) == (8, 0)  # each rendered once, by one of them
    assert shared_db.rows("SELECT count(*) FROM django_q_task WHERE NOT success") == [(0,)]
