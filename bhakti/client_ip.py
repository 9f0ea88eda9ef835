"""The client's address, as seen by the outermost proxy this deployment trusts.

X-Forwarded-For is written by whoever sends the request, so it is believed only as far as the
deployment's own proxies go: with TRUSTED_PROXY_COUNT = N, each of N proxies appends the address
it received the request from, and the client is the N-th entry from the right. Anything left of
that is what the client chose to send. With N = 0 (no proxy, the default) REMOTE_ADDR is the
client.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's IP address ("" when unknown). Used by throttles, lockouts and the audit trail."""
    remote = request.META.get("REMOTE_ADDR") or ""
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote  # reached us without passing the proxy (a health check from inside, say)
    # Fewer hops than proxies: the leftmost one is as far back as anyone trusted wrote.
    return hops[-trusted] if len(hops) >= trusted else hops[0]
