"""Webhook delivery on job state changes: signed JSON POSTs, retried through django-q2.

Flow: `enqueue_state_change` (called by the services after commit) snapshots the job into a
JSON body, stores it on a pending `WebhookDelivery` row and queues `deliver_webhook`. The task
POSTs the body, records the outcome on the row and, on a failure, creates the next attempt's row
and a one-off django-q2 `Schedule` for it (django-q2 has no countdown). Backoff doubles from
WEBHOOK_BACKOFF_SEC, up to WEBHOOK_MAX_ATTEMPTS attempts.

Signature: `X-Bhakti-Signature: sha256=<hex>` where hex is HMAC-SHA256, under the account's
webhook secret, of `<X-Bhakti-Timestamp>.<body>`. Signing the timestamp with the body lets a
receiver refuse replays of an old delivery (reject timestamps older than a few minutes).

Server-side request forgery: a URL whose host resolves to a private, loopback, link-local or
otherwise non-global address is refused (IPv6 addresses that carry an IPv4 one, as 6to4, NAT64
and IPv4-mapped do, are judged by the IPv4 address; site-local, IPv4-compatible and Teredo never
pass), once when the job is created and again at every
delivery, where the checked address is the one connected to (a DNS answer that changes between
the check and the connect cannot redirect the POST). WEBHOOK_ALLOW_PRIVATE=True lifts this for
tests and closed networks.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Profile
from accounts.services import ensure_profile
from renders.models import RenderJob, WebhookDelivery

logger = logging.getLogger(__name__)

EVENT_STATE_CHANGED = "job.state_changed"
SIGNATURE_HEADER = "X-Bhakti-Signature"
TIMESTAMP_HEADER = "X-Bhakti-Timestamp"
USER_AGENT = "Bhakti-Webhooks/1.0"
MAX_ERROR_BODY_CHARS = 500


class WebhookUrlNotAllowed(ValueError):
    """The URL may not receive webhooks (scheme, credentials, or a non-public address)."""


# --- URL checks -------------------------------------------------------------------------------


def _split_webhook_url(url: str) -> SplitResult:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlNotAllowed("The webhook URL must start with http:// or https://.")
    if not parts.hostname:
        raise WebhookUrlNotAllowed("The webhook URL must name a host.")
    if parts.username or parts.password:
        raise WebhookUrlNotAllowed("The webhook URL must not contain a user name or password.")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise WebhookUrlNotAllowed("The webhook URL has a malformed port.") from None
    return parts


def _default_port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


# IPv6 ranges that are never a webhook target whatever they carry: site-local (deprecated, routed
# inside a site like fc00::/7), local-use NAT64 (translates into the operator's own network),
# IPv4-compatible (deprecated; some stacks still route it as the IPv4 address it holds) and
# Teredo (obsolete tunnelling to an address hidden in the bits).
_REFUSED_IPV6_NETWORKS = tuple(
    ipaddress.IPv6Network(network) for network in ("fec0::/10", "64:ff9b:1::/48", "::/96", "2001::/32")
)
# Well-known NAT64 prefix: the last 32 bits are the IPv4 address the translator connects to.
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")


def _is_public_ipv4(ip: ipaddress.IPv4Address) -> bool:
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a translating or tunnelling IPv6 address leads to, if it is one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # ::ffff:a.b.c.d
    if ip.sixtofour is not None:
        return ip.sixtofour  # 2002:AABB:CCDD::/48 is the 6to4 site of AA.BB.CC.DD
    if ip in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """Whether a webhook may connect to `address` (an IPv4 or IPv6 literal, zone id allowed).

    Python's `is_global` judges an IPv6 address by its own range only, so 2002:7f00:1:: (6to4 for
    127.0.0.1) and fec0::1 pass it; addresses that lead to an IPv4 one are judged by that.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv4Address):
        return _is_public_ipv4(ip)
    if any(ip in network for network in _REFUSED_IPV6_NETWORKS):
        return False
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return _is_public_ipv4(embedded)
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def _resolve(parts: SplitResult) -> list[str]:
    """Every address the host resolves to. Raises OSError (socket.gaierror) when it does not."""
    infos = socket.getaddrinfo(parts.hostname, _default_port(parts), type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _allowed_address(parts: SplitResult) -> str:
    """The address to connect to. Raises WebhookUrlNotAllowed, or OSError if DNS fails."""
    addresses = _resolve(parts)
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return addresses[0]
    refused = [address for address in addresses if not is_public_address(address)]
    if refused:
        # Any private answer refuses the whole name: a resolver rotating between a public and a
        # private address must not get lucky on a later delivery.
        raise WebhookUrlNotAllowed(
            f"The webhook URL's host {parts.hostname} resolves to a private, loopback or link-local "
            f"address ({refused[0]}); webhooks go only to public addresses."
        )
    return addresses[0]


def check_webhook_url(url: str) -> None:
    """Raise WebhookUrlNotAllowed unless `url` may receive webhooks. Resolves the host (DNS)."""
    parts = _split_webhook_url(url)
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        _allowed_address(parts)
    except OSError:
        raise WebhookUrlNotAllowed(f"The webhook URL's host {parts.hostname} could not be resolved.") from None


# --- Signing ----------------------------------------------------------------------------------


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The X-Bhakti-Signature value for this body sent at this timestamp (seconds since epoch)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


# --- Enqueueing -------------------------------------------------------------------------------


def _status_path(job_id: str) -> str:
    try:
        return reverse("api_v1:render-detail", kwargs={"job_id": job_id})
    except NoReverseMatch:
        return f"/api/v1/renders/{job_id}"


def state_change_payload(job: RenderJob, *, event_id: uuid.UUID) -> dict[str, Any]:
    return {
        "event": EVENT_STATE_CHANGED,
        "event_id": str(event_id),
        "occurred_at": timezone.now().isoformat(),
        "job_id": str(job.pk),
        "title": job.title,
        "state": job.state,
        "step": job.step,
        "progress_pct": job.progress_pct,
        "error": job.error,
        "attempts": job.attempts,
        "cost_estimate": str(job.cost_estimate),
        "cost_actual": str(job.cost_actual),
        "status_path": _status_path(str(job.pk)),
    }


def _webhook_url_for(job: RenderJob) -> str:
    if job.webhook_url:
        return job.webhook_url
    profile = Profile.objects.filter(user_id=job.owner_id).only("default_webhook_url").first()
    return profile.default_webhook_url if profile else ""


def enqueue_state_change(*, job_id: str) -> None:
    """Queue a webhook delivery for the job's current state, if it has a webhook URL.

    Called after commit; it never raises, so a webhook problem cannot fail the request or the
    render that changed the state (it is logged instead).
    """
    try:
        job = RenderJob.objects.filter(pk=job_id).first()
        if job is None:
            return
        url = _webhook_url_for(job)
        if not url:
            return
        event_id = uuid.uuid4()
        body = json.dumps(state_change_payload(job, event_id=event_id), separators=(",", ":"), sort_keys=True)
        delivery = WebhookDelivery.objects.create(
            job=job,
            event_id=event_id,
            event_state=job.state,
            url=url,
            attempt=1,
            body=body,
            scheduled_for=timezone.now(),
        )
        _queue_now(delivery)
    except Exception:
        logger.exception("Could not queue the webhook for job %s", job_id)


def _queue_now(delivery: WebhookDelivery) -> None:
    from django_q.tasks import async_task

    async_task("renders.webhooks.deliver_webhook", delivery.pk, task_name=f"webhook-{delivery.pk}", group="webhooks")


def backoff_seconds(attempt: int) -> int:
    """Wait before attempt `attempt + 1`: WEBHOOK_BACKOFF_SEC, doubled per failed attempt."""
    return int(settings.WEBHOOK_BACKOFF_SEC * 2 ** (attempt - 1))


def _schedule_retry(delivery: WebhookDelivery) -> WebhookDelivery:
    from django_q.models import Schedule

    run_at = timezone.now() + timedelta(seconds=backoff_seconds(delivery.attempt))
    with transaction.atomic():
        retry = WebhookDelivery.objects.create(
            job_id=delivery.job_id,
            event_id=delivery.event_id,
            event_state=delivery.event_state,
            url=delivery.url,
            attempt=delivery.attempt + 1,
            body=delivery.body,
            scheduled_for=run_at,
        )
        # A ONCE schedule with negative repeats is deleted by the scheduler after it fires.
        Schedule.objects.create(
            name=f"webhook-delivery-{retry.pk}",
            func="renders.webhooks.deliver_webhook",
            args=f"({retry.pk},)",
            schedule_type=Schedule.ONCE,
            repeats=-1,
            next_run=run_at,
        )
    return retry


# --- Delivery ---------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an already-checked address while sending the URL's own Host header."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified against the URL's host name (SNI and certificate)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post(parts: SplitResult, address: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(
        parts.hostname or "", _default_port(parts), address=address, timeout=settings.WEBHOOK_TIMEOUT_SEC
    )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        # Redirects are not followed: the target is the checked URL and nothing else.
        snippet = response.read(MAX_ERROR_BODY_CHARS).decode("utf-8", "replace")
        return response.status, snippet
    finally:
        connection.close()


