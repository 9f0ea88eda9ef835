"""The live server the browser tests use answers concurrent requests of one logged-in browser.

A browser loads a page's pictures in parallel. On the embedded pass the live server's threads
share one in-memory SQLite connection; Python's sqlite3 hands two threads running the same
statement at once the same prepared statement, so one session lookup could come back empty, the
response then deleted the session cookie and the browser was logged out mid-test (seen in CI:
three thumbnails loaded at once, one answered with a redirect to the login page).
"""

from __future__ import annotations

import threading
import urllib.request

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROUNDS = 15
AT_ONCE = 6


def test_concurrent_requests_of_one_session_all_stay_logged_in(live_server, shared_connection):
    meera = User.objects.create_user("meera", "meera@example.com", "giridhar-gopal-7")
    client = Client()
    client.force_login(meera)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def fetch() -> None:
        request = urllib.request.Request(f"{live_server.url}/", headers={"Cookie": cookie})
        opener = urllib.request.build_opener(NoRedirects)
        try:
            with opener.open(request, timeout=30) as response:
                outcome = (response.status, response.headers.get("Set-Cookie") or "")
        except urllib.error.HTTPError as error:  # a redirect, kept as the answer
            outcome = (error.code, error.headers.get("Set-Cookie") or "")
        with lock:
            answers.append(outcome)

    for _ in range(ROUNDS):
        threads = [threading.Thread(target=fetch) for _ in range(AT_ONCE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert len(answers) == ROUNDS * AT_ONCE
    refused = [answer for answer in answers if answer[0] != 200]
    assert refused == [], f"{len(refused)} of {len(answers)} requests were not served logged in: {refused[:3]}"
    assert Session.objects.count() == 1  # the session was never flushed


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
