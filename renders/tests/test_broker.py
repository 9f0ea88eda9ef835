"""The lease broker: a task handed out is locked briefly and renewed only by the process holding it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_q.models import OrmQ

from renders.broker import LeaseBroker

pytestmark = pytest.mark.django_db


def _lock(pk: int) -> timedelta:
    return OrmQ.objects.get(pk=pk).lock - timezone.now()


def test_it_leases_a_task_for_broker_lease_sec_not_for_retry(monkeypatch):
    monkeypatch.setattr(LeaseBroker, "_start_renewer", lambda self: None)  # renewal is driven by hand here
    broker = LeaseBroker(list_key="lease-test")
    broker.enqueue("payload")

    [(pk, payload)] = broker.dequeue()

    assert payload == "payload"
    assert timedelta(0) < _lock(pk) <= timedelta(seconds=settings.BROKER_LEASE_SEC)
    assert broker.dequeue() is None  # leased: nobody else gets it meanwhile


def test_it_renews_what_it_holds_and_forgets_what_was_acknowledged(monkeypatch):
    monkeypatch.setattr(LeaseBroker, "_start_renewer", lambda self: None)
    alice_cluster, bob_cluster = LeaseBroker(list_key="lease-test"), LeaseBroker(list_key="lease-test")
    alice_cluster.enqueue("first")
    [(held, _)] = alice_cluster.dequeue()
    bob_cluster.enqueue("second")
    [(bobs, _)] = bob_cluster.dequeue()
    almost_out = timezone.now() + timedelta(seconds=1)
    OrmQ.objects.filter(pk__in=[held, bobs]).update(lock=almost_out)

    assert alice_cluster.renew_leases() == 1

    assert _lock(held) > timedelta(seconds=settings.BROKER_LEASE_SEC - 5)
    assert OrmQ.objects.get(pk=bobs).lock == almost_out  # another cluster's lease is its own to renew
    alice_cluster.acknowledge(held)
    assert alice_cluster.renew_leases() == 0
    assert alice_cluster._held == set()


def test_a_dead_clusters_task_is_claimable_once_its_lease_ran_out(monkeypatch):
    monkeypatch.setattr(LeaseBroker, "_start_renewer", lambda self: None)
    dead, alive = LeaseBroker(list_key="lease-test"), LeaseBroker(list_key="lease-test")
    dead.enqueue("prefetched")
    [(pk, _)] = dead.dequeue()
    OrmQ.objects.filter(pk=pk).update(lock=timezone.now() - timedelta(seconds=1))  # no renewal came

    assert [task_pk for task_pk, _ in alive.dequeue()] == [pk]


def test_it_releases_what_it_holds_when_its_cluster_stops(monkeypatch):
    monkeypatch.setattr(LeaseBroker, "_start_renewer", lambda self: None)
    stopping, alive = LeaseBroker(list_key="lease-test"), LeaseBroker(list_key="lease-test")
    stopping.enqueue("prefetched")
    [(pk, _)] = stopping.dequeue()
    assert alive.dequeue() is None

    assert stopping.release_leases() == 1

    assert [task_pk for task_pk, _ in alive.dequeue()] == [pk]  # at once, not after the lease
