"""The photo flow in a real browser, at desktop and phone sizes: upload (file input and drag and drop),
reorder, remove, describe, review and edit the scenes, render, watch it finish, play it."""

from __future__ import annotations

import io
import re
import time

import pytest
from PIL import Image, ImageDraw

from renders.models import RenderJob, Upload
from tests.browser.accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def picture(path, size: tuple[int, int], color: tuple[int, int, int], image_format: str) -> str:
    """A photo with something in it (a disc and a band), so thumbnails and frames are not flat."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=(255, 235, 180))
    draw.rectangle((0, height - height // 8, width, height), fill=(90, 20, 30))
    image.save(path, image_format)
    return str(path)


def png_bytes(size=(320, 240), color=(30, 110, 60)) -> list[int]:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return list(buffer.getvalue())


def posted_photos(response) -> bool:
    """The photo step's own POST (htmx), whose answer is the panel swapped in."""
    return response.request.method == "POST" and re.search(r"/videos/photos/[^/]+/$", response.url) is not None


def tile_ids(page) -> list[str]:
    return page.locator("#photo-list input[name=photo]").evaluate_all("nodes => nodes.map(n => n.value)")


def all_images_loaded(page, selector: str) -> bool:
    return page.locator(selector).evaluate_all(
        """imgs => Promise.all(imgs.map(img => img.complete ? img.naturalWidth > 0 :
             new Promise(r => { img.addEventListener('load', () => r(true)); img.addEventListener('error', () => r(false));
                                setTimeout(() => r(false), 20000); })))
           .then(loaded => loaded.every(Boolean))"""
    )


