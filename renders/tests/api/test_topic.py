"""POST /api/v1/renders with a topic: the script is written (library no_openai, OpenAI stand-in), then it renders."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from accounts.services import ensure_profile
from library.stories import get_template
from renders.models import IdempotencyRecord, RenderJob, WebhookDelivery

pytestmark = pytest.mark.django_db

PRAHLAD_TITLES = {get_template("prahlad").title_en, get_template("prahlad").title_hi}
WRITTEN = {
    "title": "Meera's devotion",
    "scenes": [
        {"image_prompt": "a princess singing to Krishna", "narration": "Meera sang for Krishna.", "duration_sec": 6},
        {"image_prompt": "a cup of poison turning to nectar", "narration": "The poison became nectar.",
         "duration_sec": 6},
    ],
}  # fmt: skip


def _post(client, body: dict, **headers: str):
    return client.post("/api/v1/renders", body, format="json", **headers)


@pytest.mark.parametrize(
    ("topic", "language"), [("Prahlad's devotion", "en"), ("प्रह्लाद की भक्ति", "hi"), ("Narasimha", "hi")]
)
def test_it_tells_the_matching_library_story_at_the_requested_length_offline(
    no_openai, alice_api, enqueued, topic, language, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(alice_api, {"topic": topic, "language": language, "duration_target": 60, "mode": "proxy",
                                   "aspect": "9:16", "music": "bells"})  # fmt: skip
    assert answer.status_code == 201, answer.json()
    job = RenderJob.objects.get(pk=answer.json()["job_id"])
    assert enqueued == [str(job.pk)]
    assert job.title in PRAHLAD_TITLES and job.language == language and job.plan["language"] == language
    assert (job.plan["mode"], job.plan["aspect"], job.plan["music"]) == ("proxy", "9:16", "bells")
    assert sum(scene["duration_sec"] for scene in job.plan["scenes"]) == pytest.approx(60, abs=0.5)
    assert "script" in job.timings and job.cost_actual == 0
    # Queued at its first step, done: the status the API and the first webhook show.
    assert (job.step, job.progress_pct) == ("script", 5)
    status = alice_api.get(answer.json()["url"]).json()
    assert (status["step"], status["progress_pct"], status["logs"][0]["step"]) == ("script", 5, "script")
    event = job.events.get(step="script")
    assert "library story" in event.message and "(prahlad)" in event.message


def test_it_refuses_a_topic_nothing_matches_offline_and_lists_the_closest_stories(
    no_openai, alice_api, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(alice_api, {"topic": "Quantum computing for beginners", "duration_target": 60})
    body = answer.json()
    assert answer.status_code == 422 and body["code"] == "topic_not_found"
    assert "topic" in body["errors"] and "OPENAI_API_KEY" in body["message"]
    assert len(body["closest"]) == 3
    for story in body["closest"]:
        assert get_template(story["id"]).title_en == story["title"] and story["title"] in body["message"]
    assert not RenderJob.objects.exists() and enqueued == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"topic": "Prahlad", "plan": {"title": "x", "scenes": []}}, "topic"),
        ({"webhook_url": "https://example.com/hook"}, "plan"),
        ({"topic": "Prahlad", "duration_target": 10}, "duration_target"),
        ({"topic": "Prahlad", "duration_target": 601}, "duration_target"),
        ({"topic": "Prahlad", "language": "fr"}, "language"),
        ({"topic": "Prahlad", "resolution": "8k"}, "resolution"),
        ({"plan": {"title": "x", "scenes": []}, "duration_target": 60}, "duration_target"),
    ],
)
def test_it_names_the_field_when_plan_and_topic_are_mixed_or_out_of_range(no_openai, alice_api, body, field):
    answer = _post(alice_api, body)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid"
    assert field in answer.json()["errors"]
    assert not RenderJob.objects.exists()


def test_it_holds_the_target_to_the_servers_total_length_limit(no_openai, alice_api, settings):
    settings.MAX_TOTAL_DURATION_SEC = 120
    answer = _post(alice_api, {"topic": "Prahlad", "duration_target": 180})
    assert answer.status_code == 400 and "120" in answer.json()["errors"]["duration_target"]


def test_it_lets_the_chat_model_write_the_scenes_and_counts_its_cost(
    openai_settings, openai_standin, alice_api, enqueued
):
    openai_standin.chat_replies.extend(
        [json.dumps(WRITTEN), json.dumps({"translations": ["मीरा ने कृष्ण के लिए गाया।", "विष अमृत बन गया।"]})]
    )
    answer = _post(alice_api, {"topic": "Meera's devotion", "duration_target": 30, "style": "miniature"})
    assert answer.status_code == 201, answer.json()
    job = RenderJob.objects.get(pk=answer.json()["job_id"])
    assert job.title == "Meera's devotion" and job.plan["style"] == "miniature"
    assert [scene["narration_alt"] for scene in job.plan["scenes"]] == ["मीरा ने कृष्ण के लिए गाया।", "विष अमृत बन गया।"]
    # 30 s in scenes of about 6 s: the model is asked for 5 (it wrote 2); each asks for its share.
    draft_request = json.loads(openai_standin.calls("/chat/completions")[0].body)
    assert "exactly 5 scenes" in draft_request["messages"][0]["content"]
    assert all(scene["duration_sec"] == 6 for scene in job.plan["scenes"])
    assert job.cost_actual > 0 and job.cost_estimate >= job.cost_actual
    assert "chat model" in job.events.get(step="script").message


def test_it_tells_the_library_story_when_the_chat_model_fails(openai_settings, openai_standin, alice_api):
    openai_standin.fail("/chat/completions", 500, times=10)
    answer = _post(alice_api, {"topic": "Prahlad", "duration_target": 60})
    assert answer.status_code == 201, answer.json()
    job = RenderJob.objects.get(pk=answer.json()["job_id"])
    assert job.title in PRAHLAD_TITLES and job.cost_actual == 0
    assert "script service failed" in job.events.get(step="script").message


def test_it_refuses_cleanly_when_the_chat_model_fails_and_no_story_matches(
    openai_settings, openai_standin, alice_api, enqueued
):
    openai_standin.fail("/chat/completions", 500, times=10)
    answer = _post(alice_api, {"topic": "Quantum computing", "duration_target": 60})
    assert answer.status_code == 502 and answer.json()["code"] == "script_failed"
    assert "HTTP 500" in answer.json()["message"]
    assert not RenderJob.objects.exists() and enqueued == []


def test_it_refuses_over_the_cost_limit_before_calling_the_chat_model(
    openai_settings, openai_standin, alice_api, alice
):
    profile = ensure_profile(alice)
    profile.max_job_cost = Decimal("0.0001")
    profile.save(update_fields=["max_job_cost"])
    answer = _post(alice_api, {"topic": "Meera", "duration_target": 600})
    assert answer.status_code == 400 and answer.json()["code"] == "cost_limit_exceeded"
    assert openai_standin.calls("/chat/completions") == [] and not RenderJob.objects.exists()


def test_it_replays_an_idempotent_topic_request_without_writing_the_script_again(
    openai_settings, openai_standin, alice_api
):
    body = {"topic": "Meera's devotion", "duration_target": 30}
    first = _post(alice_api, body, HTTP_IDEMPOTENCY_KEY="topic-1")
    calls = len(openai_standin.calls("/chat/completions"))
    second = _post(alice_api, body, HTTP_IDEMPOTENCY_KEY="topic-1")
    assert first.status_code == second.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert second.json()["job_id"] == first.json()["job_id"] and RenderJob.objects.count() == 1
    assert len(openai_standin.calls("/chat/completions")) == calls >= 1
    assert IdempotencyRecord.objects.get(key="topic-1").state == IdempotencyRecord.State.DONE


def test_a_topic_start_counts_against_the_render_rate(no_openai, alice_api, settings):
    settings.RATE_LIMIT_PER_MIN = 1
    assert _post(alice_api, {"topic": "Prahlad"}).status_code == 201
    refused = _post(alice_api, {"topic": "Dhruva"})
    assert refused.status_code == 429 and RenderJob.objects.count() == 1


def test_its_first_webhook_shows_the_script_step(no_openai, alice_api, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("renders.webhooks._queue_now", lambda delivery: None)
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(alice_api, {"topic": "Dhruva", "webhook_url": "https://93.184.216.34/bhakti"})
    assert answer.status_code == 201, answer.json()
    sent = json.loads(WebhookDelivery.objects.get(job_id=answer.json()["job_id"]).body)
    assert (sent["state"], sent["step"], sent["progress_pct"]) == ("queued", "script", 5)


def test_its_written_plan_duplicates_and_renders_again_like_any_plan(no_openai, alice_api):
    first = _post(alice_api, {"topic": "Sudama", "language": "hi", "duration_target": 45})
    job = RenderJob.objects.get(pk=first.json()["job_id"])
    plan = alice_api.post(f"/api/v1/library/{job.pk}/duplicate").json()["plan"]
    assert plan == job.plan and plan["language"] == "hi"
    again = _post(alice_api, {"plan": plan})
    assert again.status_code == 201 and RenderJob.objects.get(pk=again.json()["job_id"]).plan == job.plan
