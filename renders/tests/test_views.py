"""The studio pages: my videos, create (with the scene editor's formset), status, polling, files, actions."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.services import ensure_profile
from conftest import tiny_plan_data
from renders import forms as studio_forms
from renders.models import AssetKind, JobAsset, JobEvent, JobState, RenderJob
from renders.pipeline import plan as plan_schema
from renders.tests.path_tricks import foreign_file_names

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_enqueue(committed_renders) -> list[str]:
    return committed_renders


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def make_job(owner, **fields) -> RenderJob:
    plan = tiny_plan_data(**fields.pop("plan", {}))
    defaults = {"title": plan["title"], "language": plan["language"], "plan": plan}
    return RenderJob.objects.create(owner=owner, **{**defaults, **fields})


def add_asset(job: RenderJob, kind: str, name: str, data: bytes, **fields) -> JobAsset:
    asset = JobAsset(job=job, kind=kind, size_bytes=len(data), **fields)
    asset.file.save(name, ContentFile(data), save=False)
    asset.save()
    return asset


def png_bytes(size=(32, 18), image_format="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, image_format)
    return buffer.getvalue()


def create_post(**overrides) -> dict[str, str]:
    """A create-form POST for tiny_plan_data's two scenes, as the browser sends it."""
    plan = tiny_plan_data()
    data = {field: plan.get(field, "") for field in studio_forms.PLAN_FIELDS}
    data.update(
        {
            "scenes-TOTAL_FORMS": "2",
            "scenes-INITIAL_FORMS": "0",
            "scenes-MIN_NUM_FORMS": "1",
            "scenes-MAX_NUM_FORMS": "20",
        }
    )
    for index, scene in enumerate(plan["scenes"]):
        data[f"scenes-{index}-image_prompt"] = scene["image_prompt"]
        data[f"scenes-{index}-narration"] = scene["narration"]
        data[f"scenes-{index}-narration_alt"] = ""
        data[f"scenes-{index}-duration_sec"] = str(scene["duration_sec"])
        data[f"scenes-{index}-image"] = ""
    data.update(overrides)
    return data


# ---- the scene editor: long plans fold -------------------------------------------------------------


def scene_folds(body: str) -> list[bool]:
    """Whether each scene of the editor (not its <template>) starts open."""
    editor = body.split('<template id="scene-template">')[0]
    return [bool(is_open) for is_open in re.findall(r'<details class="scene-body"( open)?>', editor)]


LONG_SCENES = [
    {"image_prompt": f"picture {number}", "narration": f"Part {number} of the tale of the boy who prayed by the river.", "duration_sec": 2}
    for number in range(1, 9)
]  # fmt: skip


def test_a_long_plans_scenes_start_folded_to_their_first_words(alice_client, alice):
    job = make_job(alice, plan={"scenes": LONG_SCENES}, state=JobState.SUCCEEDED)
    body = alice_client.get(reverse("renders:duplicate", args=[job.pk])).content.decode()
    assert scene_folds(body) == [False] * 8
    assert ">: Part 1 of the tale of the boy …</span>" in body  # eight words, then more (as Django truncates)
    # The scene added in the page (the template) starts open, to be filled in.
    assert '<template id="scene-template">' in body
    assert '<details class="scene-body" open>' in body.split('<template id="scene-template">')[1]


def test_a_short_plans_scenes_start_open(alice_client, alice):
    job = make_job(alice, state=JobState.SUCCEEDED)
    body = alice_client.get(reverse("renders:duplicate", args=[job.pk])).content.decode()
    assert scene_folds(body) == [True, True]


def test_a_long_plan_refused_opens_the_scene_with_the_error(alice_client):
    data = create_post(**{"scenes-TOTAL_FORMS": "8"})
    for index, scene in enumerate(LONG_SCENES):
        data[f"scenes-{index}-image_prompt"] = scene["image_prompt"]
        data[f"scenes-{index}-narration"] = scene["narration"]
        data[f"scenes-{index}-duration_sec"] = "2"
    data["scenes-4-duration_sec"] = "a while"
    response = alice_client.post(reverse("renders:create"), data)
    assert response.status_code == 400
    assert scene_folds(response.content.decode()) == [False] * 4 + [True] + [False] * 3


# ---- the form's choices -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choices", "allowed"),
    [
        (studio_forms.LANGUAGE_CHOICES, plan_schema.LANGUAGES),
        (studio_forms.VOICE_CHOICES, plan_schema.VOICES),
        (studio_forms.STYLE_CHOICES, plan_schema.STYLES),
        (studio_forms.ASPECT_CHOICES, plan_schema.ASPECTS),
        (studio_forms.RESOLUTION_CHOICES, plan_schema.RESOLUTIONS),
        (studio_forms.MODE_CHOICES, plan_schema.MODES),
        (studio_forms.MUSIC_CHOICES, plan_schema.MUSIC),
        (studio_forms.WATERMARK_CHOICES, plan_schema.WATERMARKS),
    ],
)
def test_it_offers_exactly_the_plan_schemas_choices(choices, allowed):
    assert {value for value, _label in choices} == set(allowed)


