"""The studio's series: picked in the gallery, the form, the series page (htmx polling), cancel."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from publishing.models import Publication, PublicationState, YouTubeChannel
from renders.models import JobState, RenderJob, Series

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def enqueued(committed_renders) -> list[str]:
    return committed_renders


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def alice_channel(alice) -> YouTubeChannel:
    return YouTubeChannel.objects.create(owner=alice, channel_id="UCalice", title="Alice's", refresh_token="x")


def _form(**overrides: object) -> dict:
    data: dict[str, object] = {
        "title": "Daily stories", "stories": ["prahlad", "dhruva"], "languages": ["en", "hi"], "lengths": "30",
        "aspect": "9:16", "mode": "proxy", "every_days": "1", "every_hours": "0", "privacy": "public",
    }  # fmt: skip
    data.update(overrides)
    return data


def _scheduled(**overrides: object) -> dict:
    start = (timezone.now() + dt.timedelta(days=3)).date().isoformat()
    return _form(schedule="on", start_date=start, time="07:15", time_zone="Asia/Kolkata", made_for_kids="no",
                 **overrides)  # fmt: skip


def test_it_lets_the_gallery_tick_stories_for_a_series(alice_client):
    body = alice_client.get(reverse("library:gallery")).content.decode()
    assert 'id="series-pick"' in body and f'action="{reverse("library:series_new")}"' in body
    assert 'name="story" value="prahlad" form="series-pick"' in body
    form = alice_client.get(reverse("library:series_new"), {"story": ["prahlad", "kaliya"]}).content.decode()
    ticked = set(re.findall(r'<input type="checkbox" name="stories" value="([\w-]+)"[^>]*checked', form))
    assert ticked == {"prahlad", "kaliya"}
    assert "Connect a YouTube channel first" in form  # no channel: the schedule is explained, not hidden


def test_it_starts_stories_times_languages_times_lengths_in_order(alice_client, alice):
    answer = alice_client.post(reverse("library:series_new"), _form(lengths="30, 45"))
    series = Series.objects.get(owner=alice)
    assert answer.status_code == 302 and answer["Location"] == reverse("library:series_detail", args=[series.pk])
    jobs = list(series.jobs.order_by("series_position"))
    assert len(jobs) == 8 and not series.is_scheduled
    assert [job.language for job in jobs[:4]] == ["en", "en", "hi", "hi"]
    assert {job.plan["aspect"] for job in jobs} == {"9:16"}
    assert not Publication.objects.exists()


def test_it_schedules_when_a_channel_is_connected_and_shows_the_times(alice_client, alice, alice_channel):
    answer = alice_client.post(reverse("library:series_new"), _scheduled(languages=["en"]))
    assert answer.status_code == 302, answer.content.decode()[:2000]
    series = Series.objects.get(owner=alice)
    assert (series.time_zone, series.local_time, series.every_days) == ("Asia/Kolkata", dt.time(7, 15), 1)
    assert Publication.objects.filter(job__series=series, state=PublicationState.SCHEDULED).count() == 2
    page = alice_client.get(answer["Location"]).content.decode()
    assert page.count("07:15 Asia/Kolkata") >= 2 and "Scheduled" in page
    assert 'hx-trigger="every 3s"' in page  # renders still queued: the list polls itself
    # The next form defaults to the zone of the last scheduled series.
    assert '<option value="Asia/Kolkata" selected>' in alice_client.get(reverse("library:series_new")).content.decode()


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"stories": []}, "This field is required."),
        ({"lengths": "30, abc"}, "is not a length"),
        ({"languages": ["fr"]}, "Select a valid choice"),
    ],
)
def test_it_shows_bad_input_as_form_errors(alice_client, overrides, field_error):
    answer = alice_client.post(reverse("library:series_new"), _form(**overrides))
    assert answer.status_code == 400 and field_error in answer.content.decode()
    assert not Series.objects.exists() and not RenderJob.objects.exists()


def test_it_asks_for_the_schedule_fields_and_a_channel(alice_client):
    missing = alice_client.post(reverse("library:series_new"), _form(schedule="on"))
    assert missing.status_code == 400 and missing.content.decode().count("Needed to schedule the series.") == 4
    no_channel = alice_client.post(reverse("library:series_new"), _scheduled())
    assert no_channel.status_code == 400 and "Connect a YouTube channel first" in no_channel.content.decode()
    assert not Series.objects.exists() and not RenderJob.objects.exists()


def test_it_refuses_a_series_over_the_daily_quota_with_nothing_created(alice_client, settings):
    settings.JOBS_PER_DAY = 3
    answer = alice_client.post(reverse("library:series_new"), _form())
    assert answer.status_code == 400 and "This series needs 4 videos" in answer.content.decode()
    assert not Series.objects.exists() and not RenderJob.objects.exists()


def test_it_cancels_after_confirmation_and_says_what_stays(alice_client, alice, alice_channel):
    alice_client.post(reverse("library:series_new"), _scheduled(languages=["en"]))
    series = Series.objects.get(owner=alice)
    first, second = series.jobs.order_by("series_position")
    RenderJob.objects.filter(pk=first.pk).update(state=JobState.SUCCEEDED)
    Publication.objects.filter(job=first).update(state=PublicationState.PUBLISHED, youtube_video_id="v1")

    confirm = alice_client.get(reverse("library:series_cancel", args=[series.pk])).content.decode()
    assert "Yes, cancel the series" in confirm and "already published stay on YouTube" in confirm
    assert Series.objects.get(pk=series.pk).canceled_at is None  # asking is not canceling

    answer = alice_client.post(reverse("library:series_cancel", args=[series.pk]), follow=True)
    body = answer.content.decode()
    assert "1 queued job canceled" in body and "1 already published stays on YouTube" in body
    assert RenderJob.objects.get(pk=second.pk).state == JobState.CANCELED
    assert Publication.objects.get(job=first).state == PublicationState.PUBLISHED
    assert Publication.objects.get(job=second).state == PublicationState.CANCELED
    assert "Cancel series…" not in body


def test_it_serves_the_polled_list_alone_and_stops_polling_when_every_render_is_final(alice_client, alice):
    alice_client.post(reverse("library:series_new"), _form(languages=["en"], stories=["prahlad"]))
    series = Series.objects.get(owner=alice)
    url = reverse("library:series_detail", args=[series.pk])
    partial = alice_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="series-items"') and "every 3s" in partial
    series.jobs.update(state=JobState.SUCCEEDED)
    assert "hx-trigger" not in alice_client.get(url, HTTP_HX_REQUEST="true").content.decode()


def test_it_hides_another_creators_series(client, alice, bob):
    client.force_login(alice)
    client.post(reverse("library:series_new"), _form(languages=["en"], stories=["prahlad"]))
    series = Series.objects.get(owner=alice)
    client.force_login(bob)
    for name in ("library:series_detail", "library:series_cancel"):
        assert client.get(reverse(name, args=[series.pk])).status_code == 404
    assert client.post(reverse("library:series_cancel", args=[series.pk])).status_code == 404
    assert "Daily stories" not in client.get(reverse("library:series_list")).content.decode()
    assert Series.objects.get(pk=series.pk).canceled_at is None
