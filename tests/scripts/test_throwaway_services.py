"""scripts/throwaway_services.py starts PostgreSQL and Redis from wheels, and leaves nothing behind."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import redis

REPO = Path(__file__).resolve().parents[2]


def read_env(path: Path) -> dict[str, str]:
    return dict(shlex.split(line)[0].split("=", 1) for line in path.read_text().splitlines())


def test_it_starts_working_servers_and_stops_them_on_sigterm(tmp_path):
    env_file = tmp_path / "services.env"
    process = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "throwaway_services.py"), "--postgres", "--redis", str(env_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not env_file.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert env_file.exists(), process.communicate(timeout=5)[0] if process.poll() is not None else "no env file"
        settings = read_env(env_file)

        with psycopg.connect(
            host=settings["PG_HOST"], port=int(settings["PG_PORT"]), user=settings["PG_USER"], dbname="postgres"
        ) as connection:
            connection.execute("CREATE TABLE render (id int primary key)")
            connection.execute("INSERT INTO render VALUES (7)")
            assert connection.execute("SELECT id FROM render").fetchall() == [(7,)]
        client = redis.Redis.from_url(settings["REDIS"])
        client.set("job", "7")
        assert client.get("job") == b"7"
        client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]

    assert process.returncode == 0, output
    assert "== started throwaway PostgreSQL on 127.0.0.1:" in output
    assert "== stopped the throwaway PostgreSQL and Redis (Valkey)" in output
    assert not Path(settings["THROWAWAY_DIR"]).exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(
            host=settings["PG_HOST"],
            port=int(settings["PG_PORT"]),
            user="postgres",
            dbname="postgres",
            connect_timeout=2,
        )
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(settings["REDIS"], socket_connect_timeout=2).ping()
