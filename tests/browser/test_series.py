"""A series at phone width in a real browser: tick stories in the gallery, create, watch the page, cancel."""

from __future__ import annotations

import re

import pytest

from renders.models import JobState, Series
from tests.browser.accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = {"form": "/tmp/bhakti-series-form.png", "series": "/tmp/bhakti-series.png"}


def _fits_the_screen(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_it_creates_a_series_from_ticked_stories_and_cancels_it_at_phone_width(
    live_server, page, csp_violations, monkeypatch
):
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)  # no worker: they stay queued
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/signup/")
    assert_accessible(page, "sign up (390)")  # the gallery is checked in test_phones_and_share
    page.get_by_label("Username").fill("surdas")
    page.get_by_label("E-mail").fill("surdas@example.com")
    page.get_by_label("Password", exact=True).fill("giridhar-gopal-7")
    page.get_by_label("Password confirmation").fill("giridhar-gopal-7")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/library/stories/")
    for title in ("Prahlad and Lord Narasimha", "Dhruva, the Pole Star"):
        page.locator(".story-card", has_text=title).get_by_label(re.compile("Add to series")).check()
    assert _fits_the_screen(page)
    page.get_by_role("button", name="Create series from the ticked stories").click()
    page.wait_for_url(re.compile(r"/library/series/new/\?story=prahlad&story=dhruva|story=dhruva&story=prahlad"))
    assert _fits_the_screen(page)
    page.get_by_label("Title", exact=True).fill("Phone series")
    page.get_by_label("Hindi (हिन्दी)").check()  # both languages: four videos
    page.get_by_label("Lengths (seconds)").fill("20")
    page.screenshot(path=SCREENSHOTS["form"], full_page=True)
    assert_accessible(page, "new series (390)")
    page.get_by_role("button", name="Create series").click()

    page.wait_for_url(re.compile(r"/library/series/[0-9a-f-]{36}/$"))
    items = page.locator(".series-items > li")
    assert items.count() == 4
    assert set(items.evaluate_all("nodes => nodes.map(n => n.dataset.state)")) == {JobState.QUEUED}
    assert _fits_the_screen(page)
    page.screenshot(path=SCREENSHOTS["series"], full_page=True)
    assert_accessible(page, "series, queued (390)")

    page.get_by_role("link", name="Cancel series…").click()
    assert_accessible(page, "cancel series? (390)")
    page.get_by_role("button", name="Yes, cancel the series").click()
    page.get_by_text("Series canceled: 4 queued jobs canceled.").wait_for()
    assert set(items.evaluate_all("nodes => nodes.map(n => n.dataset.state)")) == {JobState.CANCELED}
    assert_accessible(page, "series, canceled (390)")
    assert Series.objects.get(title="Phone series").canceled_at is not None
    assert csp_violations == []
