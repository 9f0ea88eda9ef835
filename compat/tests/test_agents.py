"""The agents' REST shortcut as SEED-API.md writes it: POST /mcp/generate → the topic path."""

from __future__ import annotations

import json

import pytest

from renders.models import RenderJob

pytestmark = pytest.mark.django_db

WRITTEN = {
    "title": "A sunset",
    "scenes": [
        {"image_prompt": "the sun setting over the Ganga", "narration": "The sun sets over the river."},
        {"image_prompt": "lamps floating at dusk", "narration": "Lamps float on the water."},
    ],
}


def test_it_has_the_chat_model_write_the_prompt_and_queues_the_job(openai_settings, openai_standin, alice_api):
    openai_standin.chat_replies.extend(
        [json.dumps(WRITTEN), json.dumps({"translations": ["सूरज नदी पर ढलता है।", "दीये जल पर तैरते हैं।"]})]
    )
    answer = alice_api.post("/mcp/generate", {"prompt": "A sunset", "duration_target": 30}, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (
        body["job_id"] and body["status"] == "pending" and body["status_url"].endswith(f"/api/status/{body['job_id']}")
    )
    job = RenderJob.objects.get(pk=body["job_id"])
    assert job.title == "A sunset" and len(job.plan["scenes"]) == 2
    assert "exactly 5 scenes" in json.loads(openai_standin.calls("/chat/completions")[0].body)["messages"][0]["content"]
    polled = alice_api.get(body["status_url"])
    assert polled.status_code == 200 and polled.json()["state"] == "pending"


def test_it_tells_a_library_story_offline(no_openai, alice_api):
    answer = alice_api.post("/mcp/generate", {"prompt": "Prahlad", "duration_target": 30}, format="json")
    assert answer.status_code == 201, answer.json()
    assert RenderJob.objects.get(pk=answer.json()["job_id"]).plan["scenes"]


def test_it_refuses_a_prompt_nothing_can_be_written_for_offline(no_openai, alice_api):
    answer = alice_api.post("/mcp/generate", {"prompt": "A sunset", "duration_target": 30}, format="json")
    assert answer.status_code == 422 and answer.json()["code"] == "topic_not_found"
    assert answer.json()["closest"] and not RenderJob.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"duration_target": 30}, "prompt"), ({"prompt": "x", "duration_target": 5}, "duration_target"),
     ({"prompt": "x", "duration_target": "30"}, "duration_target")],
)  # fmt: skip
def test_it_names_the_bad_field(no_openai, alice_api, body, field):
    answer = alice_api.post("/mcp/generate", body, format="json")
    assert answer.status_code == 400 and field in answer.json()["errors"]
