"""library.api.views: story templates, template → plan, the video library and duplicate-as-plan."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from renders.models import AssetKind, JobAsset, JobState, RenderJob
from renders.pipeline.plan import parse_plan
from renders.services import plan_limits
from renders.tests.api.conftest import make_job

pytestmark = pytest.mark.django_db


def test_it_lists_the_story_templates(alice_api):
    body = alice_api.get("/api/v1/templates").json()
    ids = [template["id"] for template in body["results"]]
    assert body["count"] == len(ids) >= 5
    assert {"prahlad", "ganga-avatar"} <= set(ids)
    prahlad = next(template for template in body["results"] if template["id"] == "prahlad")
    assert prahlad["title_hi"] and prahlad["scene_count"] >= 6 and prahlad["duration_sec"] > 0
    assert "Narasimha" in prahlad["aliases_en"] and "प्रह्लाद" in prahlad["aliases_hi"]


def test_it_turns_a_template_into_a_plan_ready_to_submit(alice_api):
    answer = alice_api.post(
        "/api/v1/templates/prahlad/plan", {"language": "hi", "length_sec": 30, "voice": "male"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    plan = answer.json()["plan"]
    assert plan["language"] == "hi" and plan["voice"] == "male"
    assert abs(sum(scene["duration_sec"] for scene in plan["scenes"]) - 30) <= 0.5
    assert all(scene["narration_alt"] for scene in plan["scenes"])  # English alongside for subtitles
    parse_plan(plan, plan_limits())
    created = alice_api.post("/api/v1/renders", {"plan": plan}, format="json")
    assert created.status_code == 201


def test_it_uses_the_templates_own_pacing_without_a_length(alice_api):
    answer = alice_api.post("/api/v1/templates/prahlad/plan", {}, format="json")
    assert answer.status_code == 200
    assert answer.json()["plan"]["language"] == "en"


def test_it_answers_an_unknown_template_with_404_json(alice_api):
    answer = alice_api.post("/api/v1/templates/ramayana-in-space/plan", {"language": "en"}, format="json")
    assert answer.status_code == 404
    assert answer.json()["code"] == "unknown_template"
    assert "prahlad" in answer.json()["message"]


@pytest.mark.parametrize(
    ("options", "field"),
    [({"language": "fr"}, "language"), ({"length_sec": -5}, "length_sec"), ({"length_sec": "long"}, "length_sec")],
)
def test_it_refuses_bad_template_options_per_field(alice_api, options, field):
    answer = alice_api.post("/api/v1/templates/prahlad/plan", options, format="json")
    assert answer.status_code == 400
    assert field in answer.json()["errors"]


def test_it_refuses_a_length_too_short_for_one_spoken_line_naming_the_field(alice_api):
    answer = alice_api.post("/api/v1/templates/prahlad/plan", {"length_sec": 2, "language": "hi"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert "too short to tell this story" in answer.json()["errors"]["length_sec"]


def test_it_refuses_a_length_over_the_total_limit(alice_api, settings):
    settings.MAX_TOTAL_DURATION_SEC = 20
    answer = alice_api.post("/api/v1/templates/prahlad/plan", {"length_sec": 300}, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"


def test_it_lists_the_library_with_thumbnails(alice, alice_api, bob_job):
    finished = make_job(alice, title="Ganga")
    RenderJob.objects.filter(pk=finished.pk).update(state=JobState.SUCCEEDED, duration_sec=12.5)
    thumbnail = JobAsset(job=finished, kind=AssetKind.THUMBNAIL, size_bytes=3)
    thumbnail.file.save("thumb.jpg", ContentFile(b"jpg"))
    make_job(alice, title="Draft", language="hi")
    body = alice_api.get("/api/v1/library?state=succeeded").json()
    assert body["count"] == 1
    (item,) = body["results"]
    assert item["title"] == "Ganga" and item["duration_sec"] == 12.5 and item["scene_count"] == 2
    assert item["thumbnail_url"].endswith(f"/assets/{thumbnail.pk}") and item["final_video_url"] is None
    assert [item["title"] for item in alice_api.get("/api/v1/library?language=hi").json()["results"]] == ["Draft"]


def test_it_lists_the_library_in_a_fixed_number_of_queries(alice, alice_api, django_assert_max_num_queries):
    for index in range(4):
        make_job(alice, title=f"Story {index}")
    alice_api.get("/api/v1/library")
    with django_assert_max_num_queries(4):  # key with user and profile, count, page, assets of the page
        assert alice_api.get("/api/v1/library").json()["count"] == 4


def test_it_duplicates_a_job_as_its_plan(alice_api, alice_job):
    answer = alice_api.post(f"/api/v1/library/{alice_job.pk}/duplicate")
    assert answer.status_code == 200
    assert answer.json()["source_job_id"] == str(alice_job.pk)
    assert answer.json()["plan"]["scenes"] == alice_job.plan["scenes"]
    assert RenderJob.objects.count() == 1  # nothing is created until the plan is submitted
    assert alice_api.post("/api/v1/renders", {"plan": answer.json()["plan"]}, format="json").status_code == 201


def test_it_lets_an_admin_duplicate_anyones_job(ada_api, bob_job):
    assert ada_api.post(f"/api/v1/library/{bob_job.pk}/duplicate").json()["plan"]["title"] == "Dhruva"
