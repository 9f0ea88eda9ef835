"""Sentry starts only with SENTRY_DSN; its events carry the job id and no secrets."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bhakti.logging import job_context
from bhakti.sentry import before_send, init_sentry

REPO = Path(__file__).resolve().parents[2]
RAW_API_KEY = "bk_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2H1g0fed"


class SentryStandIn(BaseHTTPRequestHandler):
    """Accepts envelopes like sentry.io's ingest endpoint and keeps their items."""

    envelopes: list[list[dict]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        items = []
        for line in body.splitlines():
            try:
                items.append(json.loads(line))
            except ValueError:
                continue
        type(self).envelopes.append(items)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def sentry_server():
    SentryStandIn.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SentryStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


SCRIPT = f"""
import django, logging
django.setup()
import sentry_sdk
from bhakti.logging import job_context
assert sentry_sdk.get_client().is_active()
with job_context("job-42"):
    try:
        raise RuntimeError("provider refused Authorization: Bearer {RAW_API_KEY}")
    except RuntimeError:
        api_key = "{RAW_API_KEY}"
        sentry_sdk.capture_exception()
sentry_sdk.flush(timeout=10)
"""


def run_django(env_extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update(DJANGO_SETTINGS_MODULE="bhakti.settings", BHAKTI_DATA_DIR=str(tmp_path), **env_extra)
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_it_sends_scrubbed_events_tagged_with_the_job_when_a_dsn_is_set(sentry_server, tmp_path):
    port = sentry_server.server_address[1]
    result = run_django({"SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/7"}, tmp_path)
    assert result.returncode == 0, result.stderr
    events = [item for envelope in SentryStandIn.envelopes for item in envelope if "exception" in item]
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["job_id"] == "job-42"
    assert event["contexts"]["job"] == {"id": "job-42"}
    assert event["exception"]["values"][0]["value"] == "provider refused Authorization: [redacted]"
    assert RAW_API_KEY not in json.dumps(SentryStandIn.envelopes)


def test_it_stays_off_without_a_dsn(tmp_path):
    result = run_django({}, tmp_path)
    assert result.returncode != 0
    assert "AssertionError" in result.stderr  # get_client().is_active() is False: never initialised
    assert init_sentry(dsn="", environment="test", release="", traces_sample_rate=0.0) is False


def test_it_scrubs_request_headers_bodies_and_frame_variables():
    event = {
        "request": {
            "headers": {"Authorization": "Bearer abc.def.ghi", "X-Api-Key": RAW_API_KEY, "Accept": "application/json"},
            "cookies": {"sessionid": "s3ss10n"},
            "query_string": "page=2&token=qs-secret-123",
            "data": {"username": "alice", "password": "alice-pass-123", "plan": {"title": "Prahlad"}},
        },
        "exception": {
            "values": [
                {
                    "value": f"bad key {RAW_API_KEY}",
                    "stacktrace": {"frames": [{"vars": {"client_secret": "gcs-123", "title": "Prahlad", "n": 3}}]},
                }
            ]
        },
        "extra": {"openai_api_key": "sk-abcdefghijklmnop1234"},
        "breadcrumbs": {"values": [{"message": "POST with password=hunter2-abc"}]},
    }
    with job_context("job-7"):
        scrubbed = before_send(event, {})
    text = json.dumps(scrubbed)
    for secret in ("abc.def.ghi", RAW_API_KEY, "s3ss10n", "qs-secret-123", "alice-pass-123", "gcs-123", "sk-abcdefghijklmnop1234", "hunter2-abc"):  # fmt: skip
        assert secret not in text
    assert scrubbed["request"]["headers"]["Accept"] == "application/json"
    assert scrubbed["request"]["data"]["plan"] == {"title": "Prahlad"}
    assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["n"] == 3
    assert scrubbed["tags"]["job_id"] == "job-7"
