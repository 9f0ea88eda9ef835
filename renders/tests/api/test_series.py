"""/api/v1/series: create (all or nothing), list, detail, cancel; another user's series is a 404."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.services import ensure_profile
from publishing.models import Publication, PublicationState, YouTubeChannel
from renders.models import JobState, RenderJob, Series

pytestmark = pytest.mark.django_db

SCHEDULE = {
    "start_date": "2027-03-27", "time": "09:00", "time_zone": "Europe/London", "every_days": 1,
    "made_for_kids": False,
}  # fmt: skip


def _items(*stories: str, **settings: object) -> list[dict]:
    return [{"story": story, "language": "en", "duration_target": 30, "mode": "proxy", **settings} for story in stories]


def _create(client, body: dict, **headers: str):
    return client.post("/api/v1/series", body, format="json", **headers)


@pytest.fixture
def alice_channel(alice) -> YouTubeChannel:
    return YouTubeChannel.objects.create(owner=alice, channel_id="UCalice", title="Alice's", refresh_token="x")


def test_it_starts_one_job_per_item_grouped_in_a_series(alice_api, alice, enqueued, django_capture_on_commit_callbacks):
    body = {"title": "Daily stories", "items": [
        {"story": "prahlad", "language": "en", "duration_target": 30, "aspect": "9:16", "mode": "proxy"},
        {"story": "prahlad", "language": "hi", "duration_target": 60, "music": "bells"},
        {"story": "dhruva", "language": "en"},
    ]}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        answer = _create(alice_api, body)
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    series = Series.objects.get(pk=data["id"])
    assert (series.owner, series.title, series.is_scheduled) == (alice, "Daily stories", False)
    jobs = list(series.jobs.order_by("series_position"))
    assert [str(job.pk) for job in jobs] == data["job_ids"]
    assert sorted(enqueued) == sorted(data["job_ids"])
    assert [(job.language, job.plan["aspect"], job.plan.get("music")) for job in jobs][:2] == [
        ("en", "9:16", jobs[0].plan.get("music")), ("hi", jobs[1].plan["aspect"], "bells"),
    ]  # fmt: skip
    assert sum(scene["duration_sec"] for scene in jobs[1].plan["scenes"]) == pytest.approx(60, abs=0.5)
    assert [item["position"] for item in data["items"]] == [0, 1, 2]
    assert {item["publish_at_utc"] for item in data["items"]} == {None}
    assert data["schedule"] is None and answer["Location"].endswith(f"/api/v1/series/{series.pk}")


def test_it_schedules_one_publication_a_day_at_local_time_across_dst(alice_api, alice_channel):
    answer = _create(
        alice_api, {"title": "Spring", "items": _items("prahlad", "dhruva", "kaliya"), "schedule": SCHEDULE}
    )
    assert answer.status_code == 201, answer.json()
    items = answer.json()["items"]
    # London goes to BST on 28 March 2027: 09:00 local stays, the UTC instant moves an hour.
    assert [item["publish_at_utc"] for item in items] == [
        "2027-03-27T09:00:00Z", "2027-03-28T08:00:00Z", "2027-03-29T08:00:00Z",
    ]  # fmt: skip
    assert [item["publish_at_local"] for item in items] == [
        "2027-03-27T09:00:00+00:00", "2027-03-28T09:00:00+01:00", "2027-03-29T09:00:00+01:00",
    ]  # fmt: skip
    assert {item["publication_state"] for item in items} == {"scheduled"}
    publications = Publication.objects.filter(job__series_id=answer.json()["id"]).order_by("publish_at")
    assert [p.upload_after.isoformat() for p in publications] == [
        "2027-03-27T09:00:00+00:00", "2027-03-28T08:00:00+00:00", "2027-03-29T08:00:00+00:00",
    ]  # fmt: skip
    assert {(p.privacy, p.made_for_kids, p.timing) for p in publications} == {("public", False, "upload_when_due")}
    assert answer.json()["schedule"] == {
        "start_date": "2027-03-27", "time": "09:00", "time_zone": "Europe/London", "every_days": 1, "every_hours": 0,
    }  # fmt: skip


def test_it_keeps_nine_local_in_new_york_when_clocks_go_back(alice_api, alice_channel):
    schedule = {**SCHEDULE, "start_date": "2027-11-06", "time_zone": "America/New_York"}
    answer = _create(alice_api, {"title": "Autumn", "items": _items("prahlad", "dhruva"), "schedule": schedule})
    assert answer.status_code == 201, answer.json()
    assert [item["publish_at_utc"] for item in answer.json()["items"]] == [
        "2027-11-06T13:00:00Z",
        "2027-11-07T14:00:00Z",
    ]


def test_it_refuses_a_schedule_without_a_connected_channel(alice_api, enqueued):
    answer = _create(alice_api, {"title": "S", "items": _items("prahlad"), "schedule": SCHEDULE})
    assert answer.status_code == 400
    assert answer.json()["code"] == "not_connected" and "schedule" in answer.json()["errors"]
    assert not Series.objects.exists() and not RenderJob.objects.exists() and enqueued == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": _items("prahlad")}, "title"),
        ({"title": "S", "items": []}, "items"),
        ({"title": "S", "items": [{"language": "en"}]}, "items.0.story"),
        ({"title": "S", "items": _items("prahlad", "no-such-story")}, "items.1.story"),
        ({"title": "S", "items": [{"story": "prahlad", "language": "fr"}]}, "items.0.language"),
        ({"title": "S", "items": [{"story": "prahlad", "duration_target": 100000}]}, "items.0.duration_target"),
        ({"title": "S", "items": [{"story": "prahlad", "duration_target": "60"}]}, "items.0.duration_target"),
        ({"title": "S", "items": _items("prahlad"), "schedule": {**SCHEDULE, "time_zone": "Mars/Base"}},
         "schedule.time_zone"),
        ({"title": "S", "items": _items("prahlad"), "schedule": {**SCHEDULE, "time": "9am"}}, "schedule.time"),
        ({"title": "S", "items": _items("prahlad"), "schedule": {**SCHEDULE, "start_date": "27/03/2027"}},
         "schedule.start_date"),
        ({"title": "S", "items": _items("prahlad"), "schedule": {**SCHEDULE, "start_date": "2020-01-01"}},
         "schedule.start_date"),
        ({"title": "S", "items": _items("prahlad"), "schedule": {**SCHEDULE, "every_days": 0}}, "schedule.every_days"),
        ({"title": "S", "items": _items("prahlad"), "schedule": {k: v for k, v in SCHEDULE.items()
                                                                 if k != "made_for_kids"}}, "schedule.made_for_kids"),
    ],
)  # fmt: skip
def test_it_answers_bad_input_with_400_naming_the_field(alice_api, alice_channel, enqueued, body, field):
    answer = _create(alice_api, body)
    assert answer.status_code == 400, answer.json()
    assert any(key == field or key.startswith(field + ".") for key in answer.json()["errors"]), answer.json()
    assert not Series.objects.exists() and not RenderJob.objects.exists() and enqueued == []


def test_it_creates_nothing_when_the_daily_quota_cannot_cover_every_job(alice_api, alice, enqueued):
    profile = ensure_profile(alice)
    profile.jobs_per_day = 4
    profile.save(update_fields=["jobs_per_day"])
    assert _create(alice_api, {"title": "First", "items": _items("prahlad", "dhruva")}).status_code == 201
    answer = _create(alice_api, {"title": "Second", "items": _items("prahlad", "dhruva", "kaliya")})
    assert answer.status_code == 400
    assert (answer.json()["code"], answer.json()["limit"]) == ("daily_quota_exceeded", "JOBS_PER_DAY")
    assert "2 more fit" in answer.json()["message"]
    assert Series.objects.count() == 1 and RenderJob.objects.count() == 2
    assert AuditEvent.objects.filter(action=AuditEvent.Action.QUOTA_EXCEEDED).count() == 1
    assert _create(alice_api, {"title": "Second", "items": _items("prahlad", "dhruva")}).status_code == 201


def test_it_creates_nothing_when_one_job_is_over_the_cost_guard(alice_api, alice, alice_channel, settings, enqueued):
    settings.IMAGE_PROVIDERS, settings.OPENAI_API_KEY = ["openai", "local"], "sk-test"
    settings.MAX_JOB_COST = 0.1  # 0.04 a painted scene: the first item's 2 scenes fit, the second's 9 do not
    items = [{"story": "prahlad", "duration_target": 10}, {"story": "dhruva", "duration_target": 120}]
    answer = _create(alice_api, {"title": "S", "items": items, "schedule": SCHEDULE})
    assert answer.status_code == 400, answer.json()
    assert (answer.json()["code"], answer.json()["limit"]) == ("cost_limit_exceeded", "MAX_JOB_COST")
    # The first job was written before the second was refused: the whole series was rolled back.
    assert not Series.objects.exists() and not RenderJob.objects.exists() and not Publication.objects.exists()
    assert enqueued == []


def test_it_refuses_a_series_over_the_start_rate_with_nothing_created(alice_api, settings, enqueued):
    settings.RATE_LIMIT_PER_MIN = 3
    assert _create(alice_api, {"title": "A", "items": _items("prahlad", "dhruva")}).status_code == 201
    answer = _create(alice_api, {"title": "B", "items": _items("prahlad", "dhruva")})
    assert answer.status_code == 429 and answer.json()["code"] == "throttled"
    assert int(answer["Retry-After"]) >= 1 and "Nothing was created" in answer.json()["message"]
    assert Series.objects.count() == 1 and RenderJob.objects.count() == 2


def test_it_lists_and_shows_only_the_callers_series(alice_api, bob_api, alice):
    first = _create(alice_api, {"title": "Mine", "items": _items("prahlad")}).json()
    listing = alice_api.get("/api/v1/series").json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == first["id"]
    assert listing["results"][0]["job_count"] == 1
    assert bob_api.get("/api/v1/series").json()["count"] == 0
    detail = alice_api.get(f"/api/v1/series/{first['id']}")
    assert detail.status_code == 200 and detail.json()["job_ids"] == first["job_ids"]
    for path in (f"/api/v1/series/{first['id']}", "/api/v1/series/not-a-uuid"):
        answer = bob_api.get(path)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert bob_api.post(f"/api/v1/series/{first['id']}/cancel").status_code == 404
    assert Series.objects.get(pk=first["id"]).canceled_at is None


def test_it_cancels_queued_jobs_and_leaves_running_and_finished_ones(alice_api, alice_channel):
    data = _create(
        alice_api, {"title": "S", "items": _items("prahlad", "dhruva", "kaliya"), "schedule": SCHEDULE}
    ).json()
    running, finished, queued = (RenderJob.objects.get(pk=job_id) for job_id in data["job_ids"])
    RenderJob.objects.filter(pk=running.pk).update(state=JobState.RUNNING, started_at=timezone.now())
    RenderJob.objects.filter(pk=finished.pk).update(state=JobState.SUCCEEDED, progress_pct=100)
    Publication.objects.filter(job=finished).update(
        state=PublicationState.PUBLISHED, youtube_video_id="vid123", uploaded_at=timezone.now()
    )
    answer = alice_api.post(f"/api/v1/series/{data['id']}/cancel")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["jobs_canceled"], body["jobs_left"]) == (1, 2)
    assert (body["publications_canceled"], body["publications_kept"]) == (2, 1)
    assert "already published stays on YouTube" in body["message"]
    assert [item["state"] for item in body["items"]] == ["running", "succeeded", "canceled"]
    assert [item["publication_state"] for item in body["items"]] == ["canceled", "published", "canceled"]
    assert body["canceled_at"] is not None
    running.refresh_from_db()
    assert running.state == JobState.RUNNING and not running.cancel_requested
    again = alice_api.post(f"/api/v1/series/{data['id']}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "already_canceled"


def test_it_replays_a_create_sent_twice_with_one_idempotency_key(alice_api):
    body = {"title": "S", "items": _items("prahlad")}
    first = _create(alice_api, body, HTTP_IDEMPOTENCY_KEY="series-1")
    second = _create(alice_api, body, HTTP_IDEMPOTENCY_KEY="series-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"] and Series.objects.count() == 1


def test_it_is_in_the_openapi_schema(alice_api):
    schema = alice_api.get("/api/schema/?format=json").json()
    assert {"/api/v1/series", "/api/v1/series/{series_id}", "/api/v1/series/{series_id}/cancel"} <= set(schema["paths"])
    assert schema["paths"]["/api/v1/series"]["post"]["operationId"] == "series_create"


def test_it_says_a_series_bigger_than_the_start_rate_never_fits(alice_api, settings):
    settings.RATE_LIMIT_PER_MIN = 2
    answer = _create(alice_api, {"title": "Big", "items": _items("prahlad", "dhruva", "kaliya")})
    assert answer.status_code == 429 and "make a shorter series" in answer.json()["message"]
    assert not Series.objects.exists()
    # Nothing was counted: a series that fits still starts at once.
    assert _create(alice_api, {"title": "Small", "items": _items("prahlad", "dhruva")}).status_code == 201


def test_it_counts_a_series_against_the_start_rate_only_once_it_is_well_formed(alice_api, settings):
    settings.RATE_LIMIT_PER_MIN = 2
    typo = _create(alice_api, {"title": "Typo", "items": _items("prahlad", "prahlaad")})
    assert typo.status_code == 400 and "items.1.story" in typo.json()["errors"]
    assert _create(alice_api, {"title": "Fixed", "items": _items("prahlad", "dhruva")}).status_code == 201
