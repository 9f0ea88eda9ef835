"""gunicorn settings for the web role, from the environment (see .env.example)."""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Two processes of two threads per core by default. A request holds its process's GIL while it
# computes, and a poll waits behind the creates running in its process: under `make load` on two
# cores (PostgreSQL + Redis), six runs alternated with 2 x 4 on the same code gave status p99
# 13-35 ms at 4 x 2 and 19-84 ms at 2 x 4; creates were no faster either way (docs/deployment.md,
# "The web tier under load"). Each process boots in ~115 MB.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * len(os.sched_getaffinity(0)))))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # uploads of a few MB; renders run in workers
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then; jitter keeps them from restarting together
max_requests_jitter = 200
# Bhakti's own middleware writes one JSON access line per request with its request id.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