@pytest.mark.parametrize("size", list(SIZES))
def test_it_turns_photos_and_a_description_into_a_video(
    size, live_server, page, renders_in_threads, csp_violations, tmp_path
):
    started = time.monotonic()
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    shot = f"/tmp/bhakti-photos-{size}-{{}}.png"
    username = f"seller{size}"
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("E-mail").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill("giridhar-gopal-7")
    page.get_by_label("Password confirmation").fill("giridhar-gopal-7")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{live_server.url}/")

    # Where creators start: My videos links to the flow.
    page.get_by_role("link", name="From my photos").first.click()
    page.wait_for_url(re.compile(r"/videos/photos/[^/]+/$"))
    # axe-core on each step of the flow (the job page is checked in test_phones_and_share).
    assert_accessible(page, f"photos, none yet ({width})")
    page.evaluate("window.__stillTheSamePage = true")

    # Choosing files uploads them at once (no button press); the panel swaps in place.
    files = [
        picture(tmp_path / "diya.jpg", (1200, 800), (180, 90, 20), "JPEG"),  # landscape
        picture(tmp_path / "thali.png", (600, 900), (40, 70, 150), "PNG"),  # portrait
        picture(tmp_path / "lamp.webp", (800, 800), (120, 30, 90), "WEBP"),
    ]
    page.get_by_label("Choose photos").set_input_files(files)
    page.locator("#photo-list > li").nth(2).wait_for()
    assert page.locator("#photo-list > li").count() == 3

    # Dropping a file on the drop zone adds it too; a file that is not a picture is refused here.
    drop = page.evaluate_handle(
        """bytes => { const data = new DataTransfer();
             data.items.add(new File([new Uint8Array(bytes)], 'extra.png', {type: 'image/png'}));
             data.items.add(new File(['not a picture'], 'notes.txt', {type: 'text/plain'}));
             return data; }""",
        png_bytes(),
    )
    with page.expect_response(posted_photos) as answer:
        page.locator("[data-drop-zone]").dispatch_event("drop", {"dataTransfer": drop})
    assert answer.value.ok, answer.value.status
    page.locator("#photo-list > li").nth(3).wait_for()
    assert page.evaluate("window.__stillTheSamePage") is True  # htmx swapped the panel, no reload
    uploaded = tile_ids(page)
    assert len(uploaded) == 4 and Upload.objects.filter(owner__username=username).count() == 4
    assert all_images_loaded(page, "#photo-list img")
    assert "notes.txt: not a JPEG, PNG or WebP picture" in page.locator("#photo-errors").inner_text()
    assert_accessible(page, f"photos, four and a refused file ({width})")

    # Reorder with the arrows and remove the dropped one.
    page.get_by_role("button", name="Move photo 1 later").click()
    page.wait_for_function(
        "first => document.querySelector('#photo-list input[name=photo]').value !== first", arg=uploaded[0]
    )
    assert tile_ids(page) == [uploaded[1], uploaded[0], uploaded[2], uploaded[3]]
    page.get_by_role("button", name="Remove photo 4").click()
    page.wait_for_function("() => document.querySelectorAll('#photo-list > li').length === 3")
    assert tile_ids(page) == [uploaded[1], uploaded[0], uploaded[2]]
    if size == "desktop":  # dragging a tile (a mouse's way; a phone uses the arrows)
        with page.expect_response(posted_photos):  # the new order is posted as the drag ends
            page.locator("#photo-list > li").nth(2).drag_to(page.locator("#photo-list > li").nth(0))
        assert tile_ids(page) == [uploaded[2], uploaded[1], uploaded[0]]
        page.reload()  # the new order was saved, not just shown
        assert tile_ids(page) == [uploaded[2], uploaded[1], uploaded[0]]
    order = tile_ids(page)
    page.get_by_label("Music").select_option("bells")
    page.screenshot(path=shot.format("upload"), full_page=True)
    page.get_by_role("button", name=re.compile("Next: describe them")).click()

    # Step 2: what the photos show, with a price and a place to be spoken.
    page.wait_for_url(re.compile(r"/details/$"))
    page.get_by_label("Title", exact=True).fill("Hand-painted brass diya")
    page.get_by_label("Description").fill(
        "Each diya is painted by hand. The brass is polished to a warm glow. It makes a festival table shine."
    )
    page.get_by_label("Price").fill("450 rupees")
    page.get_by_label("Place").fill("Moradabad")
    page.get_by_label("Shape").select_option("9:16" if size == "phone" else "16:9")
    page.get_by_label("Quality").select_option("proxy")
    page.screenshot(path=shot.format("details"), full_page=True)
    assert_accessible(page, f"photos, describe them ({width})")
    page.get_by_role("button", name=re.compile("Next: draft the scenes")).click()

    # Step 3: one scene per photo, each with its thumbnail; edit one narration, render.
    page.wait_for_url(re.compile(r"/review/$"))
    narrations = page.locator("textarea[name^=narration-]")
    assert narrations.count() == 3
    assert "Hand-painted brass diya" in narrations.first.input_value()
    spoken = " ".join(narrations.evaluate_all("nodes => nodes.map(n => n.value)"))
    assert "450 rupees" in spoken and "Moradabad" in spoken
    assert all_images_loaded(page, ".review-scene img")
    thumbnails = page.locator(".review-scene img").evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))")
    assert [src.rstrip("/").rsplit("/", 1)[-1] for src in thumbnails] == order
    page.get_by_label("Scene 2 narration").fill("Here it is from the side, painted by hand.")
    page.screenshot(path=shot.format("review"), full_page=True)
    assert_accessible(page, f"photos, review the scenes ({width})")
    page.get_by_role("button", name="Render video").click()

    # The job's own status page polls until the video is made; then it plays.
    page.wait_for_url(re.compile(r"/videos/[0-9a-f-]{36}/$"))
    # Generous: on a loaded 2-core CI machine the render shares the CPU with the rest of the suite.
    page.locator("#job-progress[data-state=succeeded], #job-progress[data-state=failed]").wait_for(timeout=240_000)
    assert page.locator("#job-progress").get_attribute("data-state") == "succeeded", page.locator(
        "#job-progress"
    ).inner_text()
    job = RenderJob.objects.get(owner__username=username)
    assert job.plan["scenes"][1]["narration"] == "Here it is from the side, painted by hand."
    assert job.plan["aspect"] == ("9:16" if size == "phone" else "16:9") and job.plan["music"] == "bells"
    # Each wait in the page gives up after 20 s, so a video that never loads fails the test, not hangs it.
    duration = page.locator("video").evaluate(
        """v => new Promise((resolve, reject) => {
             setTimeout(() => reject(new Error('no video metadata after 20 s')), 20000);
             if (v.readyState >= 1) resolve(v.duration);
             else v.addEventListener('loadedmetadata', () => resolve(v.duration), {once: true});
           })"""
    )
    assert duration > 0 and abs(duration - job.duration_sec) < 1.0
    played = page.locator("video").evaluate(
        """async v => { v.muted = true;
             await Promise.race([v.play(), new Promise((_, no) => setTimeout(() => no(new Error('no play')), 20000))]);
             await new Promise(r => setTimeout(r, 700)); v.pause(); return v.currentTime; }"""
    )
    assert played > 0
    assert page.get_by_role("link", name=re.compile(r"Video \(MP4")).is_visible()
    page.screenshot(path=shot.format("status"), full_page=True)
    # Nothing on the way was refused by the Content-Security-Policy; the page fits the phone's width.
    assert csp_violations == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert time.monotonic() - started < 120


def test_the_photo_step_works_without_javascript(live_server, chromium, page, tmp_path):
    """A plain multipart form: choose files, press Add photos, move one with an arrow, go on.

    `page` is asked for its set-up (the shared connection, plain static names); this test browses
    in a context of its own with JavaScript off.
    """
    from django.contrib.auth.models import User

    User.objects.create_user("volunteer", password="giridhar-gopal-7")
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("volunteer")
    page.get_by_label("Password").fill("giridhar-gopal-7")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/videos/photos/")
    files = [
        picture(tmp_path / "aarti.jpg", (900, 600), (200, 120, 30), "JPEG"),
        picture(tmp_path / "rangoli.png", (500, 700), (30, 120, 200), "PNG"),
    ]
    page.get_by_label("Choose photos").set_input_files(files)
    page.get_by_role("button", name="Add photos").click()
    page.locator("#photo-list > li").nth(1).wait_for()
    first, second = tile_ids(page)
    page.get_by_role("button", name="Move photo 2 earlier").click()
    page.wait_for_load_state()
    assert tile_ids(page) == [second, first]
    page.get_by_role("button", name=re.compile("Next: describe them")).click()
    page.wait_for_url(re.compile(r"/details/$"))
    assert page.locator(".photo-strip img").count() == 2
    context.close()
