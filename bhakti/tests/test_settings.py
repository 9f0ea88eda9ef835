"""Settings come from the environment and stop the process on a malformed value."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS_FILE = Path(__file__).resolve().parents[1] / "settings.py"
REPO = SETTINGS_FILE.parents[1]
# Variables the production test pass exports; each test here starts from none of them.
ENV_NAMES = (
    "DATABASE_URL", "REDIS_URL", "S3_BUCKET", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_REGION",
    "S3_PUBLIC_URL", "SENTRY_DSN", "JSON_LOGS", "LOG_LEVEL", "DEBUG", "SECRET_KEY", "METRICS_TOKEN",
)  # fmt: skip


def load_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> dict[str, object]:
    """Execute settings.py afresh with exactly this environment (plus a scratch data dir)."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BHAKTI_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DEBUG", "maybe", "DEBUG must be one of"),
        ("JSON_LOGS", "sometimes", "JSON_LOGS must be one of"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be"),
        ("RENDER_WORKERS", "two", "RENDER_WORKERS must be an integer"),
        ("RENDER_WORKERS", "0", "RENDER_WORKERS must be at least 1"),
        ("JOB_TIMEOUT_SEC", "10", "JOB_TIMEOUT_SEC must be at least 30"),
        ("JOB_MAX_ATTEMPTS", "3.5", "JOB_MAX_ATTEMPTS must be an integer"),
        ("HEARTBEAT_STALE_SEC", "10", "HEARTBEAT_STALE_SEC must be at least 20"),
        ("BROKER_RENEW_SEC", "20", "BROKER_RENEW_SEC must be at most half of BROKER_LEASE_SEC"),
        ("RETENTION_DAYS", "-1", "RETENTION_DAYS must be at least 1"),
        ("READY_MIN_FREE_DISK_MB", "lots", "READY_MIN_FREE_DISK_MB must be an integer"),
        ("DATABASE_URL", "mysql://root@db/bhakti", "DATABASE_URL must start with postgres"),
        ("DATABASE_URL", "postgres://u@db", "DATABASE_URL must name a database"),
        ("DATABASE_URL", "postgres://u@db:port/bhakti", "DATABASE_URL has a malformed port"),
        ("REDIS_URL", "http://cache:6379/0", "REDIS_URL must be a"),
        ("REDIS_URL", "redis://cache:63x9/0", "REDIS_URL has a malformed port"),
        ("S3_ENDPOINT", "minio:9000", "S3_ENDPOINT must be a"),
        ("S3_PUBLIC_URL", "ftp://files.example.com", "S3_PUBLIC_URL must be a"),
        ("SENTRY_DSN", "not a url", "SENTRY_DSN must be a"),
        ("SENTRY_TRACES_SAMPLE_RATE", "2", "SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1"),
        ("YOUTUBE_UPLOAD_CHUNK_BYTES", "1000000", "YOUTUBE_UPLOAD_CHUNK_BYTES must be a multiple of 262144"),
        ("YOUTUBE_UPLOAD_CHUNK_BYTES", "65536", "YOUTUBE_UPLOAD_CHUNK_BYTES must be at least 262144"),
    ],
)
def test_it_refuses_a_malformed_value(monkeypatch, tmp_path, name, value, says):
    extra = {"S3_BUCKET": "media"} if name.startswith("S3_") else {}
    with pytest.raises(ImproperlyConfigured, match=says):
        load_settings(monkeypatch, tmp_path, **{name: value}, **extra)


