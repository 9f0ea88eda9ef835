"""Operators see a series and its jobs in Django admin (read-only)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from renders.series_service import SeriesItem, series_create

pytestmark = pytest.mark.django_db


def test_it_lists_a_series_and_shows_its_jobs_in_order(client, alice, monkeypatch):
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)
    series = series_create(
        owner=alice, title="Operators' view", items=[SeriesItem(story="prahlad"), SeriesItem(story="dhruva")]
    )
    client.force_login(User.objects.create_superuser("root", "root@example.com", "root-pass-123"))
    assert "Operators&#x27; view" in client.get(reverse("admin:renders_series_changelist")).content.decode()
    page = client.get(reverse("admin:renders_series_change", args=[series.pk])).content.decode()
    titles = [job.title for job in series.jobs.order_by("series_position")]
    assert page.index(titles[0]) < page.index(titles[1])
