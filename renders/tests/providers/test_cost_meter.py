"""Metering: what the chains' providers report is added up in Decimal, and added to the job once."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from conftest import tiny_plan_data
from renders.cost_meter import CostMeter, record_actual_cost
from renders.models import RenderJob
from renders.pipeline.providers.base import characters_price
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
    assert cost["by_provider"]["speech:elevenlabs"] == {"calls": 2, "units": 2 * len(text), "cost": 0.0168}
    assert cost["by_provider"]["speech:espeak"]["cost"] == 0


def test_it_adds_costs_in_decimal_so_the_summary_shows_no_float_noise(tmp_path):
    meter = CostMeter()
    for _ in range(100):
        # 3 characters at $0.015 per 1,000: 4.4999999999999996e-05 in float arithmetic.
        meter.add("speech", "openai", characters_price(3, 0.015), units=3)
        meter.add("images", "openai", 0.04, units=1)
    summary = json.dumps(meter.summary())
    assert json.loads(summary)["by_provider"] == {
        "speech:openai": {"calls": 100, "units": 300, "cost": 0.0045},
        "images:openai": {"calls": 100, "units": 100, "cost": 4.0},
    }
    assert '"cost": 0.0045' in summary and '"total": 4.0045' in summary
    assert meter.total == Decimal("4.0045")
