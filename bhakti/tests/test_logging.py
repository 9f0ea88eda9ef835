"""JSON log lines carry request_id and job_id; secrets never reach a log line."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bhakti.logging import ContextFilter, JsonFormatter, ScrubSecretsFilter, job_context
from bhakti.request_context import request_id_var, scrub_text

RAW_API_KEY = "bk_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0uvw"
SECRETS = [
    RAW_API_KEY,
    "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    "hunter2-correct-horse",
    "eyJhbGciOiJIUzI1NiJ9.payload.sig",
    "ya29.a0AfB_byC-very-long-google-token",
    "db-password-42",
]


@pytest.fixture
def json_log() -> io.StringIO:
    """A handler like the configured one (context + scrub filters, JSON) on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(ScrubSecretsFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_it_writes_one_json_object_per_line_with_the_job_id(json_log):
    with job_context("5d1e6c1e-0000-4000-8000-000000000001"):
        logging.getLogger("renders.execution").info("compose: %d segments", 4, extra={"step": "compose"})
    logging.getLogger("renders.execution").info("outside")
    first, second = lines(json_log)
    assert first["message"] == "compose: 4 segments" and first["level"] == "INFO"
    assert first["logger"] == "renders.execution" and first["step"] == "compose"
    assert first["job_id"] == "5d1e6c1e-0000-4000-8000-000000000001"
    assert second["job_id"] == "" and second["ts"].endswith("+00:00")


def test_it_logs_each_request_with_its_request_id(client, json_log):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a"})
    assert response["X-Request-ID"] == "edge-7f3a"
    access = [line for line in lines(json_log) if line["logger"] == "bhakti.request"]
    assert len(access) == 1
    assert access[0]["request_id"] == "edge-7f3a"
    assert (access[0]["method"], access[0]["path"], access[0]["status"]) == ("GET", "/healthz", 200)
    assert request_id_var.get() == ""  # reset once the request is over


def test_it_makes_its_own_request_id_when_the_callers_is_unsafe(client):
    response = client.get("/healthz", headers={"X-Request-ID": "x" * 65})
    assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"] != "x" * 65
    other = client.get("/healthz")
    assert other["X-Request-ID"] != response["X-Request-ID"]


def test_it_scrubs_secrets_from_messages_arguments_extras_and_tracebacks(json_log):
    log = logging.getLogger("publishing.youtube")
    log.warning("calling with Authorization: Bearer %s", "eyJhbGciOiJIUzI1NiJ9.payload.sig")
    log.warning("key %s used; password=hunter2-correct-horse", RAW_API_KEY)
    log.info("retrying", extra={"api_key": "sk-proj-abcdefghijklmnopqrstuvwxyz012345", "attempt": 2})
    log.info("refresh gave access_token=ya29.a0AfB_byC-very-long-google-token&expires=3600")
    try:
        raise ConnectionError("could not connect to postgres://bhakti:db-password-42@db:5432/bhakti")
    except ConnectionError:
        log.exception("database down")
    text = json_log.getvalue()
    for secret in SECRETS:
        assert secret not in text
    records = lines(json_log)
    assert records[0]["message"] == "calling with Authorization: [redacted]"
    assert records[1]["message"] == "key bk_[redacted] used; password=[redacted]"
    assert records[2]["api_key"] == "[redacted]" and records[2]["attempt"] == 2
    assert "expires=3600" in records[3]["message"]
    assert "postgres://bhakti:[redacted]@db:5432/bhakti" in records[4]["exc"]


def test_it_keeps_the_short_key_prefix_and_ordinary_words():
    assert scrub_text("key bk_1a2b3c4d revoked") == "key bk_1a2b3c4d revoked"
    assert scrub_text("max_tokens=400, token_count: 12") == "max_tokens=400, token_count: 12"


def test_it_scrubs_through_the_configured_console_handler(capsys):
    # The handler settings.LOGGING installed on the root logger, not one built by this test.
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, ScrubSecretsFilter) for f in h.filters))
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        logging.getLogger("renders.api").error("bad key %s from Authorization: Token %s", RAW_API_KEY, "abc123")
    finally:
        handler.setStream(old)
    assert RAW_API_KEY not in stream.getvalue() and "abc123" not in stream.getvalue()
    assert "bk_[redacted]" in stream.getvalue()
