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
with job_context("job-42"), sentry_sdk.start_transaction(name="render job-42"):
    with sentry_sdk.start_span(op="http.client", name="POST https://x.test/v1?api_key={RAW_API_KEY}"):
        sentry_sdk.add_breadcrumb(message="sent {RAW_API_KEY}")
        try:
            raise RuntimeError("provider refused Authorization: Bearer {RAW_API_KEY}")
        except RuntimeError:
            api_key = "{RAW_API_KEY}"
            sentry_sdk.capture_exception()
sentry_sdk.flush(timeout=10)
"""


def run_django(env_extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="bhakti.settings", BHAKTI_DATA_DIR=str(tmp_path), PYTHONPATH=str(REPO), **env_extra
    )
    # Run from a file, not `-c`: every Python version then puts the frame's source lines (which
    # hold the key) in the event, as Python 3.13 does for `-c` code too.
    script = tmp_path / "raise_with_a_key.py"
    script.write_text(SCRIPT)
    return subprocess.run([sys.executable, str(script)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_it_sends_scrubbed_events_tagged_with_the_job_when_a_dsn_is_set(sentry_server, tmp_path):
    port = sentry_server.server_address[1]
    result = run_django(
        {"SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/7", "SENTRY_TRACES_SAMPLE_RATE": "1"}, tmp_path
    )
    assert result.returncode == 0, result.stderr
    events = [item for envelope in SentryStandIn.envelopes for item in envelope if "exception" in item]
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["job_id"] == "job-42"
    assert event["contexts"]["job"] == {"id": "job-42"}
    assert event["exception"]["values"][0]["value"] == "provider refused Authorization: [redacted]"
    frame = event["exception"]["values"][0]["stacktrace"]["frames"][-1]
    assert "raise RuntimeError" in frame["context_line"]  # the source lines were sent, scrubbed
    transactions = [item for envelope in SentryStandIn.envelopes for item in envelope if "spans" in item]
    assert [span["description"] for span in transactions[0]["spans"]] == ["POST https://x.test/v1?api_key=[redacted]"]
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


def test_it_scrubs_every_string_of_an_event_wherever_it_sits():
    key = RAW_API_KEY
    event = {
        "message": f"refused {key}",
        "logentry": {"message": "refused %s", "params": [key], "formatted": f"refused {key}"},
        "exception": {
            "values": [
                {
                    "type": "RuntimeError",
                    "value": "no",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "call_provider",
                                "pre_context": [f'headers = {{"Authorization": "Bearer {key}"}}'],
                                "context_line": f'    api_key = "{key}"',
                                "post_context": [f"client = Client('{key}')"],
                                "vars": {"headers": {"Authorization": f"Bearer {key}"}, "args": [key]},
                            }
                        ]
                    },
                }
            ]
        },
        "threads": {"values": [{"stacktrace": {"frames": [{"context_line": f"token = '{key}'"}]}}]},
        "breadcrumbs": {"values": [{"category": "httplib", "data": {"url": f"https://x.test/?key={key}"}}]},
        "request": {"url": f"https://studio.test/api/renders?token={key}", "env": {"REMOTE_ADDR": key}},
        "spans": [{"op": "http.client", "description": f"GET https://x.test/v1?api_key={key}"}],
        "tags": {"provider": "openai"},
    }
    scrubbed = before_send(event, {})
    assert key[:8] not in json.dumps(scrubbed)  # bk_Z9y8X…: not even part of the key is left
    frame = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame["function"] == "call_provider"
    assert frame["context_line"] == '    api_key = "[redacted]"'
    assert scrubbed["spans"][0]["description"] == "GET https://x.test/v1?api_key=[redacted]"
    assert scrubbed["tags"]["provider"] == "openai"
