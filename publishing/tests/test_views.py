"""Web views: the OAuth round trip through the Google stand-in, disconnect, and the video page's panel."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.urls import reverse

from publishing.models import Publication, PublicationState, YouTubeChannel
from publishing.tests.conftest import make_rendered_job
from publishing.token_cipher import decrypt_token
from publishing.views import SESSION_KEY

pytestmark = pytest.mark.django_db


def _query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def test_it_connects_a_channel_through_googles_consent_keeping_the_pkce_verifier(client, alice, oauth_standin):
    client.force_login(alice)
    started = client.get(reverse("publishing:youtube_connect"), {"next": "/jobs/some-video/"})
    assert started.status_code == 302 and started.url.startswith(oauth_standin.auth_uri)
    pending = client.session[SESSION_KEY]
    assert _query(started.url)["state"] == pending["state"] and len(pending["code_verifier"]) >= 43
    assert _query(started.url)["redirect_uri"] == "http://testserver/publishing/youtube/callback/"

    consent = requests.get(started.url, allow_redirects=False, timeout=5)  # the creator clicks "Allow"
    callback = urlsplit(consent.headers["Location"])
    finished = client.get(callback.path, _query(consent.headers["Location"]))
    assert finished.status_code == 302 and finished.url == "/jobs/some-video/"
    channel = YouTubeChannel.objects.get(owner=alice)
    assert channel.title == "Bhakti Stories" and decrypt_token(channel.refresh_token).startswith("1//standin-refresh-")
    # The stand-in checked S256(code_verifier) against the challenge sent at the start.
    exchange = [call for call in oauth_standin.calls("/token") if b"authorization_code" in call.body]
    assert f"code_verifier={pending['code_verifier']}".encode() in exchange[0].body
    assert SESSION_KEY not in client.session  # one use only


def test_it_refuses_a_callback_whose_state_does_not_match(client, alice):
    client.force_login(alice)
    client.get(reverse("publishing:youtube_connect"))
    answer = client.get(reverse("publishing:youtube_callback"), {"state": "forged", "code": "4/x"})
    assert answer.url == reverse("publishing:index")
    assert "did not match" in [str(m) for m in get_messages(answer.wsgi_request)][0]
    assert not YouTubeChannel.objects.exists()


def test_it_says_so_when_the_creator_denies_access(client, alice):
    client.force_login(alice)
    client.get(reverse("publishing:youtube_connect"))
    state = client.session[SESSION_KEY]["state"]
    answer = client.get(reverse("publishing:youtube_callback"), {"state": state, "error": "access_denied"})
    assert answer.status_code == 302 and not YouTubeChannel.objects.exists()


def test_it_explains_when_youtube_is_not_configured(client, alice, settings):
    settings.YOUTUBE_CLIENT_ID = ""
    client.force_login(alice)
    answer = client.get(reverse("publishing:youtube_connect"))
    assert answer.status_code == 302 and answer.url == reverse("publishing:index")
    assert SESSION_KEY not in client.session


def test_it_disconnects_and_revokes(client, alice, channel, oauth_standin):
    client.force_login(alice)
    refresh = decrypt_token(channel.refresh_token)
    assert client.post(reverse("publishing:youtube_disconnect")).status_code == 302
    assert refresh in oauth_standin.tokens.revoked and not YouTubeChannel.objects.exists()


def test_it_schedules_polls_cancels_and_retries_from_the_panel(
    client, alice, channel, rendered_job, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    panel = client.get(reverse("publishing:job_panel", args=[rendered_job.pk]))
    assert panel.status_code == 200 and b"Schedule for YouTube" in panel.content and b"hx-trigger" not in panel.content

    form = {"title": "Prahlad", "description": "", "tags": "bhakti, prahlad", "category_id": "22", "privacy": "public",
            "made_for_kids": "no", "publish_at": "", "timing": "upload_when_due"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("publishing:job_schedule", args=[rendered_job.pk]), form, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and b'data-state="queued"' in answer.content
    assert b'hx-trigger="every 2s"' in answer.content  # polls while queued or uploading
    publication = Publication.objects.get(job=rendered_job)
    assert (
        publication.tags == ["bhakti", "prahlad"]
        and publication.made_for_kids is False
        and enqueued == [publication.pk]
    )

    answer = client.post(reverse("publishing:job_cancel", args=[rendered_job.pk]), HTTP_HX_REQUEST="true")
    assert b'data-state="canceled"' in answer.content and b"Retry upload" in answer.content
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("publishing:job_retry", args=[rendered_job.pk]), HTTP_HX_REQUEST="true")
    assert b'data-state="queued"' in answer.content
    assert Publication.objects.get(pk=publication.pk).state == PublicationState.QUEUED


def test_it_requires_the_made_for_kids_answer(client, alice, channel, rendered_job):
    client.force_login(alice)
    answer = client.post(
        reverse("publishing:job_schedule", args=[rendered_job.pk]),
        {"title": "Prahlad", "privacy": "private", "timing": "upload_when_due"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 400 and b"This field is required" in answer.content
    assert not Publication.objects.exists()


def test_it_shows_a_failed_uploads_plain_message(client, alice, channel, rendered_job):
    from django.utils import timezone

    Publication.objects.create(
        job=rendered_job, owner=alice, title="Prahlad", made_for_kids=False, upload_after=timezone.now(),
        state=PublicationState.FAILED, error_code="quota_exceeded", error="YouTube's upload quota is used up.",
    )  # fmt: skip
    client.force_login(alice)
    panel = client.get(reverse("publishing:job_panel", args=[rendered_job.pk]))
    assert b'role="alert" data-code="quota_exceeded">YouTube&#x27;s upload quota is used up.' in panel.content
    assert b"Retry upload" in panel.content


def test_it_hides_other_creators_videos(client, bob, rendered_job):
    client.force_login(bob)
    assert client.get(reverse("publishing:job_panel", args=[rendered_job.pk])).status_code == 404
    assert client.post(reverse("publishing:job_cancel", args=[rendered_job.pk])).status_code == 404


def test_it_lists_the_channel_and_publications_on_the_publishing_page(client, alice, channel, rendered_job):
    from django.utils import timezone

    Publication.objects.create(
        job=rendered_job, owner=alice, title="Prahlad on YouTube", made_for_kids=False, upload_after=timezone.now(),
        state=PublicationState.PUBLISHED, youtube_video_id="vid123",
    )  # fmt: skip
    client.force_login(alice)
    page = client.get(reverse("publishing:index"))
    assert page.status_code == 200
    assert b"Connected: <strong>Bhakti Stories</strong>" in page.content
    assert b"Prahlad on YouTube" in page.content and b"https://www.youtube.com/watch?v=vid123" in page.content
    assert b"Disconnect and revoke access" in page.content
    # Reached from every page's main navigation, marked as the current page here.
    link = f'<a href="{reverse("publishing:index")}" aria-current="page">YouTube</a>'.encode()
    assert link in page.content
    assert f'href="{reverse("publishing:index")}"'.encode() in client.get(reverse("renders:dashboard")).content


def test_it_offers_the_stock_footage_credits_as_the_description(client, alice, channel, rendered_job):
    import json

    from django.core.files.base import ContentFile

    from renders.models import AssetKind, JobAsset

    footage = {
        "2": {"provider": "pexels", "video_id": "857251", "author": "Ravi <K>", "page_url": "https://www.pexels.com/video/857251/"},
        "1": {"provider": "pexels", "video_id": "12", "author": "Asha", "page_url": ""},
    }  # fmt: skip
    summary = JobAsset(job=rendered_job, kind=AssetKind.SUMMARY, size_bytes=1)
    summary.file.save("job_summary.json", ContentFile(json.dumps({"footage": footage}).encode()), save=False)
    summary.save()
    client.force_login(alice)
    panel = client.get(reverse("publishing:job_panel", args=[rendered_job.pk])).content.decode()
    expected = (
        "Stock footage:\nScene 1: video by Asha on Pexels\n"
        "Scene 2: video by Ravi K on Pexels https://www.pexels.com/video/857251/"
    )
    assert expected in panel  # scenes in order; < and > dropped (YouTube refuses them)


def test_creators_see_youtube_only_where_publishing_can_work(client, alice, rendered_job, settings):
    settings.YOUTUBE_CLIENT_ID = settings.YOUTUBE_CLIENT_SECRET = ""
    client.force_login(alice)
    job_page = client.get(reverse("renders:job_status", args=[rendered_job.pk])).content.decode()
    assert reverse("publishing:job_panel", args=[rendered_job.pk]) not in job_page  # no panel to load
    assert f'href="{reverse("publishing:index")}"' not in job_page  # nor a nav entry
    assert "not available on this server" in client.get(reverse("publishing:index")).content.decode()


def test_staff_see_how_to_turn_youtube_on(client, alice, rendered_job, settings):
    settings.YOUTUBE_CLIENT_ID = settings.YOUTUBE_CLIENT_SECRET = ""
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    client.force_login(alice)
    job_page = client.get(reverse("renders:job_status", args=[rendered_job.pk])).content.decode()
    assert reverse("publishing:job_panel", args=[rendered_job.pk]) in job_page
    panel = client.get(reverse("publishing:job_panel", args=[rendered_job.pk])).content.decode()
    assert 'data-testid="youtube-how-to-enable"' in panel and "YOUTUBE_CLIENT_ID" in panel
    assert "Connect YouTube" not in panel


def test_with_youtube_configured_creators_get_the_panel(client, alice, rendered_job):
    client.force_login(alice)
    job_page = client.get(reverse("renders:job_status", args=[rendered_job.pk])).content.decode()
    assert reverse("publishing:job_panel", args=[rendered_job.pk]) in job_page
    panel = client.get(reverse("publishing:job_panel", args=[rendered_job.pk])).content.decode()
    assert "Connect YouTube" in panel


@pytest.mark.parametrize(
    ("configured", "staff", "offered"), [(True, False, True), (False, True, True), (False, False, False)]
)
def test_a_finished_jobs_poll_offers_the_youtube_panel_as_its_page_does(
    client, alice, settings, configured, staff, offered
):
    # The polled region is rendered without context processors: publishing's rule reaches it by its hook.
    if not configured:
        settings.YOUTUBE_CLIENT_ID = ""
    alice.is_staff = staff
    alice.save(update_fields=["is_staff"])
    job = make_rendered_job(alice, with_captions=False)
    client.force_login(alice)
    page = client.get(reverse("renders:job_status", args=[job.pk])).content.decode()
    poll = client.get(reverse("renders:job_progress", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    panel = reverse("publishing:job_panel", args=[job.pk])
    assert (f'hx-get="{panel}"' in page) is offered
    assert (f'hx-get="{panel}"' in poll) is offered
