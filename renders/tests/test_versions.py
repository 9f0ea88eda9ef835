"""Versions of a video: "Make final" on a preview, "Edit" as a new version, the library's one card
per video, the job page's Versions list, and a story starting as a preview with its time costs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import ensure_profile
from conftest import tiny_plan_data
from renders.deletion import job_delete
from renders.models import JobState, RenderJob
from renders.selectors import jobs_list, video_versions
from renders.services import JobActionError, QuotaExceeded, job_create, job_make_final

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)


def finished(job: RenderJob) -> RenderJob:
    now = timezone.now()
    RenderJob.objects.filter(pk=job.pk).update(
        state=JobState.SUCCEEDED, started_at=now - timedelta(seconds=5), finished_at=now, duration_sec=3.0
    )
    job.refresh_from_db()
    return job


def preview(owner, **overrides) -> RenderJob:
    return finished(job_create(owner=owner, plan_data=tiny_plan_data(**overrides)))


# ---- services -------------------------------------------------------------------------------------


def test_it_makes_a_final_of_a_preview_as_version_2_with_the_same_scenes(alice):
    first = preview(alice)
    final = job_make_final(job=first, owner=alice)
    assert (final.video_id, final.version) == (first.pk, 2)
    assert final.plan["mode"] == "final" and final.plan["resolution"] == "720p"
    assert final.plan["scenes"] == first.plan["scenes"]
    assert final.state == JobState.QUEUED
    assert "Version 2 of the video" in final.events.last().message


def test_it_numbers_versions_along_the_chain_never_reusing_a_deleted_number(alice):
    first = preview(alice)
    second = finished(job_create(owner=alice, plan_data=first.plan, version_of=first))
    third = finished(job_create(owner=alice, plan_data=first.plan, version_of=second))
    assert (third.video_id, third.version) == (first.pk, 3)
    job_delete(job=third)
    fourth = job_create(owner=alice, plan_data=first.plan, version_of=first)
    assert fourth.version == 4
    assert [job.version for job in video_versions(second)] == [1, 2, 4]


def test_it_refuses_to_make_final_of_an_unfinished_or_final_job(alice):
    queued = job_create(owner=alice, plan_data=tiny_plan_data())
    with pytest.raises(JobActionError) as caught:
        job_make_final(job=queued, owner=alice)
    assert caught.value.code == "not_finished"
    done_final = finished(job_create(owner=alice, plan_data=tiny_plan_data(mode="final")))
    with pytest.raises(JobActionError) as caught:
        job_make_final(job=done_final, owner=alice)
    assert caught.value.code == "not_a_preview"


def test_it_never_attaches_a_version_to_someone_elses_video(alice, bob):
    bobs = preview(bob)
    with pytest.raises(JobActionError) as caught:
        job_create(owner=alice, plan_data=tiny_plan_data(), version_of=bobs)
    assert caught.value.code == "not_your_video"
    assert not RenderJob.objects.filter(video=bobs).exists()


def test_a_new_version_counts_against_the_daily_quota(alice):
    first = preview(alice)
    profile = ensure_profile(alice)
    profile.jobs_per_day = 1
    profile.save(update_fields=["jobs_per_day"])
    owner = type(alice).objects.get(pk=alice.pk)  # as a request loads it: with today's profile
    with pytest.raises(QuotaExceeded) as caught:
        job_make_final(job=first, owner=owner)
    assert caught.value.limit == "JOBS_PER_DAY"
    assert not RenderJob.objects.filter(video=first).exists()


def test_the_library_lists_one_job_per_video_its_latest_version(alice, bob):
    first = preview(alice, title="Prahlad")
    second = finished(job_create(owner=alice, plan_data=first.plan, version_of=first))
    other = preview(alice, title="Dhruva")
    preview(bob, title="Bob's")
    assert list(jobs_list(user=alice, latest_only=True)) == [other, second]
    assert set(jobs_list(user=alice)) == {first, second, other}
    # Deleting the latest makes the one before it the latest again.
    job_delete(job=second)
    assert list(jobs_list(user=alice, latest_only=True)) == [other, first]


# ---- studio ---------------------------------------------------------------------------------------


def test_make_final_from_the_job_page_starts_version_2_and_shows_it(client, alice):
    first = preview(alice)
    client.force_login(alice)
    page = client.get(reverse("renders:job_status", args=[first.pk])).content.decode()
    assert f'action="{reverse("renders:make_final", args=[first.pk])}"' in page
    response = client.post(reverse("renders:make_final", args=[first.pk]))
    final = RenderJob.objects.get(video=first)
    assert response.status_code == 302 and response["Location"] == reverse("renders:job_status", args=[final.pk])
    assert final.plan["mode"] == "final" and final.version == 2
    page = client.get(response["Location"]).content.decode()
    versions = page[page.index('data-testid="versions"') :]
    assert f'href="{reverse("renders:job_status", args=[first.pk])}">v1</a>' in versions
    assert '<strong aria-current="page">v2</strong>' in versions
    # The preview's own page lists the final too, and no longer offers nothing new: still a preview.
    page = client.get(reverse("renders:job_status", args=[first.pk])).content.decode()
    assert f'href="{reverse("renders:job_status", args=[final.pk])}">v2</a>' in page


def test_make_final_of_someone_elses_video_is_a_404(client, alice, bob):
    bobs = preview(bob)
    client.force_login(alice)
    assert client.post(reverse("renders:make_final", args=[bobs.pk])).status_code == 404
    assert not RenderJob.objects.filter(video=bobs).exists()


def test_make_final_over_the_quota_says_why_and_starts_nothing(client, alice):
    first = preview(alice)
    profile = ensure_profile(alice)
    profile.jobs_per_day = 1
    profile.save(update_fields=["jobs_per_day"])
    client.force_login(alice)
    response = client.post(reverse("renders:make_final", args=[first.pk]), follow=True)
    assert "limit is 1" in response.content.decode()
    assert not RenderJob.objects.filter(video=first).exists()


def _edit_form_data(page: str, job: RenderJob, **changes: str) -> dict[str, str]:
    """The edit page's form as a browser would submit it, with `changes` applied."""
    named = re.search(r'name="version_of" value="([^"]+)"', page)
    assert named is not None, "the edit page names the video in a hidden field"
    data = {
        "version_of": named.group(1),
        "scenes-TOTAL_FORMS": str(len(job.plan["scenes"])),
        "scenes-INITIAL_FORMS": "0",
        "scenes-MIN_NUM_FORMS": "1",
        "scenes-MAX_NUM_FORMS": "40",
    }
    for field in ("title", "topic", "language", "voice", "style", "aspect", "resolution", "mode", "music", "watermark"):
        data[field] = job.plan[field]
    for index, scene in enumerate(job.plan["scenes"]):
        data[f"scenes-{index}-narration"] = scene["narration"]
        data[f"scenes-{index}-image_prompt"] = scene["image_prompt"]
        data[f"scenes-{index}-duration_sec"] = str(scene["duration_sec"])
    data.update(changes)
    return data