# ---- my videos ------------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_log_in(client):
    # The front door (/) welcomes a stranger (library/tests/test_front_door.py); the studio's
    # own pages still want a login.
    for name in ("renders:create", "renders:photo_start"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_it_lists_only_my_videos_with_thumbnail_and_state(alice_client, alice, bob):
    mine = make_job(alice, plan={"title": "Ganga comes down"}, state=JobState.SUCCEEDED, duration_sec=83.2)
    add_asset(mine, AssetKind.THUMBNAIL, "thumbnail.jpg", png_bytes(image_format="JPEG"))
    make_job(bob, plan={"title": "Bob's secret"})
    response = alice_client.get(reverse("renders:dashboard"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ganga comes down" in body and "Bob&#x27;s secret" not in body and "Bob's secret" not in body
    thumb = mine.assets.get(kind=AssetKind.THUMBNAIL)
    assert reverse("renders:asset_file", args=[mine.pk, thumb.pk]) in body
    assert "1:23" in body  # the duration, as a browser's player shows it (83.2 s)
    assert 'class="badge badge-succeeded"' in body


def test_a_canceled_videos_card_shows_its_first_scene_image(alice_client, alice):
    canceled = make_job(alice, plan={"title": "Stopped at scene two"}, state=JobState.CANCELED)
    second = add_asset(canceled, AssetKind.SCENE_IMAGE, "scene_01.png", png_bytes(), scene_index=1)
    first = add_asset(canceled, AssetKind.SCENE_IMAGE, "scene_00.png", png_bytes(), scene_index=0)
    finished = make_job(alice, plan={"title": "Made"}, state=JobState.SUCCEEDED)
    thumb = add_asset(finished, AssetKind.THUMBNAIL, "thumbnail.png", png_bytes())
    add_asset(finished, AssetKind.SCENE_IMAGE, "scene_00.png", png_bytes(), scene_index=0)
    body = alice_client.get(reverse("renders:dashboard")).content.decode()
    pictures = re.findall(r'<img src="([^"]+)"', body)
    assert pictures == [
        reverse("renders:asset_file", args=[finished.pk, thumb.pk]),  # newest first; its thumbnail
        reverse("renders:asset_file", args=[canceled.pk, first.pk]),
    ]
    assert reverse("renders:asset_file", args=[canceled.pk, second.pk]) not in body


def test_it_filters_by_state_and_language_and_searches_titles(alice_client, alice):
    make_job(alice, plan={"title": "Prahlad in English"}, state=JobState.SUCCEEDED)
    make_job(alice, plan={"title": "प्रह्लाद की कथा", "language": "hi"}, state=JobState.FAILED)
    make_job(alice, plan={"title": "Dhruva the star"}, state=JobState.FAILED)
    url = reverse("renders:dashboard")

    body = alice_client.get(url, {"state": "failed"}).content.decode()
    assert "Dhruva the star" in body and "प्रह्लाद की कथा" in body and "Prahlad in English" not in body

    body = alice_client.get(url, {"language": "hi"}).content.decode()
    assert "प्रह्लाद की कथा" in body and "Dhruva the star" not in body

    body = alice_client.get(url, {"q": "prahlad"}).content.decode()
    assert "Prahlad in English" in body and "Dhruva the star" not in body

    body = alice_client.get(url, {"q": "nothing like this"}).content.decode()
    assert "No videos match these filters" in body


def test_it_paginates_and_keeps_the_filters_in_page_links(alice_client, alice):
    for number in range(14):
        job = make_job(alice, plan={"title": f"Story {number:02d}"}, state=JobState.SUCCEEDED)
        RenderJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=number))
    first = alice_client.get(reverse("renders:dashboard"), {"state": "succeeded"}).content.decode()
    assert "Story 00" in first and "Story 11" in first and "Story 12" not in first
    assert "Page 1 of 2" in first
    assert "?page=2&amp;state=succeeded" in first
    second = alice_client.get(reverse("renders:dashboard"), {"state": "succeeded", "page": 2}).content.decode()
    assert "Story 12" in second and "Story 13" in second and "Story 00" not in second


def test_it_answers_htmx_filtering_with_only_the_results(alice_client, alice):
    make_job(alice, plan={"title": "Sudama's gift"})
    response = alice_client.get(reverse("renders:dashboard"), {"q": "sudama"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body and "Sudama" in body
    assert "HX-Request" in response["Vary"]


# ---- create -------------------------------------------------------------------------------------------


def test_it_shows_an_empty_create_form_with_one_scene(alice_client):
    response = alice_client.get(reverse("renders:create"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="scenes-TOTAL_FORMS" value="1"' in body
    assert 'name="scenes-0-narration"' in body
    assert 'name="scenes-__prefix__-narration"' in body  # the template the editor clones
    assert 'enctype="multipart/form-data"' in body


def test_it_creates_a_job_from_the_form_and_opens_its_status_page(alice_client, alice):
    data = create_post(**{"scenes-1-narration_alt": "आग ने उसे नहीं जलाया।"})
    response = alice_client.post(reverse("renders:create"), data)
    job = RenderJob.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == reverse("renders:job_status", args=[job.pk])
    assert job.plan["mode"] == "proxy" and job.plan["watermark"] == "br"
    assert [scene["narration"] for scene in job.plan["scenes"]] == ["Prahlad prayed.", "The fire did not burn him."]
    assert job.plan["scenes"][1]["narration_alt"] == "आग ने उसे नहीं जलाया।"


def test_it_keeps_scenes_in_the_order_they_were_posted(alice_client, alice):
    # The editor renumbers scenes after a move; the order of the indexes is the order of the video.
    data = create_post(
        **{
            "scenes-0-narration": "Second story beat.",
            "scenes-1-narration": "First story beat.",
        }
    )
    alice_client.post(reverse("renders:create"), data)
    job = RenderJob.objects.get(owner=alice)
    assert [scene["narration"] for scene in job.plan["scenes"]] == ["Second story beat.", "First story beat."]


def test_it_shows_bad_input_inline_and_keeps_everything_typed(alice_client, alice):
    data = create_post(
        title="", **{"scenes-1-duration_sec": "99", "scenes-1-narration": "The fire did not burn him, typed with care."}
    )
    response = alice_client.post(reverse("renders:create"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert not RenderJob.objects.exists()
    # Each error sits next to its field, referenced by the field's aria-describedby.
    assert re.search(r'<ul class="errorlist" id="id_title_error"><li>This field is required.</li></ul>', body)
    assert re.search(r'id="id_scenes-1-duration_sec_error"><li>Use between 1 and 20 seconds.</li>', body)
    assert 'aria-describedby="id_scenes-1-duration_sec_helptext id_scenes-1-duration_sec_error"' in body
    # Nothing typed is lost.
    assert "The fire did not burn him, typed with care.</textarea>" in body
    assert 'value="99"' in body
    assert "a palace at night with fire</textarea>" in body


def test_it_keeps_what_was_typed_when_a_scene_lacks_a_picture(alice_client):
    data = create_post(**{"scenes-1-image_prompt": "", "scenes-1-narration": "Narration I wrote for scene two."})
    response = alice_client.post(reverse("renders:create"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'id="id_scenes-1-image_prompt_error"><li>Describe the picture, or upload one', body)
    assert "Narration I wrote for scene two.</textarea>" in body


def test_it_shows_the_quota_message_and_keeps_the_form(alice_client, alice):
    profile = ensure_profile(alice)
    profile.jobs_per_day = 0
    profile.save(update_fields=["jobs_per_day"])
    response = alice_client.post(reverse("renders:create"), create_post(title="My quota story"))
    body = response.content.decode()
    assert response.status_code == 400
    assert "your limit is 0" in body
    assert 'value="My quota story"' in body


def test_it_stores_an_uploaded_picture_at_once_and_keeps_it_when_the_form_comes_back(alice_client, alice):
    picture = ContentFile(png_bytes(), name="my photo.png")
    data = create_post(title="", **{"scenes-0-image_file": picture, "scenes-0-image_prompt": ""})
    response = alice_client.post(reverse("renders:create"), data)
    body = response.content.decode()
    assert response.status_code == 400
    stored = re.search(r'name="scenes-0-image" value="(uploads/\d+/[0-9a-f]{32}\.png)"', body)
    assert stored, "the stored name travels in the hidden field"
    name = stored.group(1)
    assert name.startswith(f"uploads/{alice.pk}/") and default_storage.exists(name)
    assert reverse("renders:upload_preview", args=[name.rsplit("/", 1)[1]]) in body

    # Fixing the title is enough: the picture is not uploaded again.
    data = create_post(**{"scenes-0-image": name, "scenes-0-image_prompt": ""})
    assert alice_client.post(reverse("renders:create"), data).status_code == 302
    assert RenderJob.objects.get(owner=alice).plan["scenes"][0]["image"] == name


def test_it_refuses_files_that_are_not_jpeg_png_or_webp(alice_client):
    fake = ContentFile(b"%PDF-1.7 not a picture at all", name="photo.png")
    gif = ContentFile(png_bytes(image_format="GIF"), name="moving.gif")
    data = create_post(**{"scenes-0-image_file": fake, "scenes-1-image_file": gif})
    body = alice_client.post(reverse("renders:create"), data).content.decode()
    assert "This file is not a readable image. Upload a JPEG, PNG or WebP picture." in body
    assert "GIF images are not supported." in body
    assert not default_storage.exists("uploads")


def test_it_refuses_nul_in_the_forms_text_naming_the_field(alice_client):
    data = create_post(title="Om\x00", **{"scenes-0-narration": "a\x00b"})
    response = alice_client.post(reverse("renders:create"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count("Null characters are not allowed.</li></ul>") == 2  # on the two fields
    assert ">Title: Null characters are not allowed.</a>" in body  # and linked from the summary
    assert ">Scene 1 · Narration: Null characters are not allowed.</a>" in body
    assert not RenderJob.objects.exists()


def test_it_shows_a_narration_too_long_to_speak_in_its_scene_on_the_form(alice_client):
    narration = "Prahlad prayed by the river every morning. " * 20  # about 50 s spoken, in a 1.5 s scene
    body = alice_client.post(reverse("renders:create"), create_post(**{"scenes-1-narration": narration})).content
    assert re.search(r"Takes about \d+\.\d seconds to speak, so the scene would last about", body.decode())
    assert not RenderJob.objects.exists()


def test_it_refuses_a_picture_over_the_pixel_limit_at_upload(alice_client):
    # 144 megapixels in a 17 KB PNG: under the byte limit, but more than the render step opens.
    buffer = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, "PNG")
    huge = ContentFile(buffer.getvalue(), name="huge.png")
    body = alice_client.post(reverse("renders:create"), create_post(**{"scenes-0-image_file": huge})).content.decode()
    assert "The image is 12000×12000 pixels; the limit is 40 megapixels." in body
    assert not default_storage.exists("uploads")


def test_it_refuses_a_picture_over_the_size_limit(alice_client, settings):
    settings.MAX_UPLOAD_IMAGE_BYTES = 2048
    big = ContentFile(png_bytes(size=(600, 600), image_format="BMP"), name="big.png")
    body = alice_client.post(reverse("renders:create"), create_post(**{"scenes-0-image_file": big})).content.decode()
    assert "the limit is 2 KB. Save it smaller (e.g. as JPEG) and upload it again." in body
    assert "up to 2 KB" in body


def test_it_refuses_someone_elses_upload_named_in_the_hidden_field(alice_client, bob):
    name = default_storage.save(f"uploads/{bob.pk}/{'a' * 32}.png", ContentFile(png_bytes()))
    body = alice_client.post(reverse("renders:create"), create_post(**{"scenes-0-image": name})).content.decode()
    assert "The picture uploaded earlier is gone; upload it again." in body
    assert not RenderJob.objects.exists()


def test_it_refuses_every_way_of_naming_someone_elses_file_in_the_hidden_field(alice_client, alice, bob, settings):
    theirs = default_storage.save(f"uploads/{bob.pk}/{'a' * 32}.png", ContentFile(png_bytes()))
    their_file = add_asset(make_job(bob), AssetKind.SCENE_IMAGE, "scene_00.jpg", png_bytes()).file.name
    tricks = foreign_file_names(
        me=alice.pk, their_upload=theirs, their_job_file=their_file, media_root=settings.MEDIA_ROOT
    )
    for name in tricks:
        response = alice_client.post(reverse("renders:create"), create_post(**{"scenes-0-image": name}))
        body = response.content.decode()
        assert response.status_code == 400 and not RenderJob.objects.filter(owner=alice).exists(), name
        assert theirs not in body and str(settings.MEDIA_ROOT) not in body, name


def test_it_previews_none_of_someone_elses_files_by_any_name(alice_client, bob):
    theirs = default_storage.save(f"uploads/{bob.pk}/{'c' * 32}.png", ContentFile(png_bytes()))
    their_file = theirs.rsplit("/", 1)[1]
    for filename in [
        their_file,
        f"..%2f{bob.pk}%2f{their_file}",
        f"%2e%2e%2f{bob.pk}%2f{their_file}",
        f"..%5c{bob.pk}%5c{their_file}",
        f"%252e%252e%252f{bob.pk}%252f{their_file}",
        "..",
        "%2e%2e",
        ".",
        f"{their_file}%00",
    ]:
        assert alice_client.get(f"/uploads/{filename}").status_code == 404, filename


def test_it_fills_the_create_page_from_a_story_template(alice_client):
    response = alice_client.get(
        reverse("renders:create"), {"template": "prahlad", "language": "hi", "length": "30", "mode": "proxy"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="भक्त प्रह्लाद और भगवान नरसिंह"' in body
    assert '<option value="hi" selected>' in body
    assert '<option value="proxy" selected>' in body
    # 30 s is too short for the full narration: the scenes' short lines, of fewer scenes, are told.
    assert "घमंडी राजा हिरण्यकशिपु चाहता था कि सब उसी को पूजें।" in body  # Hindi, the first scene
    assert "Proud King Hiranyakashipu demanded that all worship him." in body  # English as the other language
    assert "असुरराज हिरण्यकशिपु" not in body
    durations = [float(value) for value in re.findall(r'name="scenes-\d+-duration_sec" value="([\d.]+)"', body)]
    assert 3 <= len(durations) < 10 and abs(sum(durations) - 30) <= 0.5

    roomy = alice_client.get(reverse("renders:create"), {"template": "prahlad", "language": "hi", "length": "180"})
    assert "असुरराज हिरण्यकशिपु" in roomy.content.decode()  # the full narration fits in 3 minutes


def test_it_says_so_when_a_template_does_not_exist(alice_client):
    body = alice_client.get(reverse("renders:create"), {"template": "nope"}).content.decode()
    assert "That story template does not exist" in body
    # Options that cannot be read do not hide the real reason.
    response = alice_client.get(reverse("renders:create"), {"template": "nope", "length": "long"})
    assert response.status_code == 200
    assert "That story template does not exist" in response.content.decode()


def test_it_falls_back_to_the_storys_own_settings_when_its_options_are_unusable(alice_client):
    body = alice_client.get(reverse("renders:create"), {"template": "prahlad", "length": "long"}).content.decode()
    assert "Could not use those options" in body
    assert "Started from the story" in body


# ---- duplicate ------------------------------------------------------------------------------------


def test_it_duplicates_a_video_into_the_create_page(alice_client, alice):
    job = make_job(alice, plan={"title": "Shabari's berries", "language": "en", "aspect": "9:16", "music": "bells"})
    body = alice_client.get(reverse("renders:duplicate", args=[job.pk])).content.decode()
    assert 'value="Shabari&#x27;s berries"' in body
    assert '<option value="9:16" selected>' in body and '<option value="bells" selected>' in body
    assert "Prahlad prayed.</textarea>" in body and "The fire did not burn him.</textarea>" in body
    assert 'name="scenes-TOTAL_FORMS" value="2"' in body
    assert f'action="{reverse("renders:create")}"' in body


# ---- job status and polling --------------------------------------------------------------------------


def test_it_shows_a_running_job_with_progress_timeline_log_and_a_polling_region(alice_client, alice):
    job = make_job(alice, state=JobState.RUNNING, step="speech", progress_pct=20)
    event = JobEvent.objects.create(job=job, message="images: done in 0.4 s", step="images")
    add_asset(job, AssetKind.SCENE_IMAGE, "scene_000.jpg", png_bytes(image_format="JPEG"), scene_index=0)
    body = alice_client.get(reverse("renders:job_status", args=[job.pk])).content.decode()
    progress_url = reverse("renders:job_progress", args=[job.pk])
    # The poll asks only for the log lines after the last one the page shows.
    assert f'hx-get="{progress_url}?since_event={event.pk}" hx-trigger="every 2s"' in body
    assert 'aria-valuenow="20"' in body and 'class="fill pct-20"' in body
    assert 'data-step="images" data-status="done"' in body
    assert 'data-step="speech" data-status="active"' in body
    assert 'data-step="compose" data-status="pending"' in body
    assert "images: done in 0.4 s" in body
    assert '<div class="caption">Scene 1</div>' in body  # named by its caption; the image itself is alt=""
    assert "Cancel render" in body and "hx-confirm=" in body


def test_it_stops_polling_once_the_job_is_final(alice_client, alice):
    job = make_job(alice, state=JobState.SUCCEEDED, progress_pct=100, duration_sec=3.2)
    body = alice_client.get(
        reverse("renders:job_progress", args=[job.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert body.lstrip().startswith('<section id="job-progress"')
    assert "hx-trigger" not in body.split(">", 1)[0]
    assert "every 2s" not in body
    assert "<html" not in body


def test_it_pins_the_polling_partials_query_count(alice_client, alice, django_assert_num_queries):
    job = make_job(alice, state=JobState.RUNNING, step="compose", progress_pct=50)
    for number in range(30):
        JobEvent.objects.create(job=job, message=f"line {number}")
    for index in range(4):
        add_asset(job, AssetKind.SCENE_IMAGE, f"scene_{index:03d}.jpg", b"jpeg", scene_index=index)
    url = reverse("renders:job_progress", args=[job.pk])
    # The first poll of a session reads it, its user and profile (then cached), and learns the render
    # rate (cached 60 s).
    with django_assert_num_queries(7):
        alice_client.get(url, headers={"HX-Request": "true"})
    # job, events, assets: the same however long the log is.
    with django_assert_num_queries(3):
        response = alice_client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "line 29" in response.content.decode()


def test_the_polling_partial_revalidates_with_an_etag(alice_client, alice, django_assert_num_queries):
    job = make_job(alice, state=JobState.RUNNING, step="compose", progress_pct=50)
    url = reverse("renders:job_progress", args=[job.pk])
    first = alice_client.get(url, headers={"HX-Request": "true"})
    assert first.status_code == 200
    assert first["Cache-Control"] == "private, no-cache" and first["ETag"]
    # the job's version (the session's user is cached): no events, files or template
    with django_assert_num_queries(1):
        unchanged = alice_client.get(url, headers={"HX-Request": "true", "If-None-Match": first["ETag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    JobEvent.objects.create(job=job, message="Scene 3 encoded")
    changed = alice_client.get(url, headers={"HX-Request": "true", "If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and "Scene 3 encoded" in changed.content.decode()
    assert changed["ETag"] != first["ETag"]


def test_a_poll_sends_only_the_log_lines_the_page_does_not_have(alice_client, alice):
    job = make_job(alice, state=JobState.RUNNING, step="images", progress_pct=10)
    seen = JobEvent.objects.create(job=job, message="Scene 1 drawn")
    url = reverse("renders:job_progress", args=[job.pk])
    poll = alice_client.get(f"{url}?since_event={seen.pk}", headers={"HX-Request": "true"}).content.decode()
    assert "Scene 1 drawn" not in poll and "job-log" not in poll  # nothing new: no log at all
    assert f'hx-get="{url}?since_event={seen.pk}"' in poll
    new = JobEvent.objects.create(job=job, message="Scene 2 <drawn>")
    poll = alice_client.get(f"{url}?since_event={seen.pk}", headers={"HX-Request": "true"}).content.decode()
    region, log = poll.split("</section>")
    assert f'hx-get="{url}?since_event={new.pk}"' in region  # the next poll asks after the new line
    assert log.lstrip().startswith('<ol id="job-log"') and 'hx-swap-oob="beforeend:#job-log"' in log
    assert "Scene 2 &lt;drawn&gt;" in log and "Scene 1 drawn" not in log and "Nothing logged yet" not in log


def test_a_final_poll_replaces_the_whole_log(alice_client, alice):
    job = make_job(alice, state=JobState.SUCCEEDED, progress_pct=100)
    first = JobEvent.objects.create(job=job, message="Scene 1 drawn")
    JobEvent.objects.create(job=job, message="Video stored")
    url = reverse("renders:job_progress", args=[job.pk])
    poll = alice_client.get(f"{url}?since_event={first.pk}", headers={"HX-Request": "true"}).content.decode()
    log = poll.split("</section>")[1]
    assert 'hx-swap-oob="true"' in log and "Scene 1 drawn" in log and "Video stored" in log


def test_the_polling_partial_shows_log_times_in_the_local_zone(alice_client, alice, settings):
    job = make_job(alice, state=JobState.RUNNING, step="images", progress_pct=10)
    event = JobEvent.objects.create(job=job, message="Scene 1 drawn")
    local = timezone.localtime(event.at)
    body = alice_client.get(reverse("renders:job_progress", args=[job.pk]), headers={"HX-Request": "true"}).content
    expected = f'<time datetime="{local.isoformat()}">{local:%H:%M:%S}</time>'
    assert expected in body.decode()


def test_the_polling_partial_is_a_404_for_someone_elses_job_even_with_an_etag(alice_client, bob):
    job = make_job(bob, state=JobState.RUNNING)
    answer = alice_client.get(
        reverse("renders:job_progress", args=[job.pk]), headers={"HX-Request": "true", "If-None-Match": '"p1-x"'}
    )
    assert answer.status_code == 404


def test_it_shows_the_player_downloads_and_subtitle_tracks_on_success(alice_client, alice):
    job = make_job(alice, state=JobState.SUCCEEDED, progress_pct=100, duration_sec=3.0, encoder="libx264")
    video = add_asset(job, AssetKind.VIDEO, "video.mp4", b"mp4 bytes")
    thumb = add_asset(job, AssetKind.THUMBNAIL, "thumbnail.jpg", b"jpg")
    add_asset(job, AssetKind.SUBTITLES_SRT, "subtitles.en.srt", b"1", language="en")
    vtt_en = add_asset(job, AssetKind.SUBTITLES_VTT, "subtitles.en.vtt", b"WEBVTT", language="en")
    add_asset(job, AssetKind.SUBTITLES_SRT, "subtitles.hi.srt", b"1", language="hi")
    add_asset(job, AssetKind.SUBTITLES_VTT, "subtitles.hi.vtt", b"WEBVTT", language="hi")
    body = alice_client.get(reverse("renders:job_status", args=[job.pk])).content.decode()
    video_url = reverse("renders:asset_file", args=[job.pk, video.pk])
    assert f'src="{video_url}"' in body and "<video controls" in body
    assert f'poster="{reverse("renders:asset_file", args=[job.pk, thumb.pk])}"' in body
    assert f'src="{reverse("renders:asset_file", args=[job.pk, vtt_en.pk])}" srclang="en"' in body
    assert 'srclang="hi" label="Hindi (हिन्दी)"' in body
    assert f'href="{video_url}?download=1"' in body
    assert body.count("subtitles (SRT)") == 2 and body.count("subtitles (VTT)") == 2
    assert "Thumbnail (JPEG)" in body
    assert "Cancel render" not in body


def test_it_shows_the_readable_error_and_a_retry_button_on_failure(alice_client, alice):
    job = make_job(
        alice,
        state=JobState.FAILED,
        step="compose",
        error_step="compose",
        error="ffmpeg ran out of disk. Free space and retry.",
    )
    body = alice_client.get(reverse("renders:job_status", args=[job.pk])).content.decode()
    assert "ffmpeg ran out of disk. Free space and retry." in body
    assert 'data-step="compose" data-status="failed"' in body and 'data-step="speech" data-status="done"' in body
    assert f'action="{reverse("renders:retry", args=[job.pk])}"' in body


# ---- actions ----------------------------------------------------------------------------------------


def test_it_cancels_a_queued_job_and_answers_htmx_with_the_region(alice_client, alice):
    job = make_job(alice)
    response = alice_client.post(reverse("renders:cancel", args=[job.pk]), headers={"HX-Request": "true"})
    job.refresh_from_db()
    assert job.state == JobState.CANCELED
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="job-progress"') and "every 2s" not in body
    assert "Render it again" in body


def test_it_asks_a_running_job_to_stop_and_keeps_polling(alice_client, alice):
    job = make_job(alice, state=JobState.RUNNING, step="compose")
    response = alice_client.post(reverse("renders:cancel", args=[job.pk]), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert RenderJob.objects.get(pk=job.pk).cancel_requested
    assert "Stopping the render" in body and "every 2s" in body and "Cancel render" not in body


def test_it_explains_why_a_finished_job_cannot_be_canceled(alice_client, alice):
    job = make_job(alice, state=JobState.SUCCEEDED)
    response = alice_client.post(reverse("renders:cancel", args=[job.pk]), follow=True)
    assert "there is nothing to cancel" in response.content.decode()


def test_it_retries_a_failed_job(alice_client, alice, _no_enqueue, django_capture_on_commit_callbacks):
    job = make_job(alice, state=JobState.FAILED, error="boom", error_step="images")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("renders:retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.error == ""
    assert _no_enqueue == [str(job.pk)]


def test_it_needs_post_for_actions(alice_client, alice):
    job = make_job(alice)
    assert alice_client.get(reverse("renders:cancel", args=[job.pk])).status_code == 405
    assert alice_client.get(reverse("renders:retry", args=[job.pk])).status_code == 405


# ---- files --------------------------------------------------------------------------------------------


def test_it_serves_a_file_to_its_owner_inline_or_as_a_download(alice_client, alice):
    job = make_job(alice, plan={"title": "Ganga Avatar"}, state=JobState.SUCCEEDED)
    video = add_asset(job, AssetKind.VIDEO, "video.mp4", b"0123456789")
    url = reverse("renders:asset_file", args=[job.pk, video.pk])
    response = alice_client.get(url)
    assert b"".join(response.streaming_content) == b"0123456789"
    assert response["Content-Type"] == "video/mp4" and response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"].startswith("inline")
    download = alice_client.get(url, {"download": "1"})
    assert download["Content-Disposition"] == 'attachment; filename="ganga-avatar.mp4"'


def test_it_serves_byte_ranges_so_the_player_can_seek(alice_client, alice):
    job = make_job(alice, state=JobState.SUCCEEDED)
    video = add_asset(job, AssetKind.VIDEO, "video.mp4", b"0123456789")
    url = reverse("renders:asset_file", args=[job.pk, video.pk])
    response = alice_client.get(url, headers={"Range": "bytes=2-5"})
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 2-5/10" and response["Content-Length"] == "4"
    assert b"".join(response.streaming_content) == b"2345"
    tail = alice_client.get(url, headers={"Range": "bytes=-3"})
    assert b"".join(tail.streaming_content) == b"789"


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=99-120", "bytes=-0"])
def test_it_answers_an_unsatisfiable_range_with_416_and_the_size(alice_client, alice, header):
    job = make_job(alice, state=JobState.SUCCEEDED)
    video = add_asset(job, AssetKind.VIDEO, "video.mp4", b"0123456789")
    response = alice_client.get(reverse("renders:asset_file", args=[job.pk, video.pk]), headers={"Range": header})
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10"


@pytest.mark.parametrize("header", ["bytes=5-2", "bytes=0-1,4-5", "items=0-3", "bytes=abc"])
def test_it_ignores_a_range_it_cannot_read_and_serves_the_whole_file(alice_client, alice, header):
    job = make_job(alice, state=JobState.SUCCEEDED)
    video = add_asset(job, AssetKind.VIDEO, "video.mp4", b"0123456789")
    response = alice_client.get(reverse("renders:asset_file", args=[job.pk, video.pk]), headers={"Range": header})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"0123456789"


def test_it_redirects_to_a_presigned_url_when_media_is_on_s3(alice_client, alice, s3_storage, s3_endpoint):
    job = make_job(alice, plan={"title": "Ganga Avatar"}, state=JobState.SUCCEEDED)
    video = add_asset(job, AssetKind.VIDEO, "video.mp4", b"0123456789")
    response = alice_client.get(reverse("renders:asset_file", args=[job.pk, video.pk]), {"download": "1"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{s3_endpoint}/") and "X-Amz-Signature=" in location
    assert "response-content-disposition=attachment" in location and "ganga-avatar.mp4" in location


def test_it_names_hindi_downloads_in_devanagari(alice_client, alice):
    job = make_job(alice, plan={"title": "गंगा अवतरण", "language": "hi"}, state=JobState.SUCCEEDED)
    srt = add_asset(job, AssetKind.SUBTITLES_SRT, "subtitles.hi.srt", b"1", language="hi")
    response = alice_client.get(reverse("renders:asset_file", args=[job.pk, srt.pk]), {"download": "1"})
    assert (
        response["Content-Disposition"]
        == "attachment; filename*=utf-8''%E0%A4%97%E0%A4%82%E0%A4%97%E0%A4%BE-%E0%A4%85%E0%A4%B5%E0%A4%A4%E0%A4%B0%E0%A4%A3.hi.srt"
    )


def test_it_never_serves_an_asset_through_another_jobs_url(alice_client, alice):
    first, second = make_job(alice), make_job(alice)
    asset = add_asset(first, AssetKind.VIDEO, "video.mp4", b"x")
    assert alice_client.get(reverse("renders:asset_file", args=[second.pk, asset.pk])).status_code == 404


def test_it_previews_my_uploads_but_not_anyone_elses(alice_client, alice, bob):
    mine = default_storage.save(f"uploads/{alice.pk}/{'b' * 32}.png", ContentFile(png_bytes()))
    theirs = default_storage.save(f"uploads/{bob.pk}/{'c' * 32}.png", ContentFile(png_bytes()))
    assert alice_client.get(reverse("renders:upload_preview", args=[mine.rsplit("/", 1)[1]])).status_code == 200
    assert alice_client.get(reverse("renders:upload_preview", args=[theirs.rsplit("/", 1)[1]])).status_code == 404


def test_the_devanagari_font_is_a_static_file_from_its_package(client, tmp_path, settings):
    from django.contrib.staticfiles import finders
    from django.core.management import call_command

    from renders.pipeline.fonts import devanagari_font

    assert finders.find("fonts/noto-sans-devanagari.ttf") == str(devanagari_font())
    css = (settings.BASE_DIR / "static" / "css" / "bhakti.css").read_text()
    assert 'url("../fonts/noto-sans-devanagari.ttf")' in css
    # With DEBUG off collectstatic hashes it, rewrites the stylesheet to the hashed name, and
    # WhiteNoise's storage writes a compressed copy beside it (served with an immutable header).
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    hashed = sorted(path.name for path in (tmp_path / "fonts").glob("noto-sans-devanagari.*.ttf"))
    assert len(hashed) == 1 and (tmp_path / "fonts" / f"{hashed[0]}.gz").stat().st_size < 400_000
    [woff2] = [path.name for path in (tmp_path / "fonts").glob("noto-sans-devanagari.*.woff2")]
    built_css = next(path for path in (tmp_path / "css").glob("bhakti.*.css") if not path.name.endswith(".gz"))
    # The WOFF2 first, the TTF for a browser without it.
    assert re.search(
        rf'url\("../fonts/{re.escape(woff2)}"\) format\("woff2"\),\s*url\("../fonts/{re.escape(hashed[0])}"\)',
        built_css.read_text(),
    )

    # WhiteNoise serves it (read at start-up from STATIC_ROOT: a new client, a new handler) for a year.
    served = Client().get(f"/static/fonts/{woff2}")
    assert served.status_code == 200 and served["Content-Type"] == "font/woff2"
    assert "immutable" in served["Cache-Control"] and "max-age=315360000" in served["Cache-Control"]
    body = b"".join(served.streaming_content)
    assert len(body) < 250_000  # the TTF is 640 KB

    # A valid WOFF2 with every Devanagari letter of the package's font, its shaping rules and both axes.
    from fontTools.ttLib import TTFont

    web, package = TTFont(io.BytesIO(body)), TTFont(str(devanagari_font()))
    assert web.flavor == "woff2"
    devanagari = {code for code in package.getBestCmap() if 0x0900 <= code <= 0x097F}
    assert len(devanagari) > 100 and devanagari <= set(web.getBestCmap())
    assert {"GSUB", "GPOS", "fvar"} <= set(web.keys())
    assert [axis.axisTag for axis in web["fvar"].axes] == [axis.axisTag for axis in package["fvar"].axes]


def test_the_stylesheets_ask_the_web_font_for_exactly_what_it_holds(settings):
    from renders.static_fonts import unicode_range_css

    for sheet in ("bhakti.css", "admin.css"):
        css = (settings.BASE_DIR / "static" / "css" / sheet).read_text()
        assert f"unicode-range: {unicode_range_css()};" in css, sheet


# ---- isolation ---------------------------------------------------------------------------------------


def test_it_answers_404_for_another_creators_job_everywhere(client, alice, bob):
    job = make_job(alice, state=JobState.FAILED)
    asset = add_asset(job, AssetKind.VIDEO, "video.mp4", b"secret")
    client.force_login(bob)
    for name, method in [
        ("renders:job_status", "get"),
        ("renders:job_progress", "get"),
        ("renders:duplicate", "get"),
        ("renders:cancel", "post"),
        ("renders:retry", "post"),
    ]:
        response = getattr(client, method)(reverse(name, args=[job.pk]))
        assert response.status_code == 404, name
    assert client.get(reverse("renders:asset_file", args=[job.pk, asset.pk])).status_code == 404
    assert RenderJob.objects.get(pk=job.pk).state == JobState.FAILED


def test_it_shows_operators_the_task_queue_pages_in_admin(client, django_user_model):
    operator = django_user_model.objects.create_superuser("op", "op@example.com", "op-pass-123")
    client.force_login(operator)
    index = client.get(reverse("admin:index")).content.decode()
    for model in ("success", "failure", "schedule", "ormq"):
        url = reverse(f"admin:django_q_{model}_changelist")
        assert url in index
        assert client.get(url).status_code == 200
    assert client.get(reverse("admin:renders_renderjob_changelist")).status_code == 200


def test_it_shows_operators_webhook_deliveries_and_idempotency_keys_read_only(client, django_user_model):
    from renders.models import IdempotencyRecord, WebhookDelivery

    operator = django_user_model.objects.create_superuser("op", "op@example.com", "op-pass-123")
    job = RenderJob.objects.create(owner=operator, title="Dhruva", plan=tiny_plan_data())
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        job=job, event_id="5d0c7c1e-3f59-4d0a-9c55-5b0b7a4f2c11", event_state="succeeded",
        url="https://hooks.example.com/bhakti", body="{}", outcome=WebhookDelivery.Outcome.FAILED,
        status_code=500, scheduled_for=now,
    )  # fmt: skip
    record = IdempotencyRecord.objects.create(
        user=operator, key="order-42", request_hash="0" * 64, created_at=now, expires_at=now + timedelta(days=1)
    )
    client.force_login(operator)
    listing = client.get(reverse("admin:renders_webhookdelivery_changelist")).content.decode()
    assert "hooks.example.com" in listing and "Failed" in listing
    assert "order-42" in client.get(reverse("admin:renders_idempotencyrecord_changelist")).content.decode()
    # Viewable, never editable or addable: the app owns these rows.
    detail = client.get(reverse("admin:renders_webhookdelivery_change", args=[delivery.pk]))
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert client.get(reverse("admin:renders_idempotencyrecord_add")).status_code == 403
    assert client.get(reverse("admin:renders_idempotencyrecord_change", args=[record.pk])).status_code == 200


# ---- stock footage per scene --------------------------------------------------------------------------

_CHECKED = r'<input type="checkbox" name="scenes-{index}-stock_footage"[^>]*\bchecked>'


def test_it_creates_a_job_with_stock_footage_on_the_scenes_that_ask_for_it(alice_client, alice):
    body = alice_client.get(reverse("renders:create")).content.decode()
    assert 'name="scenes-__prefix__-stock_footage"' in body  # new scenes from the editor get it too
    assert "Use stock footage" in body

    response = alice_client.post(reverse("renders:create"), create_post(**{"scenes-1-stock_footage": "on"}))
    assert response.status_code == 302
    scenes = RenderJob.objects.get(owner=alice).plan["scenes"]
    assert "stock_footage" not in scenes[0] and scenes[1]["stock_footage"] is True


def test_it_keeps_the_stock_footage_tick_when_the_form_comes_back(alice_client):
    body = alice_client.post(
        reverse("renders:create"), create_post(title="", **{"scenes-0-stock_footage": "on"})
    ).content.decode()
    assert re.search(_CHECKED.format(index=0), body)
    assert not re.search(_CHECKED.format(index=1), body)


def test_it_ticks_stock_footage_again_when_a_video_is_duplicated(alice_client, alice):
    scenes = tiny_plan_data()["scenes"]
    scenes[1]["stock_footage"] = True
    job = make_job(alice, plan={"scenes": scenes})
    body = alice_client.get(reverse("renders:duplicate", args=[job.pk])).content.decode()
    assert re.search(_CHECKED.format(index=1), body)
    assert not re.search(_CHECKED.format(index=0), body)

    # Rendering the duplicate as it stands keeps the switch where it was.
    alice_client.post(reverse("renders:create"), create_post(**{"scenes-1-stock_footage": "on"}))
    copy = RenderJob.objects.filter(owner=alice).exclude(pk=job.pk).get()
    assert copy.plan["scenes"] == job.plan["scenes"]


def test_it_refuses_stock_footage_together_with_an_uploaded_picture_on_that_field(alice_client):
    picture = ContentFile(png_bytes(), name="river.png")
    data = create_post(**{"scenes-0-image_file": picture, "scenes-0-stock_footage": "on"})
    response = alice_client.post(reverse("renders:create"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert not RenderJob.objects.exists()
    assert re.search(r'id="id_scenes-0-stock_footage_error"><li>Cannot be used with the scene', body)
    assert re.search(_CHECKED.format(index=0), body)  # nothing typed or ticked is lost


# ---- forms that mean what they say ----------------------------------------------------------------


def test_a_scene_with_narration_but_no_picture_asks_for_a_description(alice_client):
    response = alice_client.post(reverse("renders:create"), create_post(**{"scenes-1-image_prompt": ""}))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Describe the picture, or upload one" in body
    assert (
        "Is required" not in body
        and "(optional)</span></label>" not in body.split('for="id_scenes-1-image_prompt"')[1][:120]
    )
    assert "Needed unless you upload a picture." in body
    assert RenderJob.objects.count() == 0


def test_a_scene_added_and_left_blank_is_never_dropped_silently(alice_client):
    data = create_post(**{"scenes-TOTAL_FORMS": "3", "scenes-2-duration_sec": "5"})
    response = alice_client.post(reverse("renders:create"), data)
    assert response.status_code == 400
    assert "This scene is empty." in response.content.decode()
    assert RenderJob.objects.count() == 0  # asked for three scenes: not a two-scene video


def test_no_scenes_is_said_in_the_studio_s_words(alice_client):
    data = create_post(**{"scenes-TOTAL_FORMS": "0"})
    response = alice_client.post(reverse("renders:create"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Add a scene: a video needs at least one" in body and "Please submit" not in body


def test_the_error_summary_links_each_message_to_its_field(alice_client):
    data = create_post(**{"title": "", "scenes-1-duration_sec": "500"})
    body = alice_client.post(reverse("renders:create"), data).content.decode()
    summary = body.split('id="error-summary"')[1].split("</div>")[0]
    assert 'tabindex="-1"' in body.split('id="error-summary"')[0][-80:] + body.split('id="error-summary"')[1][:40]
    assert 'href="#id_title"' in summary and "Title: This field is required." in summary
    assert 'href="#id_scenes-1-duration_sec"' in summary and "Scene 2 · Seconds: Use between 1 and" in summary
    assert 'id="id_scenes-1-duration_sec"' in body  # the link's target exists


def test_pages_have_a_favicon_and_the_ico_path_finds_it(client, alice):
    client.force_login(alice)
    page = client.get(reverse("renders:dashboard")).content.decode()
    assert 'rel="icon"' in page and "favicon" in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and "favicon" in response["Location"]


def test_the_job_log_is_keyboard_scrollable_and_follows_the_newest_line(alice_client, alice):
    job = make_job(alice, state=JobState.RUNNING)
    JobEvent.objects.create(job=job, message="Attempt 1 started on a worker")
    page = alice_client.get(reverse("renders:job_status", args=[job.pk])).content.decode()
    assert '<ol id="job-log" class="log" aria-label="Render log" tabindex="0" data-follow-log>' in page
    assert "js/job_status." in page  # hashed with DEBUG off


def test_it_shows_the_attempt_and_why_a_retry_waits(alice_client, alice, settings):
    settings.JOB_MAX_ATTEMPTS = 3
    due = timezone.now() + timedelta(seconds=40)
    job = make_job(
        alice, state=JobState.QUEUED, attempts=1, last_error="ffmpeg crashed (killed by signal 11)", next_attempt_at=due
    )
    body = alice_client.get(reverse("renders:job_progress", args=[job.pk])).content.decode()
    attempt = re.search(r'data-testid="job-attempt">(.*?)</p>', body, re.S).group(1)
    text = " ".join(re.sub(r"<[^>]+>", "", attempt).split())
    assert text == (
        f"Attempt 1 of 3 failed; attempt 2 starts at {timezone.localtime(due):%H:%M:%S}. "
        "Retried because: ffmpeg crashed (killed by signal 11)"
    )


def test_it_says_nothing_of_attempts_for_a_first_try(alice_client, alice):
    job = make_job(alice, state=JobState.RUNNING, attempts=1)
    body = alice_client.get(reverse("renders:job_status", args=[job.pk])).content.decode()
    assert 'data-testid="job-attempt"' not in body


def test_it_takes_captions_from_the_form_with_automatic_by_shape(alice_client, alice):
    alice_client.post(reverse("renders:create"), create_post(aspect="9:16"))
    alice_client.post(reverse("renders:create"), create_post(aspect="9:16", captions="lines"))
    plans = [job.plan for job in RenderJob.objects.filter(owner=alice).order_by("created_at")]
    assert [plan["captions"] for plan in plans] == ["words", "lines"]
    assert [plan["subtitles_on_screen"] for plan in plans] == ["main", "main"]


def test_it_puts_a_roman_subtitles_error_on_its_field(alice_client, alice):
    response = alice_client.post(reverse("renders:create"), create_post(subtitles_on_screen="roman"))
    assert response.status_code == 400
    assert "needs language hi" in response.context["plan_form"].errors["subtitles_on_screen"][0]
    assert not RenderJob.objects.filter(owner=alice).exists()
