"""The studio's "Write it for me" in a real browser: a topic fills the scene editor without a reload."""

from __future__ import annotations

import re

import pytest

from library.stories import get_template, plan_from_template
from tests.browser.accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_writes_the_scenes_from_a_topic_in_place(live_server, page, csp_violations, settings):
    settings.OPENAI_API_KEY = ""
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill("mirabai")
    page.get_by_label("E-mail").fill("mirabai@example.com")
    page.get_by_label("Password", exact=True).fill("giridhar-gopal-7")
    page.get_by_label("Password confirmation").fill("giridhar-gopal-7")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/videos/new/")
    page.evaluate("window.__stillTheSamePage = true")

    page.get_by_text("Write it for me").click()
    box = page.locator("#write-for-me")
    box.get_by_label("What is the video about?").fill("Quantum computing")
    box.get_by_role("button", name="Write the scenes").click()
    page.locator("#write-errors", has_text="No story in the library matches").wait_for()
    assert_accessible(page, "create, Write it for me with an error (1280)")

    box.get_by_label("What is the video about?").fill("प्रह्लाद")
    box.get_by_label("Narration language").select_option("hi")
    box.get_by_label("Length (seconds)").fill("45")
    box.get_by_role("button", name="Write the scenes").click()
    story = get_template("prahlad")
    page.locator("#scene-editor", has_text="Read them through").wait_for()
    assert page.get_by_label("Title", exact=True).input_value() == story.title_hi
    assert page.locator("#id_language").input_value() == "hi"
    assert page.locator("#write-errors").inner_text() == ""
    assert_accessible(page, "create, scenes written in Hindi (1280)")
    told = plan_from_template(story, language="hi", length_sec=45)["scenes"]  # told to fit 45 s
    narrations = page.locator("#scene-list > li textarea[name$='-narration']")
    assert narrations.count() == len(told) and narrations.first.input_value() == told[0]["narration"]
    # The editor's own buttons still work on the swapped-in scenes.
    page.locator("#scene-list > li").last.get_by_role("button", name=re.compile("Remove")).click()
    assert page.locator("input[name='scenes-TOTAL_FORMS']").input_value() == str(len(told) - 1)
    assert page.evaluate("window.__stillTheSamePage") is True
    assert csp_violations == []
