"""deploy/gunicorn.conf.py: the web role's shape."""

from __future__ import annotations

import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def _conf(monkeypatch, **env: str) -> dict:
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_it_runs_two_processes_of_two_threads_per_core_unless_told(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1, 2})
    conf = _conf(monkeypatch)
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (6, 2, "gthread")
    told = _conf(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_THREADS="5")
    assert (told["workers"], told["threads"]) == (3, 5)
