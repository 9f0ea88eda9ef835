"""The shipped alert rules and dashboard: valid for Prometheus, and about series Bhakti serves.

`promtool` comes from Debian's `prometheus` package (scripts/test.sh installs it when it can).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import AuditEvent
from renders.models import JobState
from renders.tests.test_metrics import make_job

DEPLOY = Path(settings.BASE_DIR) / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
ALERT_TESTS = DEPLOY / "prometheus" / "alerts_test.yml"
DASHBOARD = DEPLOY / "grafana" / "bhakti-dashboard.json"

# Words in the expressions that are PromQL, not series names.
PROMQL_WORDS = {
    "sum", "by", "and", "or", "unless", "rate", "increase", "histogram_quantile", "le", "job", "instance",
    "up", "h", "m", "s",
}  # fmt: skip


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: install Debian's prometheus package (apt-get install prometheus)")
    return path


def test_the_alert_rules_are_valid() -> None:
    result = subprocess.run([promtool(), "check", "rules", str(ALERTS)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 11 rules found" in result.stdout


def test_the_alert_rules_fire_when_they_should() -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", ALERT_TESTS.name],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ALERT_TESTS.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def _expressions() -> list[str]:
    expressions = re.findall(r"expr: \|?\s*\n?((?:.+\n)+?)\s+(?:for|labels):", ALERTS.read_text())
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        expressions += [target["expr"] for target in panel["targets"]]
    return expressions


@pytest.mark.django_db
def test_every_series_they_query_is_served(client, alice, settings) -> None:
    settings.METRICS_TOKEN = ""
    settings.METRICS_PUBLIC = True
    make_job(alice, JobState.SUCCEEDED, seconds=30, timings={"images": 1.0})
    make_job(alice, JobState.FAILED, seconds=3, error_step="compose")
    for action, detail in (
        (AuditEvent.Action.PROVIDER_THROTTLED, "openai"),
        (AuditEvent.Action.YOUTUBE_FAILED, "quota_exceeded"),
    ):
        AuditEvent.objects.create(action=action, detail=detail)
    served: set[str] = set()
    for family in text_string_to_metric_families(client.get("/metrics/prometheus").content.decode()):
        for sample in family.samples:
            served.add(sample.name)
            served.update(sample.labels)

    expressions = _expressions()
    assert len(expressions) >= 20  # 11 rules and the dashboard's targets
    unknown = set()
    for expression in expressions:
        without_strings = re.sub(r'"[^"]*"', "", expression)
        for word in re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", without_strings):
            if word not in served and word not in PROMQL_WORDS:
                unknown.add(word)
    assert unknown == set(), f"queried but not served: {sorted(unknown)}"
