"""A new version of a video renders only what changed: the real pipeline, twice, on a tiny plan."""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from conftest import tiny_plan_data
from renders.execution import execute_render_job
from renders.models import JobState, RenderJob
from renders.services import job_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)


def test_an_edited_version_reuses_the_unchanged_pieces_and_says_so(client, alice):
    plan = tiny_plan_data(
        scenes=[
            {"image_prompt": "a river at dawn", "narration": "Prahlad prayed.", "duration_sec": 1.5},
            {"image_prompt": "a palace at night", "narration": "The king was angry.", "duration_sec": 1.5},
            {"image_prompt": "fire at night", "narration": "The fire did not burn him.", "duration_sec": 1.5},
        ]
    )
    first = job_create(owner=alice, plan_data=plan)
    assert execute_render_job(str(first.pk)) == JobState.SUCCEEDED
    first.refresh_from_db()
    assert first.pieces_total and first.pieces_reused == 0

    edited = copy.deepcopy(first.plan)
    edited["scenes"][2]["narration"] = "The flames turned cool around him."
    second = job_create(owner=alice, plan_data=edited, version_of=first)
    assert execute_render_job(str(second.pk)) == JobState.SUCCEEDED
    second.refresh_from_db()
    assert second.version == 2 and second.video_id == first.pk
    # Scenes 1 and 2 (the fade between them inside scene 2's segment) come from the cache; the
    # edited scene 3, which opens with its fade in, is new. So is each scene's audio piece: the
    # longer narration makes the video longer, and the music's fades (over the whole of this
    # short video) move with its end.
    assert (second.pieces_reused, second.pieces_total) == (2, 6)
    # The unchanged scenes' narration and pictures come from the shared caches, not spoken or painted again.
    log = [event.message for event in second.events.all()]
    assert "scene 1 image: reused from an earlier render" in log
    client.force_login(alice)
    page = client.get(reverse("renders:job_status", args=[second.pk])).content.decode()
    assert f"{second.pieces_reused} of {second.pieces_total} pieces reused" in page
    assert RenderJob.objects.filter(owner=alice).count() == 2
