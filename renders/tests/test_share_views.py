"""Share links: created and revoked by the owner on the video's page, watched by anyone holding one."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from renders.deletion import job_delete
from renders.models import AssetKind, JobState, ShareLink
from renders.tests.test_views import add_asset, make_job, png_bytes

pytestmark = pytest.mark.django_db

VIDEO_BYTES = bytes(range(256)) * 40


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def finished(alice):
    job = make_job(alice, state=JobState.SUCCEEDED, progress_pct=100)
    add_asset(job, AssetKind.VIDEO, "video.mp4", VIDEO_BYTES)
    add_asset(job, AssetKind.THUMBNAIL, "thumbnail.jpg", png_bytes())
    add_asset(job, AssetKind.NARRATION, "narration.mp3", b"private narration")
    return job


def _share(client, job):
    return client.post(reverse("renders:share_create", args=[job.pk]))


def test_it_creates_a_link_from_the_video_page_and_shows_it(alice_client, finished):
    page = alice_client.get(reverse("renders:job_status", args=[finished.pk])).content.decode()
    assert "Create a share link" in page

    response = _share(alice_client, finished)

    assert response.status_code == 302
    link = ShareLink.objects.get(job=finished)
    assert len(link.token) == 32
    page = alice_client.get(reverse("renders:job_status", args=[finished.pk])).content.decode()
    assert f"http://testserver/s/{link.token}/" in page
    assert "Stop sharing" in page


def test_each_link_is_unguessable_and_different(alice_client, finished):
    _share(alice_client, finished)
    _share(alice_client, finished)
    tokens = set(ShareLink.objects.values_list("token", flat=True))
    assert len(tokens) == 2
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", token) for token in tokens)


def test_it_needs_csrf_to_create_a_link(alice, finished):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert _share(strict, finished).status_code == 403
    assert not ShareLink.objects.exists()


def test_it_refuses_get_on_the_create_and_revoke_urls(alice_client, finished):
    assert alice_client.get(reverse("renders:share_create", args=[finished.pk])).status_code == 405
    assert alice_client.get(reverse("renders:share_revoke", args=[finished.pk])).status_code == 405


def test_another_creators_video_is_a_404(client, bob, finished):
    client.force_login(bob)
    assert _share(client, finished).status_code == 404
    assert client.post(reverse("renders:share_revoke", args=[finished.pk])).status_code == 404
    assert not ShareLink.objects.exists()


def test_a_logged_out_visitor_cannot_create_a_link(client, finished):
    response = _share(client, finished)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert not ShareLink.objects.exists()


def test_an_unfinished_video_cannot_be_shared(alice_client, alice):
    running = make_job(alice, state=JobState.RUNNING)
    response = _share(alice_client, running)
    assert response.status_code == 302
    assert not ShareLink.objects.exists()
    page = alice_client.get(response["Location"]).content.decode()
    assert "Only a finished video can be shared" in page


def test_the_public_page_plays_the_video_without_a_login(alice_client, client, finished):
    _share(alice_client, finished)
    token = ShareLink.objects.get().token

    page = client.get(f"/s/{token}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert finished.title in html
    assert f'src="/s/{token}/video"' in html
    assert f'poster="/s/{token}/thumbnail"' in html
    assert '<meta property="og:type" content="video.other">' in html
    assert f'<meta property="og:title" content="{finished.title}">' in html
    assert f'<meta property="og:image" content="http://testserver/s/{token}/thumbnail">' in html
    assert f'<meta property="og:video" content="http://testserver/s/{token}/video">' in html
    assert '<meta property="og:description" content="A ' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert page["X-Robots-Tag"].startswith("noindex")
    # Nothing of the owner's page: no log, no downloads of other files, no owner name.
    assert "narration" not in html.lower() and "alice" not in html


def test_the_shared_video_supports_byte_ranges(alice_client, client, finished):
    _share(alice_client, finished)
    token = ShareLink.objects.get().token

    whole = client.get(f"/s/{token}/video")
    part = client.get(f"/s/{token}/video", HTTP_RANGE="bytes=100-199")

    assert whole.status_code == 200 and b"".join(whole.streaming_content) == VIDEO_BYTES
    assert whole["Accept-Ranges"] == "bytes"
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(VIDEO_BYTES)}"
    assert b"".join(part.streaming_content) == VIDEO_BYTES[100:200]
    assert client.get(f"/s/{token}/thumbnail").status_code == 200


def test_a_link_serves_only_the_video_and_its_thumbnail(alice_client, client, finished):
    _share(alice_client, finished)
    token = ShareLink.objects.get().token
    for kind in ("narration", "srt", "scene_image", "summary", "../video"):
        assert client.get(f"/s/{token}/{kind}").status_code == 404


def test_an_unknown_token_is_a_404(client, finished):
    assert client.get("/s/not-a-real-token-at-all-000000000/").status_code == 404
    assert client.get("/s/not-a-real-token-at-all-000000000/video").status_code == 404


def test_revoking_stops_the_page_and_the_file(alice_client, client, finished):
    _share(alice_client, finished)
    _share(alice_client, finished)
    tokens = list(ShareLink.objects.values_list("token", flat=True))

    response = alice_client.post(reverse("renders:share_revoke", args=[finished.pk]))

    assert response.status_code == 302
    alice_client.get(response["Location"])  # shows (and so clears) the messages naming the old links
    for token in tokens:
        assert client.get(f"/s/{token}/").status_code == 404
        assert client.get(f"/s/{token}/video").status_code == 404
    page = alice_client.get(reverse("renders:job_status", args=[finished.pk])).content.decode()
    assert "Create a share link" in page and tokens[0] not in page


def test_deleting_the_video_kills_its_links(alice_client, client, finished):
    _share(alice_client, finished)
    link = ShareLink.objects.get()

    job_delete(job=finished)

    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(f"/s/{link.token}/").status_code == 404
    assert client.get(f"/s/{link.token}/video").status_code == 404