def test_edit_renders_a_new_version_of_the_same_video(client, alice):
    first = preview(alice)
    client.force_login(alice)
    page = client.get(reverse("renders:edit", args=[first.pk])).content.decode()
    assert "Edit a video" in page and "Render new version" in page
    assert "The fire did not burn him." in page
    data = _edit_form_data(page, first, **{"scenes-1-narration": "The flames turned cool."})
    response = client.post(reverse("renders:create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    second = RenderJob.objects.get(video=first)
    assert second.version == 2 and second.owner == alice
    assert second.plan["scenes"][0] == first.plan["scenes"][0]
    assert second.plan["scenes"][1]["narration"] == "The flames turned cool."


def test_edit_never_attaches_to_someone_elses_video(client, alice, bob):
    bobs = preview(bob)
    mine = preview(alice)
    client.force_login(alice)
    assert client.get(reverse("renders:edit", args=[bobs.pk])).status_code == 404
    page = client.get(reverse("renders:edit", args=[mine.pk])).content.decode()
    data = _edit_form_data(page, mine, version_of=str(bobs.pk))
    assert client.post(reverse("renders:create"), data).status_code == 404
    assert not RenderJob.objects.filter(video=bobs).exists()
    assert RenderJob.objects.filter(owner=alice).count() == 1


def test_the_library_shows_one_card_per_video_with_its_version(client, alice):
    first = preview(alice, title="Prahlad")
    second = finished(job_create(owner=alice, plan_data=first.plan, version_of=first))
    client.force_login(alice)
    page = client.get(reverse("renders:dashboard")).content.decode()
    assert page.count('class="video-card"') == 1
    assert reverse("renders:job_status", args=[second.pk]) in page
    assert reverse("renders:job_status", args=[first.pk]) not in page
    assert ">v2</span>" in page


def test_the_library_counts_videos_by_their_latest_version_like_its_cards(client, alice):
    first = preview(alice, title="Prahlad")
    job_make_final(job=first, owner=alice)  # version 2, queued: the video is queued, not finished
    preview(alice, title="Dhruva")
    client.force_login(alice)
    page = client.get(reverse("renders:dashboard")).content.decode()
    chips = re.search(r'<div class="stat-chips".*?</div>', page, re.S).group(0)
    assert re.findall(r">(\d+ \w+)</span>", chips) == ["1 queued", "1 succeeded"]
    assert page.count('class="video-card"') == 2


def test_the_job_page_of_a_single_version_has_no_versions_list(client, alice):
    first = preview(alice)
    client.force_login(alice)
    page = client.get(reverse("renders:job_status", args=[first.pk])).content.decode()
    assert 'data-testid="versions"' not in page
    assert "Make final" in page and reverse("renders:edit", args=[first.pk]) in page


def test_the_job_page_says_how_many_pieces_were_reused(client, alice):
    job = preview(alice)
    RenderJob.objects.filter(pk=job.pk).update(pieces_reused=3, pieces_total=11)
    client.force_login(alice)
    page = client.get(reverse("renders:job_status", args=[job.pk])).content.decode()
    assert "3 of 11 pieces reused" in page


def test_a_story_starts_as_a_preview_with_its_time_costs(client, alice):
    client.force_login(alice)
    page = client.get(reverse("renders:create"), {"template": "prahlad"}).content.decode()
    selected = re.search(r'<select name="mode"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.search(r'<option value="proxy"[^>]*selected', selected)
    assert re.search(
        r"For this plan on this server: Preview: about [\d]+ (s|min) · Final 1080p: about \d+ (s|min)\.", page
    )
    # Asked for explicitly, the final stays final.
    page = client.get(reverse("renders:create"), {"template": "prahlad", "mode": "final"}).content.decode()
    selected = re.search(r'<select name="mode"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.search(r'<option value="final"[^>]*selected', selected)


def test_a_blank_create_page_gives_the_time_costs_per_minute(client, alice):
    client.force_login(alice)
    page = client.get(reverse("renders:create")).content.decode()
    assert "Per minute of video on this server: Preview: about" in page


def test_deleting_the_latest_version_says_the_one_before_becomes_the_latest(client, alice):
    first = preview(alice)
    second = finished(job_create(owner=alice, plan_data=first.plan, version_of=first))
    client.force_login(alice)
    confirm = client.get(reverse("renders:delete", args=[second.pk])).content.decode()
    assert (
        "Only this version (v2) is deleted; the video's other version (v1) stays, and v1 becomes the latest in My videos."
        in confirm
    )
    client.post(reverse("renders:delete", args=[second.pk]))
    page = client.get(reverse("renders:dashboard")).content.decode()
    assert reverse("renders:job_status", args=[first.pk]) in page
    assert reverse("renders:job_status", args=[second.pk]) not in page
