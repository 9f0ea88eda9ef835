"""A cloud provider's 429 on a pipeline thread (stills are painted on several) is recorded, and
that thread's own database connection is not left open."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from accounts.models import AuditEvent
from renders.pipeline.providers.retry import RetryableError, _notify_rate_limited

pytestmark = pytest.mark.django_db(transaction=True)


def notify_rate_limited(provider: str) -> None:
    _notify_rate_limited(RetryableError("slow down", status=429, provider=provider))


def test_a_429_seen_on_a_painting_thread_is_recorded_and_its_connection_closed(monkeypatch):
    closed_on: list[str] = []
    wrapper = type(connections["default"])
    close = wrapper.close

    def spy(self) -> None:
        closed_on.append(threading.current_thread().name)
        close(self)

    monkeypatch.setattr(wrapper, "close", spy)
    thread = threading.Thread(target=notify_rate_limited, args=("openai",), name="paint_0")
    thread.start()
    thread.join()
    assert closed_on == ["paint_0"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PROVIDER_THROTTLED, detail="openai").count() == 1

    notify_rate_limited("elevenlabs")  # on the main thread (a worker's render): its connection stays
    assert closed_on == ["paint_0"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PROVIDER_THROTTLED).count() == 2
