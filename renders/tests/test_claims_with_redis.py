"""Priority and backoff with django-q2's Redis broker, which hands tasks out first in, first out.

The tasks are pushed to and popped from a real Redis list; each popped task is delivered to the
worker's claim, as a cluster would. (The ORM broker is driven by real clusters in test_workers.)
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule
from django_q.signing import SignedPackage

from conftest import tiny_plan_data
from renders import execution
from renders.models import RenderJob
from renders.services import enqueue_render, job_create


@pytest.fixture
def redis_broker(monkeypatch, settings) -> Iterator[object]:
    url = settings.REDIS_URL or os.environ.get("TEST_REDIS_URL", "")
    if not url:
        pytest.skip("no Redis here; the production pass has one")
    from django_q.brokers.redis_broker import Redis
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "REDIS", url)
    monkeypatch.setattr(Conf, "DJANGO_REDIS", None)
    broker = Redis(list_key=f"bhakti-test-{uuid.uuid4().hex}")
    monkeypatch.setattr("django_q.brokers.get_broker", lambda list_key=None: broker)
    yield broker
    broker.delete_queue()


def _deliver_all(broker) -> list[str | None]:
    """Pop every task in the broker's order and let a worker claim for it: the jobs claimed."""
    claimed: list[str | None] = []
    while broker.queue_size():
        [(_, payload)] = broker.dequeue()
        task = SignedPackage.loads(payload)
        job = execution._claim(task["args"][0])
        claimed.append(str(job.pk) if job else None)
    return claimed


def test_it_starts_the_high_priority_job_first_whatever_the_redis_order(
    alice, settings, redis_broker, django_capture_on_commit_callbacks
):
    settings.CREATOR_MAX_PRIORITY = 10
    with django_capture_on_commit_callbacks(execute=True):
        lows = [job_create(owner=alice, plan_data=tiny_plan_data(), priority=1) for _ in range(3)]
        high = job_create(owner=alice, plan_data=tiny_plan_data(), priority=9)
    assert redis_broker.queue_size() == 4  # low, low, low, high: first in, first out

    assert _deliver_all(redis_broker) == [str(high.pk), *(str(job.pk) for job in lows)]


def test_it_schedules_a_delayed_slot_instead_of_queuing_it_early(
    alice, redis_broker, django_capture_on_commit_callbacks
):
    job = job_create(owner=alice, plan_data=tiny_plan_data())
    due = timezone.now() + timedelta(seconds=40)
    RenderJob.objects.filter(pk=job.pk).update(next_attempt_at=due)

    enqueue_render(job_id=str(job.pk), not_before=due)

    assert redis_broker.queue_size() == 0
    slot = Schedule.objects.get(name__startswith=f"render-{job.pk}-at-")
    assert (slot.func, slot.args, slot.schedule_type, slot.next_run) == (
        "renders.tasks.run_render_job",
        repr((str(job.pk),)),
        Schedule.ONCE,
        due,
    )
    # A task delivered before then finds nothing due and offers the slot again for `due`.
    with django_capture_on_commit_callbacks(execute=True):
        assert execution._claim(str(job.pk)) is None
    assert [slot.next_run for slot in Schedule.objects.filter(name__startswith=f"render-{job.pk}-at-")] == [due, due]
