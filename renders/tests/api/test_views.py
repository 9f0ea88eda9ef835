"""renders.api.views: create, list, status, cancel, retry, stats and files, with access rules and quotas."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import ensure_profile
from conftest import tiny_plan_data
from renders.models import AssetKind, JobAsset, JobState, RenderJob
from renders.queue_estimate import forget_snapshot
from renders.tests.api.conftest import make_job

pytestmark = pytest.mark.django_db


def _scene(duration: float = 1.5) -> dict:
    return {"image_prompt": "a lamp in a temple", "narration": "A lamp burned.", "duration_sec": duration}


def _add_asset(
    job: RenderJob, kind: str, name: str, content: bytes, *, language: str = "", scene_index: int = 0
) -> JobAsset:
    asset = JobAsset(job=job, kind=kind, language=language, scene_index=scene_index, size_bytes=len(content))
    asset.file.save(name, ContentFile(content), save=False)
    asset.save()
    return asset


# --- POST /renders ------------------------------------------------------------------------------


def test_it_creates_a_job_and_enqueues_it(alice, alice_api, plan_data, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    job = RenderJob.objects.get(pk=body["job_id"])
    assert job.owner == alice and job.state == JobState.QUEUED
    assert body["state"] == "queued"
    assert body["cost_estimate"] == "0.0000"
    assert body["estimated_wait_seconds"] == 0  # nothing queued ahead, nothing running
    assert answer["Location"] == body["url"] == f"http://testserver/api/v1/renders/{job.pk}"
    assert enqueued == [str(job.pk)]


# A minute of 1080p final: 72 s of render at the reference rate (renders/eta.py) until this server has learned its own.
MINUTE_FINAL = {
    "mode": "final",
    "resolution": "1080p",
    "scenes": [{"image_prompt": "a river at dawn", "narration": "Prahlad prayed.", "duration_sec": 15}] * 4,
}


def test_it_estimates_the_wait_from_the_work_queued_ahead_and_running(alice, bob, alice_api, plan_data, settings):
    settings.RENDER_WORKERS = 2
    make_job(bob, **MINUTE_FINAL)
    make_job(bob, **MINUTE_FINAL)
    make_job(bob)  # a 3 s preview: 0.66 s of render
    running = make_job(alice, **MINUTE_FINAL)
    RenderJob.objects.filter(pk=running.pk).update(
        state=JobState.RUNNING, started_at=timezone.now() - timezone.timedelta(seconds=12)
    )
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    # (72 + 72 + 0.66 queued ahead + 72 - 12 left of the running one) ÷ 2 workers = 102.3 s, in steps of 15 s
    assert answer.json()["estimated_wait_seconds"] == 105


def test_a_preview_does_not_wait_behind_a_preview_as_long_as_behind_a_final(alice, bob, alice_api, plan_data, settings):
    settings.RENDER_WORKERS = 1
    make_job(bob)  # a 3 s preview ahead
    behind_preview = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json").json()
    RenderJob.objects.all().delete()
    forget_snapshot()
    make_job(bob, **MINUTE_FINAL)
    behind_final = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json").json()
    # 0.66 s and 72 s, as a person reads them (queue_estimate.coarse_seconds)
    assert (behind_preview["estimated_wait_seconds"], behind_final["estimated_wait_seconds"]) == (5, 75)


def test_it_learns_the_render_rate_from_finished_jobs(alice, alice_api, plan_data, settings):
    settings.RENDER_WORKERS = 1
    done = make_job(alice)
    now = timezone.now()
    RenderJob.objects.filter(pk=done.pk).update(
        state=JobState.SUCCEEDED, started_at=now - timezone.timedelta(seconds=40), finished_at=now, duration_sec=3
    )
    make_job(alice)  # one 3 s preview queued ahead: 40 s of render for 3 s of video on this server
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.json()["estimated_wait_seconds"] == 40


def test_it_records_the_cost_estimate_on_the_job(alice_api, plan_data, settings):
    settings.IMAGE_PROVIDERS, settings.OPENAI_API_KEY = ["openai", "local"], "sk-test"
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.json()["cost_estimate"] == "0.0800"
    assert RenderJob.objects.get(pk=answer.json()["job_id"]).cost_estimate == Decimal("0.0800")


def test_it_accepts_a_bare_plan_on_the_old_render_path(alice_api, plan_data):
    answer = alice_api.post("/api/v1/render", {**plan_data, "webhook_url": "http://93.184.216.34/hook"}, format="json")
    assert answer.status_code == 201, answer.json()
    job = RenderJob.objects.get(pk=answer.json()["job_id"])
    assert job.webhook_url == "http://93.184.216.34/hook"
    assert "webhook_url" not in job.plan


def test_it_stores_a_public_webhook_url(alice_api, plan_data):
    answer = alice_api.post(
        "/api/v1/renders", {"plan": plan_data, "webhook_url": "https://93.184.216.34/bhakti"}, format="json"
    )
    assert answer.status_code == 201
    assert RenderJob.objects.get().webhook_url == "https://93.184.216.34/bhakti"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "ftp://93.184.216.34/hook",
    ],
)
def test_it_refuses_webhooks_to_private_addresses(alice_api, plan_data, url):
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data, "webhook_url": url}, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] in ("webhook_url_not_allowed", "invalid")
    assert "webhook_url" in answer.json()["errors"]
    assert RenderJob.objects.count() == 0


def test_it_names_private_webhook_refusals(alice_api, plan_data):
    answer = alice_api.post(
        "/api/v1/renders", {"plan": plan_data, "webhook_url": "http://169.254.169.254/x"}, format="json"
    )
    assert answer.json()["code"] == "webhook_url_not_allowed"
    assert "private, loopback or link-local" in answer.json()["message"]


def test_it_allows_private_webhooks_when_configured(alice_api, plan_data, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    answer = alice_api.post(
        "/api/v1/renders", {"plan": plan_data, "webhook_url": "http://127.0.0.1:9/hook"}, format="json"
    )
    assert answer.status_code == 201


def test_it_lists_every_plan_problem_by_field(alice_api, plan_data):
    plan_data["language"] = "fr"
    plan_data["scenes"][1]["duration_sec"] = "long"
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid_plan"
    assert set(body["errors"]) == {"language", "scenes[1].duration_sec"}
    assert "limit" not in body
    assert "language" in body["message"]


def test_it_takes_stock_footage_per_scene_and_refuses_a_non_boolean(alice_api, plan_data):
    plan_data["scenes"][0]["stock_footage"] = True
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 201, answer.json()
    assert RenderJob.objects.get(pk=answer.json()["job_id"]).plan["scenes"][0]["stock_footage"] is True
    plan_data["scenes"][0]["stock_footage"] = "yes"
    refused = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"scenes[0].stock_footage"}


# --- quotas and limits: 400 naming the limit ------------------------------------------------


def test_it_refuses_too_many_scenes_naming_max_scenes(alice_api, settings):
    settings.MAX_SCENES = 3
    answer = alice_api.post("/api/v1/renders", {"plan": tiny_plan_data(scenes=[_scene()] * 4)}, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "plan_limit_exceeded"
    assert answer.json()["limit"] == "MAX_SCENES"
    assert "scenes" in answer.json()["errors"]


@pytest.mark.parametrize(
    ("language", "sentence"),
    [("en", "Prahlad prayed by the river every morning. "), ("hi", "प्रह्लाद हर सुबह नदी के किनारे प्रार्थना करता था। ")],
)
def test_it_refuses_a_one_second_scene_with_a_long_narration_naming_it(alice_api, language, sentence):
    # 20 scenes of 1 s each with 1,200 characters of narration: about half an hour once spoken.
    scene = {**_scene(1), "narration": (sentence * 40)[:1200]}
    plan = tiny_plan_data(language=language, scenes=[scene] * 20)
    answer = alice_api.post("/api/v1/renders", {"plan": plan}, format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "plan_limit_exceeded" and body["limit"] == "MAX_SCENE_DURATION_SEC"
    assert {f"scenes[{index}].narration" for index in range(20)} <= set(body["errors"])
    assert not RenderJob.objects.exists()


def test_it_refuses_a_long_scene_naming_max_scene_duration(alice_api, settings):
    settings.MAX_SCENE_DURATION_SEC = 5
    answer = alice_api.post("/api/v1/renders", {"plan": tiny_plan_data(scenes=[_scene(6)])}, format="json")
    assert answer.status_code == 400
    assert answer.json()["limit"] == "MAX_SCENE_DURATION_SEC"
    assert "scenes[0].duration_sec" in answer.json()["errors"]


def test_it_refuses_a_long_video_naming_max_total_duration(alice_api, settings):
    settings.MAX_TOTAL_DURATION_SEC = 10
    answer = alice_api.post("/api/v1/renders", {"plan": tiny_plan_data(scenes=[_scene(4)] * 3)}, format="json")
    assert answer.status_code == 400
    assert answer.json()["limit"] == "MAX_TOTAL_DURATION_SEC"


def test_it_refuses_a_plan_over_the_cost_limit(alice_api, plan_data, settings):
    settings.IMAGE_PROVIDERS, settings.OPENAI_API_KEY = ["openai", "local"], "sk-test"
    settings.MAX_JOB_COST = 0.05  # two painted scenes at 0.04 each
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "cost_limit_exceeded"
    assert answer.json()["limit"] == "MAX_JOB_COST"
    assert "$0.0800" in answer.json()["message"]
    assert RenderJob.objects.count() == 0


def test_it_refuses_jobs_over_the_daily_quota(alice, alice_api, plan_data):
    profile = ensure_profile(alice)
    profile.jobs_per_day = 1
    profile.save(update_fields=["jobs_per_day"])
    assert alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json").status_code == 201
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 400
    assert answer.json() | {"message": ""} == {"code": "daily_quota_exceeded", "limit": "JOBS_PER_DAY", "message": ""}


# --- GET /renders/{id} ----------------------------------------------------------------------------


def test_it_shows_a_finished_job_with_absolute_asset_urls(alice_api, alice_job):
    video = _add_asset(alice_job, AssetKind.VIDEO, "video.mp4", b"mp4-bytes")
    _add_asset(alice_job, AssetKind.THUMBNAIL, "thumb.jpg", b"jpg")
    _add_asset(alice_job, AssetKind.SUBTITLES_VTT, "hi.vtt", b"WEBVTT\n", language="hi")
    RenderJob.objects.filter(pk=alice_job.pk).update(
        state=JobState.SUCCEEDED, progress_pct=100, step="store", encoder="libx264", timings={"compose": 1.25}
    )
    body = alice_api.get(f"/api/v1/renders/{alice_job.pk}").json()
    assert body["state"] == "succeeded" and body["is_final"] is True and body["progress_pct"] == 100
    assert body["final_video_url"] == f"http://testserver/api/v1/renders/{alice_job.pk}/assets/{video.pk}"
    assert body["thumbnail_url"].startswith("http://testserver/api/v1/renders/")
    assert body["subtitles"] == [{"language": "hi", "format": "vtt", "url": body["subtitles"][0]["url"]}]
    assert {asset["kind"] for asset in body["assets"]} == {"video", "thumbnail", "vtt"}
    assert body["youtube_url"] is None
    assert body["encoder"] == "libx264" and body["timings"] == {"compose": 1.25}
    assert body["estimated_wait_seconds"] is None
    assert body["logs"][0]["message"].startswith("Job created")
    assert alice_api.get(body["final_video_url"]).getvalue() == b"mp4-bytes"


def test_it_serves_files_whatever_the_client_accepts(alice_api, alice_job):
    asset = _add_asset(alice_job, AssetKind.SUBTITLES_VTT, "en.vtt", b"WEBVTT\n", language="en")
    answer = alice_api.get(f"/api/v1/renders/{alice_job.pk}/assets/{asset.pk}", HTTP_ACCEPT="text/vtt")
    assert answer.status_code == 200
    assert answer.getvalue() == b"WEBVTT\n"
    missing = alice_api.get(f"/api/v1/renders/{alice_job.pk}/assets/999999", HTTP_ACCEPT="video/mp4")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_it_answers_a_range_past_the_end_of_a_file_with_416_json(alice_api, alice_job):
    asset = _add_asset(alice_job, AssetKind.SUBTITLES_VTT, "en.vtt", b"WEBVTT\n", language="en")
    answer = alice_api.get(f"/api/v1/renders/{alice_job.pk}/assets/{asset.pk}", HTTP_RANGE="bytes=100-")
    assert answer.status_code == 416
    assert answer["Content-Range"] == "bytes */7"
    assert answer.json()["code"] == "range_not_satisfiable"


def test_it_answers_the_old_status_path_too(alice_api, alice_job):
    answer = alice_api.get(f"/api/v1/render/{alice_job.pk}/status")
    assert answer.status_code == 200
    assert answer.json()["id"] == str(alice_job.pk)


def test_it_polls_in_a_fixed_number_of_queries(alice_api, alice_job):
    for index in range(3):
        _add_asset(alice_job, AssetKind.SCENE_IMAGE, f"scene{index}.png", b"png", scene_index=index)
    alice_api.get(f"/api/v1/renders/{alice_job.pk}")  # warm up: the key is read and cached, the queue snapshot taken
    with CaptureQueriesContext(connection) as queries:
        answer = alice_api.get(f"/api/v1/renders/{alice_job.pk}")
    assert answer.status_code == 200
    # job, assets, events; the key with its user and profile and the queue estimate's snapshot come
    # from the cache; a queued job has no publication to look up.
    assert len(queries) == 3, [query["sql"] for query in queries]


def test_it_lists_in_a_fixed_number_of_queries(alice, alice_api):
    for index in range(5):
        make_job(alice, title=f"Story {index}")
    alice_api.get("/api/v1/renders")
    with CaptureQueriesContext(connection) as queries:
        assert len(alice_api.get("/api/v1/renders").json()["results"]) == 5
    assert len(queries) == 2  # count, page (the key with its user and profile is cached)


# --- visibility -------------------------------------------------------------------------------------


def test_it_lists_only_the_callers_jobs(alice_api, alice_job, bob_job):
    body = alice_api.get("/api/v1/renders").json()
    assert [item["id"] for item in body["results"]] == [str(alice_job.pk)]
    assert body["count"] == 1


def test_it_shows_an_admin_every_job(ada_api, alice_job, bob_job):
    body = ada_api.get("/api/v1/renders").json()
    assert {item["id"] for item in body["results"]} == {str(alice_job.pk), str(bob_job.pk)}
    assert ada_api.get(f"/api/v1/renders/{bob_job.pk}").status_code == 200
    assert ada_api.get("/api/v1/renders/stats").json()["total"] == 2


def test_it_shows_an_outsider_nothing(charlie_api, alice_job):
    assert charlie_api.get("/api/v1/renders").json()["count"] == 0
    assert charlie_api.get("/api/v1/renders/stats").json()["total"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/renders/{id}"),
        ("get", "/api/v1/render/{id}/status"),
        ("post", "/api/v1/renders/{id}/cancel"),
        ("delete", "/api/v1/render/{id}/cancel"),
        ("post", "/api/v1/renders/{id}/retry"),
        ("get", "/api/v1/renders/{id}/assets/{asset}"),
        ("post", "/api/v1/library/{id}/duplicate"),
    ],
)
def test_it_hides_someone_elses_job_on_every_endpoint(alice_api, bob_job, method, path):
    asset = _add_asset(bob_job, AssetKind.VIDEO, "video.mp4", b"bob's")
    RenderJob.objects.filter(pk=bob_job.pk).update(state=JobState.FAILED)
    answer = getattr(alice_api, method)(path.format(id=bob_job.pk, asset=asset.pk), format="json")
    assert answer.status_code == 404
    assert answer.json() == {"code": "not_found", "message": "No such job"}
    assert RenderJob.objects.get(pk=bob_job.pk).state == JobState.FAILED


# --- GET /renders: pages and filters --------------------------------------------------------------


def test_it_pages_through_jobs(alice, alice_api):
    for index in range(5):
        make_job(alice, title=f"Story {index}")
    first = alice_api.get("/api/v1/renders?page_size=2").json()
    assert first["count"] == 5 and first["page"] == 1 and first["previous"] is None
    assert [item["title"] for item in first["results"]] == ["Story 4", "Story 3"]
    third = alice_api.get(first["next"].replace("page=2", "page=3")).json()
    assert [item["title"] for item in third["results"]] == ["Story 0"]
    assert third["next"] is None and third["previous"].endswith("page=2&page_size=2")


def test_it_answers_a_page_past_the_end_with_no_results(alice_api, alice_job):
    body = alice_api.get("/api/v1/renders?page=500").json()
    assert body["count"] == 1 and body["results"] == [] and body["next"] is None
    assert "page=1" in body["previous"]


def test_it_filters_by_state_and_language(alice, alice_api):
    english = make_job(alice)
    hindi = make_job(alice, language="hi")
    RenderJob.objects.filter(pk=hindi.pk).update(state=JobState.FAILED)
    assert [item["id"] for item in alice_api.get("/api/v1/renders?language=hi").json()["results"]] == [str(hindi.pk)]
    assert [item["id"] for item in alice_api.get("/api/v1/renders?state=queued").json()["results"]] == [str(english.pk)]
    assert alice_api.get("/api/v1/renders?state=failed&language=en").json()["count"] == 0


@pytest.mark.parametrize("query", ["state=exploded", "language=fr", "page=0", "page_size=1000", "page=abc"])
def test_it_refuses_bad_list_parameters_with_400(alice_api, query):
    answer = alice_api.get(f"/api/v1/renders?{query}")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert query.split("=")[0] in answer.json()["errors"]


# --- cancel, retry, stats -------------------------------------------------------------------------


def test_it_cancels_a_queued_job(alice_api, alice_job):
    answer = alice_api.post(f"/api/v1/renders/{alice_job.pk}/cancel")
    assert answer.status_code == 200
    assert answer.json()["state"] == "canceled" and answer.json()["is_final"] is True
    again = alice_api.post(f"/api/v1/renders/{alice_job.pk}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "not_cancelable"


def test_it_cancels_through_the_old_delete_path(alice_api, alice_job):
    answer = alice_api.delete(f"/api/v1/render/{alice_job.pk}/cancel")
    assert answer.status_code == 200
    assert RenderJob.objects.get(pk=alice_job.pk).state == JobState.CANCELED


def test_it_asks_a_running_job_to_stop(alice_api, alice_job):
    RenderJob.objects.filter(pk=alice_job.pk).update(state=JobState.RUNNING)
    answer = alice_api.post(f"/api/v1/renders/{alice_job.pk}/cancel")
    assert answer.status_code == 200 and answer.json()["state"] == "running"
    assert RenderJob.objects.get(pk=alice_job.pk).cancel_requested is True


def test_it_retries_a_failed_job(alice_api, alice_job, enqueued, django_capture_on_commit_callbacks):
    RenderJob.objects.filter(pk=alice_job.pk).update(state=JobState.FAILED, error="ffmpeg died")
    with django_capture_on_commit_callbacks(execute=True):
        answer = alice_api.post(f"/api/v1/renders/{alice_job.pk}/retry")
    assert answer.status_code == 202
    assert answer.json()["state"] == "queued" and answer.json()["error"] == ""
    assert enqueued == [str(alice_job.pk)]


def test_it_refuses_to_retry_a_queued_job(alice_api, alice_job):
    answer = alice_api.post(f"/api/v1/renders/{alice_job.pk}/retry")
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_retryable"


def test_it_counts_jobs_by_state(alice, alice_api):
    make_job(alice)
    failed = make_job(alice)
    RenderJob.objects.filter(pk=failed.pk).update(state=JobState.FAILED)
    body = alice_api.get("/api/v1/renders/stats").json()
    assert body == {
        "counts": {"queued": 1, "running": 0, "succeeded": 0, "failed": 1, "canceled": 0},
        "total": 2,
    }


def test_it_takes_the_caption_style_and_refuses_an_unknown_one(alice_api, plan_data):
    plan_data.update(aspect="9:16")
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 201, answer.json()
    assert RenderJob.objects.get(pk=answer.json()["job_id"]).plan["captions"] == "words"  # the 9:16 default
    plan_data.update(captions="karaoke", subtitles_on_screen="roman", language="en")
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"captions", "subtitles_on_screen"}
