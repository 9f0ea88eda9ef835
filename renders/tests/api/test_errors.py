"""bhakti.api.errors and renders.api.errors: bad input is a JSON 4xx with a stable code and a message, never a 500."""

from __future__ import annotations

import json

import pytest

from bhakti.api.errors import flatten_errors

pytestmark = pytest.mark.django_db


def _assert_error(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == "application/json"
    body = answer.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_it_answers_malformed_json_with_parse_error(alice_api):
    answer = alice_api.post("/api/v1/renders", data=b'{"plan": {"title": ', content_type="application/json")
    _assert_error(answer, 400, "parse_error")


@pytest.mark.parametrize("idempotency_key", [None, "big-1"])
def test_it_answers_an_oversized_body_with_413_json(alice_api, settings, idempotency_key):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = b'{"plan": {"title": "' + b"x" * 20_000 + b'"}}'
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    answer = alice_api.post("/api/v1/renders", data=body, content_type="application/json", **headers)
    _assert_error(answer, 413, "request_too_large")


def test_it_answers_a_form_post_with_415(alice_api):
    answer = alice_api.post("/api/v1/renders", data="plan=x", content_type="application/x-www-form-urlencoded")
    _assert_error(answer, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plan": "a story please"}, "plan"),
        ({"plan": ["title", "scenes"]}, "plan"),
        ({"plan": {"title": 7, "scenes": "three"}}, "title"),
        (
            {"plan": {"title": "x", "scenes": [{"image_prompt": "p", "narration": "n", "duration_sec": True}]}},
            "scenes[0].duration_sec",
        ),
    ],
)
def test_it_answers_plans_of_the_wrong_type_per_field(alice_api, body, field):
    answer = alice_api.post("/api/v1/renders", body, format="json")
    assert field in _assert_error(answer, 400, "invalid_plan")["errors"]


def test_it_answers_a_missing_plan_per_field(alice_api):
    answer = alice_api.post("/api/v1/renders", {"webhook_url": "https://93.184.216.34/"}, format="json")
    assert _assert_error(answer, 400, "invalid")["errors"] == {
        "plan": "Send either a plan, a topic or photos (exactly one of them)."
    }


def test_it_answers_a_webhook_url_of_the_wrong_type(alice_api, plan_data):
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data, "webhook_url": 12}, format="json")
    assert "webhook_url" in _assert_error(answer, 400, "invalid")["errors"]


def test_it_answers_a_json_array_body(alice_api):
    answer = alice_api.post("/api/v1/renders", [1, 2, 3], format="json")
    assert "non_field_errors" in _assert_error(answer, 400, "invalid")["errors"]


@pytest.mark.parametrize("page", ["99999999999999999999999", "-1", "1e3", "%00"])
def test_it_answers_huge_or_odd_page_numbers_with_400(alice_api, page):
    _assert_error(alice_api.get(f"/api/v1/renders?page={page}"), 400, "invalid")
    _assert_error(alice_api.get(f"/api/v1/library?page={page}"), 400, "invalid")


@pytest.mark.parametrize("job_id", ["not-a-uuid", "123", "00000000-0000-0000-0000-000000000000", "%E2%98%83"])
def test_it_answers_bad_or_unknown_job_ids_with_404_json(alice_api, job_id):
    _assert_error(alice_api.get(f"/api/v1/renders/{job_id}"), 404, "not_found")
    _assert_error(alice_api.post(f"/api/v1/renders/{job_id}/cancel"), 404, "not_found")
    _assert_error(alice_api.post(f"/api/v1/library/{job_id}/duplicate"), 404, "not_found")


def test_it_answers_a_wrong_method_with_405_json(alice_api):
    _assert_error(alice_api.put("/api/v1/renders", {}, format="json"), 405, "method_not_allowed")


def test_it_flattens_nested_serializer_errors_into_paths():
    detail = {"plan": {"scenes": [{}, {"duration_sec": ["Too long.", "Not a number."]}]}, "page": ["Bad."]}
    assert flatten_errors(detail) == {
        "plan.scenes[1].duration_sec": "Too long. Not a number.",
        "page": "Bad.",
    }


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"[" * 33 + b"]" * 33])
def test_it_answers_deeply_nested_json_with_400(alice_api, body):
    answer = alice_api.post("/api/v1/renders", data=body, content_type="application/json")
    assert "deeper than 32 levels" in _assert_error(answer, 400, "parse_error")["message"]


def test_it_reads_brackets_inside_strings_as_text_not_nesting(alice_api, plan_data):
    plan_data["title"] = "[" * 100
    answer = alice_api.post("/api/v1/renders", {"plan": plan_data}, format="json")
    assert answer.status_code == 201, answer.content


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('"title": "a\\u0000b"', "plan.title"),
        ('"title": "a\\ud800b"', "plan.title"),
        ('"title": "lone low \\udc00"', "plan.title"),
        ('"scenes": [{"narration": "x\\u0000"}]', "plan.scenes[0].narration"),
        ('"ke\\u0000y": 1', "plan.ke\x00y"),
    ],
)
def test_it_answers_nul_or_a_lone_surrogate_with_400_naming_the_field(alice_api, raw, field):
    body = '{"plan": {' + raw + "}}"
    answer = alice_api.post("/api/v1/renders", data=body.encode(), content_type="application/json")
    assert field in _assert_error(answer, 400, "invalid")["errors"]


def test_it_keeps_a_surrogate_pair_written_as_escapes(alice_api, plan_data):
    plan_data["title"] = "Om \U0001f549"
    body = json.dumps({"plan": plan_data}).encode()  # ensure_ascii: the emoji as \ud83d\udd49
    answer = alice_api.post("/api/v1/renders", data=body, content_type="application/json")
    assert answer.status_code == 201, answer.content


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/v1/publish/not-a-uuid", 404, "not_found"),
        ("post", "/api/v1/publish/not-a-uuid/cancel", 404, "not_found"),
        ("get", "/api/v1/nothing-here", 404, "not_found"),
        ("get", "/api/", 404, "not_found"),
    ],
)
def test_it_answers_every_api_error_as_json_even_before_drf(alice_api, method, path, status, code):
    _assert_error(getattr(alice_api, method)(path), status, code)


def test_it_answers_an_api_crash_as_json_500(alice_api, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("renders.api.views.job_stats", crash)
    alice_api.raise_request_exception = False
    body = _assert_error(alice_api.get("/api/v1/renders/stats"), 500, "server_error")
    assert "boom" not in body["message"]


def test_it_leaves_the_web_pages_404_as_html(client):
    answer = client.get("/no-such-page")
    assert answer.status_code == 404 and answer["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/scripts/draft", {"story": 0}, "story"),
        ("/api/v1/scripts/draft", {"story": "Once.", "scene_count": "5"}, "scene_count"),
        ("/api/v1/scripts/draft", {"story": "Once.", "translate": "yes"}, "translate"),
        ("/api/v1/scripts/draft", {"story": "Once.", "pictures": [7]}, "pictures"),
        ("/api/v1/templates/prahlad/plan", {"length_sec": "60"}, "length_sec"),
    ],
)
def test_it_takes_json_values_only_in_the_type_the_schema_promises(alice_api, path, body, field):
    # DRF would read 0 as "0" and "5" as 5; the published schema says both are invalid.
    answer = alice_api.post(path, body, format="json")
    assert field in _assert_error(answer, 400, "invalid")["errors"]
