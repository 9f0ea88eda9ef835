"""The OpenAPI schema, its docs, and schemathesis driving every API operation in-process (WSGI).

Schemathesis generates requests from /api/schema/ for every operation under /api/ and checks
each answer: no 5xx, the status, content type, headers and body all as the schema says, and no
request that breaks the schema accepted. Render and draft rate limits and the daily quota are
lifted, so `POST /renders` really creates jobs (about a fifth of its examples answer 201).
Rendering is off (the `enqueued` fixture); two thirds of the generated job ids are swapped for a
real job of the caller's, so the job endpoints are exercised past their 404.
"""

from __future__ import annotations

import json
import uuid
import zlib

import pytest
import schemathesis
from django.core.files.base import ContentFile
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.services import api_key_create
from renders.models import AssetKind, JobAsset, JobState, RenderJob, Series
from renders.tests.api.conftest import make_job

pytestmark = pytest.mark.django_db

# Every operation of the API: render jobs, templates, library, webhooks, publishing, script drafts.
API_PATHS = r"^/api/"


def _generated_schema() -> dict:
    # Built without a request (no DB) at collection, because schemathesis' lazy fixture loader
    # does not work with pytest 9; /api/schema/ serves the same document (checked below).
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


WSGI_APPLICATION = get_wsgi_application()
_loaded = schemathesis.openapi.from_dict(_generated_schema())
_loaded.app = WSGI_APPLICATION  # requests go to Django in-process, as with from_wsgi
schema = _loaded.include(path_regex=API_PATHS)


@pytest.fixture(autouse=True)
def _fuzzing_settings(settings) -> None:
    settings.RATE_LIMIT_PER_MIN = 1000  # exercise creation, not only the 429
    settings.API_KEY_FAILURES_PER_WINDOW = 100_000  # generated keys are wrong on purpose; test the 401s
    settings.JOBS_PER_DAY = 100_000
    settings.WEBHOOK_ALLOW_PRIVATE = True  # no DNS look-ups of generated host names


@pytest.fixture
def caller(alice) -> dict[str, str]:
    job = make_job(alice)
    video = JobAsset(job=job, kind=AssetKind.VIDEO, size_bytes=4)
    video.file.save("video.mp4", ContentFile(b"\x00\x00\x00\x18"))
    failed = make_job(alice, title="Failed one")
    RenderJob.objects.filter(pk=failed.pk).update(state=JobState.FAILED)
    return {
        "key": api_key_create(user=alice, name="schemathesis")[1],
        "job_id": str(job.pk),
        "asset_id": str(video.pk),
        "failed": str(failed.pk),
        "series": str(Series.objects.create(owner=alice, title="A series").pk),
    }


@schema.parametrize()
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI failures reproduce
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_it_answers_every_operation_as_its_schema_says(case, caller):
    parameters = case.path_parameters or {}
    if "job_id" in parameters:
        try:
            parity = uuid.UUID(str(parameters["job_id"])).int % 3
        except ValueError:
            parity = 0
        if parity == 1:
            parameters["job_id"] = caller["job_id"]
            if "asset_id" in parameters:
                parameters["asset_id"] = caller["asset_id"]
        elif parity == 2:
            parameters["job_id"] = caller["failed"]
    if "series_id" in parameters:
        try:  # a malformed id is a negative case: kept, to be a 404
            if uuid.UUID(str(parameters["series_id"])).int % 2:
                parameters["series_id"] = caller["series"]
        except ValueError:
            pass
    if "template_id" in parameters and zlib.crc32(str(parameters["template_id"]).encode()) % 2:
        parameters["template_id"] = "prahlad"
    # Generated Idempotency-Keys repeat ("0", "!") across bodies, so nearly every POST would be a
    # 422; keep the header on a third of the requests (its rules have their own tests).
    headers = case.headers or {}
    if "Idempotency-Key" in headers and zlib.crc32(repr(case.body).encode()) % 3:
        del headers["Idempotency-Key"]
    # Not positive_data_acceptance: schema-valid requests are refused by design when a quota,
    # a total across scenes, an upload's owner, a job's state or an Idempotency-Key says no.
    case.call_and_validate(headers={"X-API-Key": caller["key"]}, excluded_checks=[positive_data_acceptance])


def test_it_serves_the_schema_and_docs_without_a_login():
    client = APIClient()
    schema_answer = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema_answer.status_code == 200
    document = schema_answer.json()
    assert document["openapi"].startswith("3.")
    security = document["components"]["securitySchemes"]
    assert security["ApiKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": security["ApiKeyHeader"]["description"],
    }
    assert security["BearerKey"]["scheme"] == "bearer"
    create = document["paths"]["/api/v1/renders"]["post"]
    assert {"400", "401", "409", "422", "429"} <= set(create["responses"])
    assert "Retry-After" in create["responses"]["429"]["headers"]
    assert create["requestBody"]["content"].keys() == {"application/json"}
    assert document["paths"]["/api/v1/render"]["post"]["deprecated"] is True
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI's assets come from this server (drf-spectacular-sidecar), never from a CDN.
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs.content
    assert b"cdn.jsdelivr" not in docs.content and b"unpkg.com" not in docs.content
