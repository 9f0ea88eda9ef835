"""The older shapes sit in the OpenAPI schema as their own group, apart from /api/v1's operations."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from compat.api.schema import TAG

pytestmark = pytest.mark.django_db

COMPAT_OPERATIONS = {
    ("post", "/render"),
    ("get", "/render/{job_id}/status"),
    ("put", "/render/{job_id}/webhook"),
    ("delete", "/render/{job_id}/cancel"),
    ("get", "/api/status/{job_id}"),
    ("get", "/api/templates"),
    ("post", "/api/templates/plan"),
    ("get", "/api/library"),
    ("post", "/api/library/{job_id}/duplicate"),
    ("post", "/api/publish/{job_id}/schedule"),
    ("get", "/api/publish/{job_id}"),
    ("delete", "/api/publish/{job_id}/cancel"),
    ("post", "/api/v1/jobs/"),
    ("get", "/api/v1/jobs/"),
    ("get", "/api/v1/jobs/{job_id}"),
    ("delete", "/api/v1/jobs/{job_id}"),
    ("get", "/api/v1/jobs/stats/counts"),
    ("get", "/api/v1/jobs/health"),
    ("post", "/mcp/generate"),
    ("post", "/api/video/generate-script"),
    ("post", "/api/video/generate"),
    ("get", "/api/video/status/{job_id}"),
}


def test_it_puts_every_older_call_in_the_compat_group_and_nothing_else_there():
    document = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    tagged = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if TAG in operation.get("tags", [])
    }
    assert tagged == COMPAT_OPERATIONS
    for method, path in COMPAT_OPERATIONS:
        operation = document["paths"][path][method]
        assert operation["tags"] == [TAG], (method, path)
        assert operation["operationId"].startswith("compat_")
        assert "docs/compat-api.md" in operation["description"]
    # /api/v1's own operations stay in their own groups; the unslashed /api/v1/jobs is not listed twice.
    assert TAG not in document["paths"]["/api/v1/renders"]["post"]["tags"]
    assert "/api/v1/jobs" not in document["paths"]
