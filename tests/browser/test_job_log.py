"""The job page's log while a render runs: each poll appends only the lines the page lacks (an htmx
out-of-band swap, renders/views.py job_progress), and the final answer replaces the whole log."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from renders.models import JobEvent, JobState, RenderJob
from renders.tests.test_views import make_job
from tests.browser.test_phones_and_share import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINES = "#job-log li[data-event]"


def _logged_events(page) -> list[int]:
    return [int(n) for n in page.locator(LINES).evaluate_all("lis => lis.map(li => li.dataset.event)")]


def _next_poll(page) -> None:
    """Wait for the region's next poll to be answered and swapped in."""
    with page.expect_response(lambda response: "/progress/" in response.url, timeout=6_000):
        pass
    page.wait_for_timeout(200)  # htmx swaps (and settles) just after the answer


def test_each_poll_appends_only_the_new_log_lines(live_server, page, csp_violations):
    meera = User.objects.create_user("meera", "meera@example.com", "giridhar-gopal-7")
    job = make_job(meera, state=JobState.RUNNING, progress_pct=10, step="images")
    first = JobEvent.objects.create(job=job, message="images: started", step="images")
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/videos/{job.pk}/")
    assert _logged_events(page) == [first.pk]

    second = JobEvent.objects.create(job=job, message="scene 1 image: local", step="images")
    page.locator(LINES).nth(1).wait_for(timeout=6_000)  # the next poll brought it
    assert _logged_events(page) == [first.pk, second.pk]
    _next_poll(page)  # nothing changed: a 304, and the region it had (no line again)
    _next_poll(page)
    assert _logged_events(page) == [first.pk, second.pk]
    assert page.get_by_text("Nothing logged yet.").is_hidden()

    third = JobEvent.objects.create(job=job, message="Done", step="")
    RenderJob.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED, progress_pct=100)
    page.locator("#job-progress[data-state=succeeded]").wait_for(timeout=6_000)
    assert _logged_events(page) == [first.pk, second.pk, third.pk]  # the whole log, once
    assert page.locator("#job-progress").get_attribute("hx-trigger") is None
    assert csp_violations == []
