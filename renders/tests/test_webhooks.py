"""renders.webhooks against a local receiver: signature, retry after a 500, refusals, give-up."""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from django_q.models import Schedule

from accounts.services import ensure_profile
from renders import webhooks
from renders.models import JobState, RenderJob, WebhookDelivery
from renders.services import job_cancel, job_create

pytestmark = pytest.mark.django_db


class Receiver:
    """A webhook endpoint on 127.0.0.1 that answers the given statuses in turn (the last repeats)."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"receiver is down")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/bhakti?source=test"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver([500, 200]) as server:
        yield server


@pytest.fixture(autouse=True)
def _webhook_settings(settings, monkeypatch) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_BACKOFF_SEC = 30
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)


@pytest.fixture
def queued_tasks(monkeypatch) -> list[int]:
    """Delivery ids handed to django-q2 for an immediate attempt (the broker itself is not run)."""
    ids: list[int] = []
    monkeypatch.setattr(webhooks, "_queue_now", lambda delivery: ids.append(delivery.pk))
    return ids


def _job_with_webhook(owner, url: str, plan_data: dict) -> RenderJob:
    job = job_create(owner=owner, plan_data=plan_data)
    RenderJob.objects.filter(pk=job.pk).update(webhook_url=url)
    job.refresh_from_db()
    return job


def _expected_signature(secret: str, headers: dict[str, str], body: bytes) -> str:
    signed = headers["x-bhakti-timestamp"].encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def test_it_signs_the_post_and_retries_after_a_500(alice, plan_data, receiver, queued_tasks):
    job = _job_with_webhook(alice, receiver.url, plan_data)
    webhooks.enqueue_state_change(job_id=str(job.pk))
    (first_id,) = queued_tasks

    assert webhooks.deliver_webhook(first_id) == WebhookDelivery.Outcome.FAILED
    first = WebhookDelivery.objects.get(pk=first_id)
    assert first.status_code == 500 and first.attempt == 1 and first.at is not None
    assert "receiver is down" in first.error

    retry = WebhookDelivery.objects.get(event_id=first.event_id, attempt=2)
    assert retry.outcome == WebhookDelivery.Outcome.PENDING
    assert timedelta(seconds=25) < retry.scheduled_for - timezone.now() <= timedelta(seconds=30)
    schedule = Schedule.objects.get(name=f"webhook-delivery-{retry.pk}")
    assert schedule.func == "renders.webhooks.deliver_webhook"
    assert schedule.schedule_type == Schedule.ONCE and schedule.next_run == retry.scheduled_for
    assert ast.literal_eval(schedule.args) == (retry.pk,)  # how django-q2's scheduler reads them

    # What the scheduler would run at next_run, run here directly.
    assert webhooks.deliver_webhook(retry.pk) == WebhookDelivery.Outcome.DELIVERED
    retry.refresh_from_db()
    assert retry.status_code == 200 and retry.error == ""
    assert WebhookDelivery.objects.filter(event_id=first.event_id).count() == 2

    secret = ensure_profile(alice).webhook_secret
    assert len(receiver.requests) == 2
    for attempt, (headers, body) in enumerate(receiver.requests, start=1):
        assert headers["x-bhakti-signature"] == _expected_signature(secret, headers, body)
        assert headers["x-bhakti-delivery-attempt"] == str(attempt)
        assert headers["x-bhakti-event-id"] == str(first.event_id)
        assert headers["content-type"] == "application/json"
    assert receiver.requests[0][1] == receiver.requests[1][1]  # the very same bytes on every attempt
    payload = json.loads(receiver.requests[1][1])
    assert payload["event"] == "job.state_changed"
    assert payload["job_id"] == str(job.pk) and payload["state"] == "queued"
    assert payload["status_path"] == f"/api/v1/renders/{job.pk}"


def test_it_signs_with_a_signature_a_wrong_secret_cannot_make(alice, plan_data, receiver, queued_tasks):
    receiver.statuses = [200]
    job = _job_with_webhook(alice, receiver.url, plan_data)
    webhooks.enqueue_state_change(job_id=str(job.pk))
    webhooks.deliver_webhook(queued_tasks[0])
    headers, body = receiver.requests[0]
    assert headers["x-bhakti-signature"] != _expected_signature("not-the-secret", headers, body)
    tampered = body.replace(b"queued", b"succeeded")
    assert headers["x-bhakti-signature"] != _expected_signature(ensure_profile(alice).webhook_secret, headers, tampered)


def test_it_backs_off_exponentially_and_gives_up(alice, plan_data, queued_tasks):
    with Receiver([503]) as down:
        job = _job_with_webhook(alice, down.url, plan_data)
        webhooks.enqueue_state_change(job_id=str(job.pk))
        delivery_id = queued_tasks[0]
        waits = []
        for _ in range(3):
            assert webhooks.deliver_webhook(delivery_id) == WebhookDelivery.Outcome.FAILED
            following = WebhookDelivery.objects.filter(pk__gt=delivery_id).first()
            if following is None:
                break
            waits.append(round((following.scheduled_for - timezone.now()).total_seconds()))
            delivery_id = following.pk
    assert waits == [30, 60]
    assert WebhookDelivery.objects.count() == 3  # WEBHOOK_MAX_ATTEMPTS, then no more
    assert Schedule.objects.count() == 2
    assert len(down.requests) == 3


def test_it_retries_when_the_receiver_is_unreachable(alice, plan_data, queued_tasks):
    with Receiver([200]) as gone:
        url = gone.url
    job = _job_with_webhook(alice, url, plan_data)  # its server is closed: connection refused
    webhooks.enqueue_state_change(job_id=str(job.pk))
    assert webhooks.deliver_webhook(queued_tasks[0]) == WebhookDelivery.Outcome.FAILED
    failed = WebhookDelivery.objects.get(pk=queued_tasks[0])
    assert failed.status_code is None and "ConnectionRefusedError" in failed.error
    assert WebhookDelivery.objects.filter(attempt=2).exists()


def test_it_refuses_a_private_address_at_delivery_time(alice, plan_data, receiver, queued_tasks, settings):
    # Accepted when the job was created (e.g. its DNS name pointed elsewhere), private by delivery time.
    job = _job_with_webhook(alice, receiver.url, plan_data)
    settings.WEBHOOK_ALLOW_PRIVATE = False
    webhooks.enqueue_state_change(job_id=str(job.pk))
    assert webhooks.deliver_webhook(queued_tasks[0]) == WebhookDelivery.Outcome.REFUSED
    refused = WebhookDelivery.objects.get(pk=queued_tasks[0])
    assert "127.0.0.1" in refused.error
    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 1 and not Schedule.objects.exists()  # never retried


def test_it_sends_each_attempt_once_when_the_task_runs_twice(alice, plan_data, receiver, queued_tasks):
    receiver.statuses = [200]
    job = _job_with_webhook(alice, receiver.url, plan_data)
    webhooks.enqueue_state_change(job_id=str(job.pk))
    assert webhooks.deliver_webhook(queued_tasks[0]) == WebhookDelivery.Outcome.DELIVERED
    assert webhooks.deliver_webhook(queued_tasks[0]) == "skipped"
    assert len(receiver.requests) == 1


def test_it_falls_back_to_the_accounts_default_url(alice, plan_data, receiver, queued_tasks):
    profile = ensure_profile(alice)
    profile.default_webhook_url = receiver.url
    profile.save(update_fields=["default_webhook_url"])
    job = job_create(owner=alice, plan_data=plan_data)
    webhooks.enqueue_state_change(job_id=str(job.pk))
    assert WebhookDelivery.objects.get().url == receiver.url


def test_it_sends_nothing_without_a_webhook_url(alice, plan_data, queued_tasks):
    job = job_create(owner=alice, plan_data=plan_data)
    webhooks.enqueue_state_change(job_id=str(job.pk))
    assert queued_tasks == [] and not WebhookDelivery.objects.exists()


def test_it_queues_a_delivery_for_each_state_change_after_commit(
    alice, plan_data, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(owner=alice, plan_data=plan_data, webhook_url=receiver.url)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job_cancel(job=job)
        assert WebhookDelivery.objects.count() == 1  # the cancel's delivery waits for the commit
    for callback in callbacks:
        callback()
    assert list(WebhookDelivery.objects.values_list("event_state", flat=True)) == [JobState.QUEUED, JobState.CANCELED]


def test_it_never_fails_the_caller_when_queueing_fails(alice, plan_data, monkeypatch, caplog):
    job = _job_with_webhook(alice, "http://93.184.216.34/hook", plan_data)

    def broken_broker(delivery: WebhookDelivery) -> None:
        raise ConnectionError("broker unavailable")

    monkeypatch.setattr(webhooks, "_queue_now", broken_broker)
    webhooks.enqueue_state_change(job_id=str(job.pk))
    assert "Could not queue the webhook" in caplog.text


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.8", False),
        ("172.16.4.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        # 6to4 (2002::/16) carries an IPv4 address in bits 16-48: judged by it.
        ("2002:7f00:1::", False),  # 127.0.0.1
        ("2002:a9fe:a9fe::", False),  # 169.254.169.254, the cloud metadata service
        ("2002:0a00:0001::1", False),  # 10.0.0.1
        ("2002:5db8:d822::1", True),  # 93.184.216.34
        # NAT64, well-known prefix: the last 32 bits are where the translator connects.
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b::5db8:d822", True),
        ("64:ff9b:1::a00:1", False),  # local-use NAT64 leads into the operator's own network
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated)
        ("::93.184.216.34", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("fec0::1", False),  # site-local (deprecated)
        ("feff::1", False),
    ],
)
def test_it_tells_public_addresses_from_private_ones(address, public):
    assert webhooks.is_public_address(address) is public


@pytest.mark.parametrize(
    "url", ["http://[2002:7f00:1::]/", "http://[2002:a9fe:a9fe::]/latest/meta-data", "http://[fec0::1]/hook"]
)
def test_it_refuses_ipv6_literals_that_lead_to_private_addresses(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(webhooks.WebhookUrlNotAllowed, match="private, loopback or link-local"):
        webhooks.check_webhook_url(url)


def test_it_connects_to_the_address_it_checked(alice, plan_data, receiver, queued_tasks, monkeypatch):
    # DNS rebinding: the first answer is checked; a later lookup (were the connection to make
    # one) would lead elsewhere. The POST must reach the checked address, with the URL's Host.
    receiver.statuses = [200]
    port = receiver.server.server_port
    answers = ["127.0.0.1", "192.0.2.1"]  # the second is TEST-NET-1: nothing answers there
    lookups: list[str] = []
    real_getaddrinfo = webhooks.socket.getaddrinfo

    def rebinding_resolver(host, port_, *args, **kwargs):
        if host != "hooks.example.test":
            return real_getaddrinfo(host, port_, *args, **kwargs)  # an address literal: no DNS
        lookups.append(host)
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        return [(webhooks.socket.AF_INET, webhooks.socket.SOCK_STREAM, 6, "", (address, port_))]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", rebinding_resolver)
    job = _job_with_webhook(alice, f"http://hooks.example.test:{port}/hook", plan_data)
    webhooks.enqueue_state_change(job_id=str(job.pk))
    assert webhooks.deliver_webhook(queued_tasks[0]) == WebhookDelivery.Outcome.DELIVERED
    assert lookups == ["hooks.example.test"]  # resolved once, by the check
    headers, _ = receiver.requests[0]
    assert headers["host"] == f"hooks.example.test:{port}"


def test_it_checks_names_by_what_they_resolve_to(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(webhooks.WebhookUrlNotAllowed, match="private, loopback or link-local"):
        webhooks.check_webhook_url("http://localhost:8000/hook")
    with pytest.raises(webhooks.WebhookUrlNotAllowed, match="user name or password"):
        webhooks.check_webhook_url("https://user:secret@93.184.216.34/hook")
    webhooks.check_webhook_url("https://93.184.216.34/hook")
