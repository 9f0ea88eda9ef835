"""Real-browser fixtures: Debian's Chromium driven by Playwright, against pytest-django's live server.

`playwright install` cannot download browsers here, so the system Chromium is used
(scripts/test.sh installs it with apt-get when missing). Renders run in a background thread
instead of a django-q2 worker, so the page really polls while the video is made.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.signals import request_finished
from django.db import connections
from pytest_django.live_server_helper import LiveServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

CHROMIUM = Path(os.environ.get("BHAKTI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def live_server(django_db_setup, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, started only after the test database exists.

    The plugin's own fixture is session-scoped and may start before the database is set up; it
    then cannot see that the test database is in-memory SQLite, and every server thread opens its
    own connection to it, which fails with "database table is locked" under concurrent writes.
    Started after set-up, it shares the one connection the way Django's LiveServerThread intends.
    """
    address = request.config.getvalue("liveserver") or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(address)
    if server.thread.connections_override:
        _one_request_at_a_time(server)
    yield server
    server.stop()


def _one_request_at_a_time(server: LiveServer) -> None:
    """Serve the requests that share the one in-memory SQLite connection one after another.

    A browser fetches a page's pictures and polls in parallel. Python's sqlite3 gives two threads
    that run the same statement on one connection at the same moment the same prepared statement,
    so one of them can read nothing: a session lookup came back empty, the response deleted the
    session cookie and the browser was logged out in the middle of a test (or a 500). A real
    server has a connection per thread; here the requests take turns (the response body, a file
    streamed after the view returns, is sent outside the turn), and so does each statement of a
    render running in a thread beside them (renders_in_threads).
    """
    httpd = server.thread.httpd
    app = httpd.get_app()
    assert app is not None  # set before the thread says it is ready
    turn = threading.RLock()

    def statement_in_turn(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        with turn:  # the statement's first step runs inside execute: no other thread can take it
            return execute(sql, params, many, context)

    for connection in server.thread.connections_override.values():
        connection.execute_wrappers.append(statement_in_turn)

    def one_at_a_time(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        with turn:
            return app(environ, start_response)

    httpd.set_app(one_at_a_time)


@pytest.fixture
def chromium() -> Iterator[object]:
    # Per test, not per session: Playwright's sync API leaves an asyncio loop on the thread while
    # it runs, and Django refuses ORM calls (database set-up and flush included) beside a loop.
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `apt-get install -y chromium` (scripts/test.sh does it as root).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def shared_connection(live_server) -> object | None:
    """The one connection the live server's threads share (in-memory SQLite), or None (PostgreSQL)."""
    shared = live_server.thread.connections_override.get("default")
    if shared is None and "mode=memory" in str(connections["default"].settings_dict["NAME"]):
        pytest.fail("the live server started before the test database and does not share its connection")
    return shared


@pytest.fixture
def page(chromium, shared_connection, monkeypatch, settings) -> Iterator[object]:
    # Playwright's sync API keeps an asyncio loop on this thread; the test's own ORM calls are
    # still plain synchronous code, so Django's async-safety guard must stand aside here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The live server serves /static/ from the finders, which know no hashed manifest names
    # (DEBUG off uses them): plain names keep the stylesheet and scripts loading on that pass too.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if shared_connection is not None:
        # Beside a running loop Django keeps connections per async context, not per thread: point
        # this test's context at the live server's connection too, or it would open a second one.
        connections["default"] = shared_connection
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
    # The connection this test opened beside the loop (PostgreSQL) would outlive it and keep the
    # test database busy; an in-memory SQLite connection ignores close.
    connections.close_all()


@pytest.fixture
def renders_in_threads(shared_connection, monkeypatch, settings) -> Iterator[list[threading.Thread]]:
    """Run each enqueued render in a thread of this process, as a worker would, and wait for them at the end."""
    from renders.execution import execute_render_job

    settings.RENDER_PARALLELISM = 2
    # The heartbeat thread would open its own connection to the in-memory test database; a UI
    # test has no use for heartbeats, so it never beats.
    monkeypatch.setattr("renders.execution.HEARTBEAT_EVERY_SEC", 3600.0)
    threads: list[threading.Thread] = []

    def run(job_id: str, request_done: threading.Event) -> None:
        # Start once the request that enqueued the job has finished: with one shared SQLite
        # connection, that request and the render must not write at the same moment (a real
        # worker is another process and has its own connection).
        request_done.wait(timeout=10)
        if shared_connection is not None:
            # The live server's threads share one connection to in-memory SQLite; so does this one.
            connections["default"] = shared_connection
        try:
            execute_render_job(job_id)
        finally:
            if shared_connection is None:
                connections.close_all()  # this thread's own (PostgreSQL) connection

    def enqueue(*, job_id: str, not_before: object = None) -> None:  # not_before: run at once
        request_done = threading.Event()
        caller = threading.get_ident()

        def release(**_kwargs: object) -> None:
            if threading.get_ident() == caller:
                request_done.set()
                request_finished.disconnect(release)

        request_finished.connect(release, weak=False)
        thread = threading.Thread(target=run, args=(job_id, request_done), name=f"render-{job_id}", daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr("renders.services.enqueue_render", enqueue)
    yield threads
    for thread in threads:
        thread.join(timeout=60)


@pytest.fixture
def csp_violations(page) -> list[str]:
    """Every Content-Security-Policy violation the pages report while the test runs (want: none)."""
    violations: list[str] = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', event => console.error("
        "`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${event.documentURI}`))"
    )

    def record(message: object) -> None:
        text = message.text  # type: ignore[attr-defined]
        if text.startswith("CSP violation") or "Content Security Policy" in text:
            violations.append(text)

    page.on("console", record)
    return violations
