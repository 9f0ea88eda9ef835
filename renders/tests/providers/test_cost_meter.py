"""Metering: what the chains' providers report is added up, and added to the job once."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from conftest import tiny_plan_data
from renders.cost_meter import record_actual_cost
from renders.models import RenderJob
from renders.providers_config import build_providers
from renders.services import job_create


@pytest.mark.django_db
def test_it_meters_cost_and_adds_it_to_the_job_once(cloud_settings, alice, tmp_path, elevenlabs_standin):
    cloud_settings.SPEECH_PROVIDERS = ["elevenlabs", "espeak"]
    providers = build_providers()
    text = "Prahlad prayed by the river."
    providers.speech[0].synthesize(text, "en", "female")
    providers.speech[0].synthesize(text, "en", "female")
    providers.speech[1].synthesize(text, "en", "female")  # espeak: free, still counted as a call
    expected = Decimal(str(round(2 * len(text) / 1000 * 0.30, 4)))
    assert providers.meter.total == expected

    job = job_create(owner=alice, plan_data=tiny_plan_data())
    summary = tmp_path / "job_summary.json"
    summary.write_text(json.dumps({"encoder": "libx264"}))
    assert record_actual_cost(str(job.pk), providers, summary) == expected
    assert record_actual_cost(str(job.pk), providers) == 0  # already recorded: nothing added twice
    assert RenderJob.objects.get(pk=job.pk).cost_actual == expected
    cost = json.loads(summary.read_text())["cost"]
    assert cost["total"] == float(expected)
    assert cost["by_provider"]["speech:elevenlabs"] == {
        "calls": 2,
        "units": 2 * len(text),
        "cost": pytest.approx(float(expected)),
    }
    assert cost["by_provider"]["speech:espeak"]["cost"] == 0
