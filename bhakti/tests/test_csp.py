"""bhakti.csp: scripts and styles from this site only, and templates that need nothing more."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bhakti import csp

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {name: value for name, _, value in (part.strip().partition(" ") for part in header.split(";"))}


def test_it_allows_scripts_and_styles_from_this_site_only(client, alice):
    client.force_login(alice)
    for path in ("/", "/videos/new/", "/accounts/profile/", "/accounts/login/"):
        policy = directives(client.get(path))
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'", path
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert policy["form-action"] == "'self'" and policy["base-uri"] == "'self'"


def test_it_sends_the_policy_on_errors_and_json_too(client):
    assert "script-src 'self'" in client.get("/no-such-page/")["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/api/v1/renders")["Content-Security-Policy"]


def test_it_lets_the_api_docs_use_inline_styles_but_not_inline_scripts(client):
    response = client.get("/api/docs/")
    policy = directives(response)
    assert policy["script-src"] == "'self'" and "'unsafe-inline'" in policy["style-src"]
    body = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)  # the start-up script is a file
    assert client.get("/api/docs/?script").status_code == 200
    assert "fonts.googleapis.com" not in client.get("/api/redoc/").content.decode()


def test_it_allows_media_from_the_s3_store(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "bhakti.storage.PresignedS3Storage",
            "OPTIONS": {"endpoint_url": "http://minio:9000", "public_endpoint_url": "https://media.example.com/x"},
        },
    }
    policy = csp.policy_for("/")
    assert "img-src 'self' data: blob: https://media.example.com http://minio:9000;" in policy
    assert "media-src 'self' blob: https://media.example.com http://minio:9000;" in policy


def test_it_tells_htmx_not_to_inject_styles(client):
    assert (
        """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>"""
        in client.get("/accounts/login/").content.decode()
    )


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda path: str(path.relative_to(TEMPLATES))
)
def test_it_finds_nothing_inline_in_the_templates(template):
    # What the policy would refuse: inline <script> and <style>, style="" and on…="" attributes.
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert not re.search(r"<style\b", text)
    assert not re.search(r"\sstyle\s*=", text)
    assert not re.search(r"\son[a-z]+\s*=", text)
    assert not re.search(r"\shx-on", text)
