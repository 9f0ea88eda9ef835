"""Data migrations: their functions run on rows as the schema before them left them."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from renders.eta import plan_work
from renders.models import RenderJob

pytestmark = pytest.mark.django_db


def test_0014_fills_the_kind_and_length_of_queued_and_running_jobs(alice):
    migration = importlib.import_module("renders.migrations.0014_job_planned_work")
    final = {"mode": "final", "resolution": "720p", "scenes": [{"duration_sec": 6}, {"duration_sec": 4.5}]}
    preview = {"mode": "proxy", "scenes": [{}, {"duration_sec": 3}]}  # a scene without a length counts 5 s
    made = {
        state: RenderJob.objects.create(owner=alice, title=state, language="en", plan=plan, state=state).pk
        for state, plan in (("queued", final), ("running", preview), ("succeeded", final))
    }
    assert set(RenderJob.objects.values_list("render_kind", "planned_sec")) == {("", None)}  # as 0014 found them

    migration.fill_queued_jobs(apps, None)

    rows = {job.state: (job.render_kind, job.planned_sec) for job in RenderJob.objects.filter(pk__in=made.values())}
    assert rows["queued"] == plan_work(final) == ("final:720p", 10.5)
    assert rows["running"] == plan_work(preview) == ("proxy:", 8.0)
    assert rows["succeeded"] == ("", None)  # never in the queue again: left as it was
