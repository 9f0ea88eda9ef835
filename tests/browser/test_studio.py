"""The studio in a real browser: sign up, start from a story, watch it render, play it, duplicate it, cancel one."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import User

from renders.models import JobState, RenderJob
from tests.browser.accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = {
    "status": "/tmp/bhakti-status.png",
    "create": "/tmp/bhakti-create.png",
    "gallery": "/tmp/bhakti-gallery.png",
}


def scene_narrations(page) -> list[str]:
    return page.locator("#scene-list > li textarea[name$='-narration']").evaluate_all(
        "nodes => nodes.map(n => n.value)"
    )


def test_it_makes_a_video_from_a_story_and_cancels_a_second_one(live_server, page, renders_in_threads, csp_violations):
    started = time.monotonic()
    # Sign up: the dashboard greets a new creator with an empty state.
    page.goto(f"{live_server.url}/accounts/signup/")
    # axe-core once per page state this journey is the only one to visit: the gallery, profile and
    # My videos with cards are checked in test_phones_and_share at both sizes (axe takes ~1 s a page).
    assert_accessible(page, "sign up (1280)")
    page.get_by_label("Username").fill("meera")
    page.get_by_label("E-mail").fill("meera@example.com")
    page.get_by_label("Password", exact=True).fill("giridhar-gopal-7")
    page.get_by_label("Password confirmation").fill("giridhar-gopal-7")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Your first video is a few clicks away").is_visible()
    assert_accessible(page, "My videos, empty (1280)")

    # Start from a template: the gallery's Prahlad card fills the create page.
    page.get_by_role("link", name="Browse stories").click()
    card = page.locator(".story-card", has_text="Prahlad and Lord Narasimha")
    card.get_by_label("Length").fill("20")
    card.locator("img").evaluate(
        "img => img.complete && img.naturalWidth ? true : new Promise(r => img.addEventListener('load', () => r(true)))"
    )
    assert page.locator("link[rel=stylesheet]").evaluate("link => link.sheet.cssRules.length") > 100
    # Hindi titles are drawn with Noto Sans Devanagari, served from its pip package.
    assert page.evaluate(
        """() => document.fonts.ready.then(() =>
             [...document.fonts].some(f => f.family.includes('Noto Sans Devanagari') && f.status === 'loaded'))"""
    )
    # ... and the browser took the WOFF2 (listed first), not the four-times-larger TTF.
    fonts = page.evaluate(
        "() => performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/fonts/'))"
    )
    assert [name.rsplit("/", 1)[-1] for name in fonts] == ["noto-sans-devanagari.woff2"], fonts
    page.screenshot(path=SCREENSHOTS["gallery"], full_page=False)
    card.get_by_role("button", name=re.compile("Use this story")).click()
    page.wait_for_url(re.compile(r"/videos/new/\?template=prahlad"))
    assert page.get_by_label("Title", exact=True).input_value() == "Prahlad and Lord Narasimha"
    page.get_by_label("Quality").select_option("proxy")

    # The scene editor: reorder and remove without a reload (a short video renders quickly).
    original = scene_narrations(page)
    assert len(original) >= 3  # 20 s tells the short lines of a few of the story's scenes
    page.locator("#scene-list > li").first.get_by_role("button", name=re.compile("Down")).click()
    assert scene_narrations(page)[:2] == [original[1], original[0]]
    while page.locator("#scene-list > li").count() > 2:
        page.locator("#scene-list > li").last.get_by_role("button", name=re.compile("Remove")).click()
    assert scene_narrations(page) == [original[1], original[0]]
    assert page.locator("input[name='scenes-TOTAL_FORMS']").input_value() == "2"
    page.screenshot(path=SCREENSHOTS["create"], full_page=True)
    assert_accessible(page, "create from a story, scenes edited (1280)")
    page.get_by_role("button", name="Render video").click()

    # The status page polls (no reload: the marker survives) until the job is done.
    page.wait_for_url(re.compile(r"/videos/[0-9a-f-]{36}/$"))
    page.evaluate("window.__stillTheSamePage = true")
    seen_progress: set[str] = set()
    deadline = time.monotonic() + 60
    checked_while_rendering = False
    while time.monotonic() < deadline:
        state = page.locator("#job-progress").get_attribute("data-state")
        if state in ("queued", "running") and not checked_while_rendering:
            assert_accessible(page, f"status, {state} (1280)")
            checked_while_rendering = True
        seen_progress.add(page.locator("[role=progressbar]").get_attribute("aria-valuenow"))
        if state in ("succeeded", "failed", "canceled"):
            break
        page.wait_for_timeout(300)
    assert state == "succeeded", page.locator("#job-progress").inner_text()
    # For the notes (pytest -s shows it): the creator's wait from the sign-up form to a playable preview.
    print(f"\nsign-up to first finished preview: {time.monotonic() - started:.1f} s")
    assert page.evaluate("window.__stillTheSamePage") is True
    assert len(seen_progress) >= 2, seen_progress  # it showed progress on the way, not only the end
    assert page.locator("[role=progressbar]").get_attribute("aria-valuenow") == "100"
    assert page.locator(".timeline li[data-status=done]").count() == 5
    assert page.locator("#job-progress").get_attribute("hx-trigger") is None  # polling stopped

    # The HTML5 player knows the video's length and plays it.
    duration = page.locator("video").evaluate(
        """v => new Promise(resolve => {
             if (v.readyState >= 1) resolve(v.duration);
             else v.addEventListener('loadedmetadata', () => resolve(v.duration), {once: true});
           })"""
    )
    job = RenderJob.objects.get(owner__username="meera")
    # The page's length is the file's own (ffmpeg gives it to the hundredth) and reads as the player's.
    assert duration > 0 and abs(duration - job.duration_sec) < 0.02, (duration, job.duration_sec)
    assert page.get_by_test_id("duration").inner_text() == f"{int(duration) // 60}:{int(duration) % 60:02d}"
    played = page.locator("video").evaluate(
        """async v => { v.muted = true; await v.play();
             await new Promise(r => setTimeout(r, 700)); v.pause(); return v.currentTime; }"""
    )
    assert played > 0
    assert page.get_by_role("link", name=re.compile(r"Video \(MP4")).is_visible()
    assert page.get_by_role("link", name="Hindi (हिन्दी) subtitles (SRT)").is_visible()
    page.screenshot(path=SCREENSHOTS["status"], full_page=True)
    assert_accessible(page, "status, succeeded (1280)")

    # Duplicate: the create page comes back filled with this video's plan.
    page.get_by_role("link", name="Duplicate").click()
    page.wait_for_url(re.compile(r"/duplicate/$"))
    assert page.get_by_label("Title", exact=True).input_value() == "Prahlad and Lord Narasimha"
    assert scene_narrations(page) == [original[1], original[0]]
    # Final quality takes long enough on this machine to cancel it while it runs.
    page.get_by_label("Quality").select_option("final")
    page.get_by_label("Resolution").select_option("1080p")
    page.get_by_role("button", name="Render video").click()
    page.wait_for_url(re.compile(r"/videos/[0-9a-f-]{36}/$"))
    page.locator("#job-progress[data-state=running]").wait_for(timeout=20_000)
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Cancel render").click()
    page.locator("#job-progress[data-state=canceled]").wait_for(timeout=30_000)
    assert dialogs and dialogs[0].startswith("Cancel this render?")
    assert page.get_by_role("button", name="Render it again").is_visible()
    assert_accessible(page, "status, canceled (1280)")

    # My videos: searching filters the list in place (htmx) and keeps the query in the address.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My videos").click()
    assert page.locator(".video-card").count() == 2
    page.evaluate("window.__stillTheSamePage = true")
    page.get_by_label("Search titles").fill("no such title")
    page.get_by_text("No videos match these filters").wait_for()
    assert page.evaluate("window.__stillTheSamePage") is True and "q=no%20such%20title" in page.url
    assert_accessible(page, "My videos, no match (1280)")

    second = RenderJob.objects.filter(owner__username="meera").exclude(pk=job.pk).get()
    assert second.state == JobState.CANCELED and second.cancel_requested
    assert User.objects.filter(username="meera").count() == 1

    # Styles come from the stylesheet alone (the CSP refuses style=""): the bars still show widths.
    answer = page.goto(f"{live_server.url}/videos/{job.pk}/")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    full = "fill => fill.getBoundingClientRect().width / fill.parentElement.getBoundingClientRect().width"
    assert page.locator(".progress .fill").evaluate(full) > 0.95
    page.goto(f"{live_server.url}/accounts/profile/")
    assert page.locator(".meter span").evaluate("bar => bar.getBoundingClientRect().width") > 0
    # Nothing on any page visited, htmx swaps included, was refused by the Content-Security-Policy.
    assert csp_violations == []
    assert time.monotonic() - started < 90
