"""The main pages at phone (390×844) and desktop size: what a phone shows first, axe-core on each,
and a share link played by a visitor who is not logged in."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from accounts.services import api_key_create
from renders.models import AssetKind, JobState, ShareLink
from renders.tests.test_views import add_asset, make_job, png_bytes
from tests.browser.accessibility import DESKTOP, PHONE, assert_accessible, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT_DIR = "/tmp"
# axe-core's moderate and minor findings per page state, for the notes (the serious ones fail).
AXE_NOTES = "/tmp/bhakti-axe.txt"


def _shot(page, name: str, size: str) -> None:
    page.screenshot(path=f"{SCREENSHOT_DIR}/bhakti-{size}-{name}.png", full_page=False)


def _log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("meera")
    page.get_by_label("Password").fill("giridhar-gopal-7")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def test_the_main_pages_fit_a_phone_and_pass_axe(live_server, page, csp_violations):
    meera = User.objects.create_user("meera", "meera@example.com", "giridhar-gopal-7")
    job = make_job(meera, state=JobState.SUCCEEDED, progress_pct=100)
    add_asset(job, AssetKind.VIDEO, "video.mp4", b"\x00\x00\x00\x18ftypmp42")
    add_asset(job, AssetKind.THUMBNAIL, "thumbnail.png", png_bytes(size=(320, 180)))
    running = make_job(meera, state=JobState.RUNNING, progress_pct=40, step="speech")
    failed = make_job(meera, state=JobState.FAILED, error="The narration service did not answer.")
    api_key_create(user=meera, name="my phone shortcut with a long name")
    api_key_create(user=meera, name="laptop")
    found: dict[str, list[dict]] = {}
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}/")
        assert_accessible(page, f"front door at {viewport['width']}")
        page.goto(f"{live_server.url}/accounts/login/")
        assert_accessible(page, f"login at {viewport['width']}")
    _log_in(page, live_server)
    pages = {
        "dashboard": f"{live_server.url}/",
        "create": f"{live_server.url}/videos/new/",
        "status": f"{live_server.url}/videos/{job.pk}/",
        "profile": f"{live_server.url}/accounts/profile/",
        "running": f"{live_server.url}/videos/{running.pk}/",
        "failed": f"{live_server.url}/videos/{failed.pk}/",
        "stories": f"{live_server.url}/library/stories/",
    }
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        for name, url in pages.items():
            page.goto(url)
            found[f"{name} at {size}"] = assert_accessible(page, f"{name} at {size}")
            _shot(page, name, size)
            # Nothing wider than the screen: no sideways scrolling of the page itself.
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"], name

    page.set_viewport_size(PHONE)
    # A finished video on a phone: the player is on the first screen, above the step checklist.
    page.goto(pages["status"])
    player = page.get_by_test_id("player").bounding_box()
    checklist = page.locator("ol.timeline").bounding_box()
    assert player["y"] < PHONE["height"] and player["y"] < checklist["y"]

    # The create page's sticky bar: compact and opaque.
    page.goto(pages["create"])
    bar = page.locator(".submit-bar")
    assert bar.bounding_box()["height"] <= 64
    assert page.evaluate("() => getComputedStyle(document.querySelector('.submit-bar')).backgroundColor").startswith(
        "rgb("
    )  # rgb(), not rgba(): nothing shows through

    # Profile: each key's Revoke button is on screen.
    page.goto(pages["profile"])
    for button in page.get_by_role("link", name="Revoke key").all():
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    # Share it, then watch as a visitor who is not logged in.
    page.goto(pages["status"])
    page.get_by_role("button", name="Create a share link").click()
    share_url = page.get_by_test_id("share-url").input_value()
    assert share_url == f"{live_server.url}/s/{ShareLink.objects.get(job=job).token}/"
    assert_accessible(page, "status with a share link at phone")
    page.context.clear_cookies()
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.goto(share_url)
        assert page.get_by_role("heading", name=job.title).is_visible()
        assert page.locator('meta[property="og:video"]').get_attribute("content") == f"{share_url}video"
        assert_accessible(page, f"share page at {size}")
        _shot(page, "share", size)
    with open(AXE_NOTES, "w", encoding="utf-8") as notes:
        for where, violations in found.items():
            notes.write(f"{where}: {describe(violations) or 'no violations'}\n")
    assert not csp_violations


def test_the_axe_check_really_finds_violations(page):
    # A page with known critical faults: the check must fail on it, or a pass above means nothing.
    page.set_content('<!doctype html><html lang="en"><title>t</title><main><img src="a.png"><button></button></main>')
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "a faulty page")
    assert "image-alt" in str(failure.value) and "button-name" in str(failure.value)