def _secret_for(delivery: WebhookDelivery) -> str:
    return ensure_profile(delivery.job.owner).webhook_secret


def deliver_webhook(delivery_id: int) -> str:
    """django-q2 task: make one delivery attempt and record it; schedule the next on failure.

    Idempotent: the attempt is claimed by setting `at` on a pending row, so a task delivered
    twice sends once.
    """
    now = timezone.now()
    if not WebhookDelivery.objects.filter(pk=delivery_id, outcome=WebhookDelivery.Outcome.PENDING, at=None).update(
        at=now
    ):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("job__owner").get(pk=delivery_id)
    body = delivery.body.encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Bhakti-Event": EVENT_STATE_CHANGED,
        "X-Bhakti-Event-Id": str(delivery.event_id),
        "X-Bhakti-Delivery-Attempt": str(delivery.attempt),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret=_secret_for(delivery), timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    status_code: int | None = None
    try:
        parts = _split_webhook_url(delivery.url)
        address = _allowed_address(parts)
        status_code, answer = _post(parts, address, body, headers)
        delivered = 200 <= status_code < 300
        outcome = WebhookDelivery.Outcome.DELIVERED if delivered else WebhookDelivery.Outcome.FAILED
        error = "" if delivered else f"HTTP {status_code}: {answer}".strip()
    except WebhookUrlNotAllowed as refusal:
        outcome, error = WebhookDelivery.Outcome.REFUSED, str(refusal)
    except (OSError, http.client.HTTPException) as failure:
        # Timeouts, refused connections, DNS failures, TLS errors: all worth another try.
        outcome, error = WebhookDelivery.Outcome.FAILED, f"{type(failure).__name__}: {failure}"
    delivery.outcome = outcome
    delivery.status_code = status_code
    delivery.error = error[:MAX_ERROR_BODY_CHARS]
    delivery.duration_ms = int((time.monotonic() - started) * 1000)
    delivery.save(update_fields=["outcome", "status_code", "error", "duration_ms"])
    if outcome == WebhookDelivery.Outcome.FAILED:
        if delivery.attempt < settings.WEBHOOK_MAX_ATTEMPTS:
            retry = _schedule_retry(delivery)
            logger.warning(
                "Webhook %s for job %s failed (%s); attempt %s at %s",
                delivery.pk,
                delivery.job_id,
                error,
                retry.attempt,
                retry.scheduled_for.isoformat(),
            )
        else:
            logger.warning("Webhook %s for job %s failed for good: %s", delivery.pk, delivery.job_id, error)
    return outcome


# --- Account settings ---------------------------------------------------------------------------


def webhook_settings_update(*, user: Any, default_webhook_url: str) -> Profile:
    """Set the account's default webhook URL (used by jobs created without one); "" clears it."""
    if default_webhook_url:
        check_webhook_url(default_webhook_url)
    profile = ensure_profile(user)
    profile.default_webhook_url = default_webhook_url
    profile.save(update_fields=["default_webhook_url"])
    return profile


def webhook_secret_rotate(*, user: Any) -> Profile:
    """Replace the signing secret. Deliveries from now on, retries included, use the new one."""
    profile = ensure_profile(user)
    profile.webhook_secret = secrets.token_hex()
    profile.save(update_fields=["webhook_secret"])
    return profile