def test_it_refuses_the_development_secret_key_with_debug_off(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        load_settings(monkeypatch, tmp_path, DEBUG="0")


def test_it_runs_embedded_with_no_variables(monkeypatch, tmp_path):
    values = load_settings(monkeypatch, tmp_path)
    assert values["DATABASES"]["default"]["ENGINE"] == "bhakti.sqlite_backend"
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert values["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    assert values["SENTRY_DSN"] == "" and values["METRICS_TOKEN"] == ""
    assert values["JSON_LOGS"] is False  # DEBUG defaults on: readable text logs


def test_it_reads_the_production_shape(monkeypatch, tmp_path):
    values = load_settings(
        monkeypatch,
        tmp_path,
        DEBUG="off",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://bhakti:p%40ss@db:5432/bhakti?sslmode=require",
        REDIS_URL="redis://redis:6379/1",
        S3_BUCKET="media",
        S3_ENDPOINT="http://minio:9000",
        S3_PUBLIC_URL="http://localhost:9000",
        S3_ACCESS_KEY="minio",
        S3_SECRET_KEY="minio-secret",
        RENDER_WORKERS="4",
        JOB_TIMEOUT_SEC="900",
    )
    database = values["DATABASES"]["default"]
    assert (database["ENGINE"], database["HOST"], database["PORT"], database["NAME"]) == (
        "django.db.backends.postgresql", "db", "5432", "bhakti"
    )  # fmt: skip
    assert database["PASSWORD"] == "p@ss" and database["OPTIONS"] == {"sslmode": "require"}
    assert values["CACHES"]["default"]["LOCATION"] == "redis://redis:6379/1"
    storage = values["STORAGES"]["default"]
    assert storage["BACKEND"] == "bhakti.storage.PresignedS3Storage"
    assert storage["OPTIONS"]["endpoint_url"] == "http://minio:9000"
    assert storage["OPTIONS"]["public_endpoint_url"] == "http://localhost:9000"
    assert storage["OPTIONS"]["querystring_auth"] is True and "custom_domain" not in storage["OPTIONS"]
    cluster = values["Q_CLUSTER"]
    assert cluster["orm"] == "default" and cluster["workers"] == 4 == cluster["queue_limit"]
    assert cluster["timeout"] == 900 < cluster["retry"]  # a long render is never delivered twice
    assert cluster["max_attempts"] == values["JOB_MAX_ATTEMPTS"] >= 1
    assert values["JSON_LOGS"] is True  # DEBUG off: JSON lines by default
    assert values["LOGGING"]["handlers"]["console"]["formatter"] == "json"


def test_it_stops_manage_py_at_start_on_a_malformed_value(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ENV_NAMES}
    env.update(BHAKTI_DATA_DIR=str(tmp_path), JOB_MAX_ATTEMPTS="three")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: JOB_MAX_ATTEMPTS must be an integer, got 'three'" in result.stderr


def env_file_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_it_accepts_the_example_env_file(monkeypatch, tmp_path):
    # .env.example plus what docker-compose.yml derives from it must make valid settings.
    example = env_file_values(REPO / ".env.example")
    assert all(" #" not in value for value in example.values())  # compose would keep a trailing comment
    values = load_settings(
        monkeypatch,
        tmp_path,
        **{name: value for name, value in example.items() if name in _settings_variables()},
        DATABASE_URL="postgres://bhakti:pw@postgres:5432/bhakti",
        REDIS_URL="redis://redis:6379/0",
        S3_ENDPOINT="http://minio:9000",
        S3_ACCESS_KEY="bhakti",
        S3_SECRET_KEY="secret",
    )
    assert values["DEBUG"] is False and values["JOB_MAX_ATTEMPTS"] == 3
    assert values["STORAGES"]["default"]["OPTIONS"]["public_endpoint_url"] == "http://localhost:9000"


def _settings_variables() -> set[str]:
    import re

    text = SETTINGS_FILE.read_text()
    return set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', text)) | {"DATABASE_URL", "BHAKTI_DATA_DIR"}


def test_it_reads_every_variable_the_deployment_files_set():
    import yaml

    known = _settings_variables()
    example = set(env_file_values(REPO / ".env.example"))
    compose_only = {
        "POSTGRES_PASSWORD",
        "MINIO_ROOT_USER",
        "MINIO_ROOT_PASSWORD",
        "WEB_CONCURRENCY",
        "GUNICORN_THREADS",
    }
    assert example - compose_only <= known, sorted(example - compose_only - known)
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    for service in ("web", "worker", "scheduler", "migrate", "mcp"):
        assert set(compose["services"][service]["environment"]) <= known, service
    assert compose["services"]["mcp"]["command"] == ["python", "manage.py", "mcp", "--http", "0.0.0.0:8765"]
    for service in ("worker", "scheduler"):  # qcluster alone would reap late and hang on SIGTERM
        assert compose["services"][service]["command"] == ["python", "manage.py", "run_workers"], service
    assert compose["services"]["worker"]["environment"]["Q_SCHEDULER"] == "0"


def test_it_turns_https_on_with_debug_off(monkeypatch, tmp_path):
    values = load_settings(monkeypatch, tmp_path, DEBUG="0", SECRET_KEY="x" * 60)
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31_536_000
    assert "SECURE_PROXY_SSL_HEADER" not in values  # trusting the header is a deliberate choice
    behind_proxy = load_settings(monkeypatch, tmp_path, DEBUG="0", SECRET_KEY="x" * 60, TRUST_X_FORWARDED_PROTO="1")
    assert behind_proxy["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    developer = load_settings(monkeypatch, tmp_path)
    assert developer["SECURE_SSL_REDIRECT"] is False and developer["SECURE_HSTS_SECONDS"] == 0


def test_it_passes_the_deployment_checks_with_debug_off(tmp_path):
    # This pass's own environment (on the production pass: PostgreSQL, Redis, S3), with DEBUG off
    # and the documented setting for running behind a TLS-terminating proxy.
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "a-test-secret-key-long-and-random-enough-for-check-deploy-0123456789")
    env.update(DEBUG="0", TRUST_X_FORWARDED_PROTO="1", BHAKTI_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
