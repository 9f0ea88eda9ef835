"""bhakti.client_ip: X-Forwarded-For is believed only as far as TRUSTED_PROXY_COUNT proxies wrote it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from bhakti.client_ip import client_ip


@pytest.mark.parametrize(
    ("trusted", "forwarded_for", "expected"),
    [
        (0, "", "10.0.0.2"),
        (0, "203.0.113.1", "10.0.0.2"),  # no proxy trusted: a client's own header means nothing
        (1, "203.0.113.1", "203.0.113.1"),
        (1, "6.6.6.6, 203.0.113.1", "203.0.113.1"),  # the client forged the left part
        (2, "6.6.6.6, 203.0.113.1, 10.0.0.9", "203.0.113.1"),
        (2, "203.0.113.1", "203.0.113.1"),
        (1, "", "10.0.0.2"),
    ],
)
def test_it_takes_the_address_the_outermost_trusted_proxy_saw(settings, trusted, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **extra)
    assert client_ip(request) == expected
