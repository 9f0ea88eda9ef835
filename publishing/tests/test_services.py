"""Publishing services against the YouTube and Google OAuth stand-ins."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from django.utils import timezone

from accounts.models import AuditEvent
from publishing import services
from publishing.models import Publication, PublicationState, Timing, YouTubeChannel
from publishing.services import PublishActionError, enqueue_due_publications, upload_publication, uploads
from publishing.tests.conftest import CHUNK, SRT_HI, VIDEO_BYTES, connect_channel, make_rendered_job
from publishing.token_cipher import decrypt_token
from publishing.youtube import SCOPES, PublishError, authorization_start
from renders.models import JobState, RenderJob
from tests.standins.server import Reply
from tests.standins.youtube_server import CHANNEL_ID, quota_exceeded

pytestmark = pytest.mark.django_db

REDIRECT = "http://testserver/publishing/youtube/callback/"


def _schedule(alice, job, **overrides) -> Publication:
    options = {
        "title": "Prahlad's devotion",
        "description": "A story of faith.",
        "tags": ["bhakti", "prahlad story"],
        "privacy": "unlisted",
        "made_for_kids": False,
    }
    options.update(overrides)
    return services.publication_schedule(owner=alice, job=job, **options)


def _consent(url: str) -> tuple[str, str]:
    """Play the creator's browser at Google's consent page: follow it to the callback's code and state."""
    answer = requests.get(url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    query = dict(item.split("=", 1) for item in answer.headers["Location"].split("?", 1)[1].split("&"))
    return requests.utils.unquote(query["code"]), requests.utils.unquote(query["state"])


def test_it_connects_a_channel_with_pkce_and_stores_tokens_encrypted(alice, oauth_standin):
    url, state, verifier = authorization_start(REDIRECT)
    assert url.startswith(oauth_standin.auth_uri) and "code_challenge_method=S256" in url and len(verifier) >= 43
    assert "access_type=offline" in url and "youtube.force-ssl" in url
    code, returned_state = _consent(url)
    assert returned_state == state

    channel = services.channel_connect(
        owner=alice, redirect_uri=REDIRECT, code=code, state=state, code_verifier=verifier
    )
    assert channel.channel_id == CHANNEL_ID and channel.title == "Bhakti Stories"
    refresh = decrypt_token(channel.refresh_token)
    assert refresh in oauth_standin.tokens.refresh_tokens
    assert refresh not in channel.refresh_token  # ciphertext at rest
    assert oauth_standin.is_valid_access_token(decrypt_token(channel.access_token))
    assert channel.access_token_expiry > timezone.now() and channel.scopes == list(SCOPES)


def test_it_refuses_a_code_without_the_right_pkce_verifier(alice):
    url, state, _verifier = authorization_start(REDIRECT)
    code, _ = _consent(url)
    with pytest.raises(PublishError, match="Google did not accept the sign-in") as caught:
        services.channel_connect(owner=alice, redirect_uri=REDIRECT, code=code, state=state, code_verifier="x" * 64)
    assert caught.value.code == "auth_error"
    assert not YouTubeChannel.objects.exists()


def test_it_disconnects_by_revoking_the_refresh_token(alice, channel, oauth_standin):
    refresh = decrypt_token(channel.refresh_token)
    assert services.channel_disconnect(owner=alice) is True
    assert refresh in oauth_standin.tokens.revoked
    (call,) = oauth_standin.calls("/revoke")
    assert call.body.decode() == f"token={requests.utils.quote(refresh, safe='')}"
    assert not YouTubeChannel.objects.filter(owner=alice).exists()


def test_it_uploads_in_resumable_chunks_with_thumbnail_and_captions(
    alice, channel, rendered_job, youtube_standin, enqueued, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        publication = _schedule(alice, rendered_job)
    assert publication.state == PublicationState.QUEUED and enqueued == [publication.pk]

    seen: list[int] = []
    progress = uploads._progress
    monkeypatch.setattr(uploads, "_progress", lambda pub, pct: seen.append(pct) or progress(pub, pct))
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED

    (video,) = youtube_standin.videos.values()
    assert video.data == VIDEO_BYTES
    assert video.chunks == len(VIDEO_BYTES) // CHUNK + 1  # 600 KiB in 256 KiB chunks: 3
    assert video.metadata["snippet"] == {
        "title": "Prahlad's devotion", "description": "A story of faith.", "tags": ["bhakti", "prahlad story"],
        "categoryId": "22", "defaultLanguage": "en", "defaultAudioLanguage": "en",
    }  # fmt: skip
    assert video.metadata["status"] == {
        "selfDeclaredMadeForKids": False, "privacyStatus": "unlisted", "containsSyntheticMedia": False,
    }  # fmt: skip
    assert video.thumbnails == [b"\xff\xd8\xff thumb"]
    captions = {caption["snippet"]["language"]: caption for caption in video.captions}
    assert set(captions) == {"en", "hi"}  # every subtitle language, SRT only
    assert captions["hi"]["body"].decode() == SRT_HI and captions["hi"]["snippet"]["isDraft"] is False
    assert seen[:2] == [38, 76] and seen[-1] == 93  # 256/600 KiB of 90 %, chunk by chunk; then thumbnail

    publication.refresh_from_db()
    assert publication.progress_pct == 100 and publication.youtube_video_id == video.id
    assert publication.thumbnail_set and publication.caption_languages == ["en", "hi"]
    assert publication.attempts == 1 and publication.uploaded_at is not None
    assert rendered_job.events.filter(message=f"YouTube: published https://www.youtube.com/watch?v={video.id}").exists()


def test_it_does_nothing_when_the_task_is_delivered_twice(alice, channel, rendered_job, youtube_standin, enqueued):
    publication = _schedule(alice, rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    assert len(youtube_standin.videos) == 1


def test_it_uploads_a_scheduled_video_only_when_due(
    alice, channel, rendered_job, enqueued, django_capture_on_commit_callbacks
):
    later = timezone.now() + dt.timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        publication = _schedule(alice, rendered_job, publish_at=later)
    assert publication.state == PublicationState.SCHEDULED and publication.upload_after == later and enqueued == []

    with django_capture_on_commit_callbacks(execute=True):
        assert enqueue_due_publications(now=later - dt.timedelta(minutes=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert enqueue_due_publications(now=later + dt.timedelta(seconds=30)) == 1
    assert enqueued == [publication.pk]
    assert Publication.objects.get(pk=publication.pk).state == PublicationState.QUEUED


def test_it_lets_youtube_publish_at_the_time_and_can_withdraw_it(
    alice, channel, rendered_job, youtube_standin, enqueued
):
    at = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    publication = _schedule(alice, rendered_job, publish_at=at, timing=Timing.YOUTUBE_PUBLISH_AT, privacy="private")
    assert publication.state == PublicationState.QUEUED and publication.privacy == "public"
    upload_publication(publication_id=publication.pk)
    (video,) = youtube_standin.videos.values()
    assert video.metadata["status"] == {
        "selfDeclaredMadeForKids": False, "privacyStatus": "private", "containsSyntheticMedia": False,
        "publishAt": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }  # fmt: skip

    # The creator turned off embedding in YouTube Studio meanwhile: withdrawing must keep that.
    video.metadata["status"] = {**video.metadata["status"], "embeddable": False, "publicStatsViewable": False}
    canceled = services.publication_cancel(owner=alice, job=rendered_job)
    assert canceled.state == PublicationState.CANCELED
    (update,) = video.updates
    assert update["status"]["privacyStatus"] == "private" and update["status"]["publishAt"] is None
    assert update["status"]["selfDeclaredMadeForKids"] is False and "uploadStatus" not in update["status"]
    assert video.metadata["status"]["embeddable"] is False and video.metadata["status"]["publicStatsViewable"] is False
    assert "stays private" in canceled.notes[-1]


def test_it_cancels_a_scheduled_upload_before_it_runs(alice, channel, rendered_job, youtube_standin, enqueued):
    publication = _schedule(alice, rendered_job, publish_at=timezone.now() + dt.timedelta(hours=1))
    assert services.publication_cancel(owner=alice, job=rendered_job).state == PublicationState.CANCELED
    assert enqueue_due_publications(now=timezone.now() + dt.timedelta(hours=2)) == 0
    assert upload_publication(publication_id=publication.pk) == PublicationState.CANCELED
    assert youtube_standin.videos == {}
    with pytest.raises(PublishActionError, match="nothing to cancel"):
        services.publication_cancel(owner=alice, job=rendered_job)


def test_it_stops_an_upload_canceled_midway(alice, channel, rendered_job, youtube_standin, enqueued, monkeypatch):
    publication = _schedule(alice, rendered_job)
    progress = uploads._progress

    def cancel_after_two_chunks(pub, pct):
        if pct >= 70:  # the second of three chunks
            services.publication_cancel(owner=alice, job=rendered_job)
        return progress(pub, pct)

    monkeypatch.setattr(uploads, "_progress", cancel_after_two_chunks)
    assert upload_publication(publication_id=publication.pk) == PublicationState.CANCELED
    assert youtube_standin.videos == {}
    (session,) = youtube_standin.sessions.values()
    assert session.chunks == 2


def test_it_refreshes_an_expired_access_token_and_stores_the_new_one(
    alice, rendered_job, oauth_standin, youtube_standin, enqueued
):
    channel = connect_channel(alice, oauth_standin, expired=True)
    old_access = decrypt_token(channel.access_token)
    publication = _schedule(alice, rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED

    refreshes = [call for call in oauth_standin.calls("/token") if b"grant_type=refresh_token" in call.body]
    assert len(refreshes) == 1  # once, then the new token is reused for every later call
    channel.refresh_from_db()
    new_access = decrypt_token(channel.access_token)
    assert new_access != old_access and oauth_standin.is_valid_access_token(new_access)
    assert channel.access_token_expiry > timezone.now()


def test_it_explains_quota_exhaustion_and_a_later_retry_finishes(
    alice, channel, rendered_job, youtube_standin, enqueued, django_capture_on_commit_callbacks
):
    youtube_standin.script("/upload/youtube/v3/videos", quota_exceeded())
    publication = _schedule(alice, rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.FAILED
    publication.refresh_from_db()
    assert publication.error_code == "quota_exceeded"
    assert publication.error.startswith("YouTube's upload quota is used up")
    assert "midnight Pacific time" in publication.error and "<a" not in publication.error
    assert youtube_standin.videos == {}
    # Operators count it (youtube_upload_failures_total{reason="quota_exceeded"}).
    assert list(
        AuditEvent.objects.filter(action=AuditEvent.Action.YOUTUBE_FAILED, job_id=rendered_job.pk).values_list(
            "detail", flat=True
        )
    ) == ["quota_exceeded"]

    with django_capture_on_commit_callbacks(execute=True):
        retried = services.publication_retry(owner=alice, job=rendered_job)
    assert retried.state == PublicationState.QUEUED and enqueued[-1] == publication.pk
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    assert len(youtube_standin.videos) == 1
    assert Publication.objects.get(pk=publication.pk).attempts == 2


def test_it_retries_captions_without_uploading_the_video_again(alice, channel, rendered_job, youtube_standin, enqueued):
    youtube_standin.script("/upload/youtube/v3/captions", quota_exceeded())
    publication = _schedule(alice, rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.FAILED
    publication.refresh_from_db()
    assert publication.youtube_video_id and publication.thumbnail_set and publication.caption_languages == []
    assert "adding the en captions has to wait" in publication.error

    services.publication_retry(owner=alice, job=rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    (video,) = youtube_standin.videos.values()
    assert len(youtube_standin.calls("/upload/youtube/v3/videos", method="POST")) == 1
    assert len(video.thumbnails) == 1 and sorted(c["snippet"]["language"] for c in video.captions) == ["en", "hi"]


def test_it_says_to_reconnect_when_access_was_revoked(alice, rendered_job, oauth_standin, enqueued):
    channel = connect_channel(alice, oauth_standin, expired=True)
    oauth_standin.tokens.revoked.add(decrypt_token(channel.refresh_token))
    publication = _schedule(alice, rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.FAILED
    publication.refresh_from_db()
    assert publication.error_code == "auth_error" and "Reconnect the channel" in publication.error


def test_it_notes_a_refused_thumbnail_and_still_publishes(alice, channel, rendered_job, youtube_standin, enqueued):
    from tests.standins.youtube_server import youtube_error

    youtube_standin.script("/thumbnails/set", youtube_error(400, "invalidImage", "The thumbnail image is invalid."))
    publication = _schedule(alice, rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    publication.refresh_from_db()
    assert publication.notes == ["YouTube refused setting the thumbnail: The thumbnail image is invalid.."]


def test_it_publishes_with_a_note_and_the_captions_when_the_channel_may_not_set_thumbnails(
    alice, channel, rendered_job, youtube_standin, enqueued
):
    youtube_standin.custom_thumbnails = False  # not phone-verified: thumbnails.set answers 403 forbidden
    publication = _schedule(alice, rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    publication.refresh_from_db()
    assert publication.error_code == "" and publication.thumbnail_set
    (note,) = publication.notes
    assert "may not set custom thumbnails" in note and "youtube.com/verify" in note and "Reconnect" not in note
    (video,) = youtube_standin.videos.values()
    assert video.thumbnails == [] and sorted(c["snippet"]["language"] for c in video.captions) == ["en", "hi"]
    assert publication.caption_languages == ["en", "hi"]


def test_it_counts_the_description_in_bytes_as_youtube_does(alice, channel, rendered_job, youtube_standin, enqueued):
    hindi = "प्रह्लाद" * 250  # 2,000 characters, 6,000 bytes of UTF-8
    with pytest.raises(PublishActionError, match="at most 5000 bytes; this one has 6000"):
        _schedule(alice, rendered_job, description=hindi)
    publication = _schedule(alice, rendered_job, description="प्रह्लाद" * 200)  # 4,800 bytes: YouTube takes it
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED


def test_it_fails_a_stale_upload_whose_worker_died(alice, channel, rendered_job, enqueued, settings):
    publication = _schedule(alice, rendered_job)
    Publication.objects.filter(pk=publication.pk).update(
        state=PublicationState.UPLOADING,
        heartbeat_at=timezone.now() - dt.timedelta(seconds=settings.PUBLISH_STALE_SEC + 5),
    )
    enqueue_due_publications()
    publication.refresh_from_db()
    assert publication.state == PublicationState.FAILED and publication.error_code == "interrupted"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"title": ""}, "invalid"),
        ({"title": "x" * 101}, "invalid"),
        ({"description": "<b>bold</b>"}, "invalid"),
        ({"made_for_kids": None}, "invalid"),
        ({"timing": Timing.YOUTUBE_PUBLISH_AT}, "invalid"),  # needs a publish time
        ({"publish_at": dt.datetime(2030, 1, 1, 12, 0)}, "invalid"),  # naive
    ],
)
def test_it_refuses_bad_metadata(alice, channel, rendered_job, change, code):
    with pytest.raises(PublishActionError) as caught:
        _schedule(alice, rendered_job, **change)
    assert caught.value.code == code


def test_it_refuses_unfinished_videos_and_missing_channels(alice, bob, rendered_job, oauth_standin):
    with pytest.raises(PublishActionError, match="Connect a YouTube channel first"):
        _schedule(alice, rendered_job)
    connect_channel(alice, oauth_standin)
    running = make_rendered_job(alice)
    running.state = JobState.RUNNING
    running.save(update_fields=["state"])
    with pytest.raises(PublishActionError, match="Only a finished video"):
        _schedule(alice, running)
    with pytest.raises(PublishActionError) as caught:
        _schedule(bob, rendered_job)
    assert caught.value.code == "not_found"


def test_it_registers_the_every_minute_schedule_idempotently():
    from django_q.models import Schedule

    from bhakti.schedules import ensure_schedules

    ensure_schedules()
    ensure_schedules()
    (schedule,) = Schedule.objects.filter(func="publishing.tasks.publish_due")
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1


def test_it_hides_the_reply_helper_from_lint():
    assert Reply(200).status == 200  # keeps the stand-in import used when scripting other replies


def test_it_uploads_from_remote_storage_through_a_temporary_copy(alice, channel, youtube_standin, enqueued, settings):
    # Storage whose files are not on local disk (as with S3): the upload reads a temporary copy.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    job = make_rendered_job(alice, with_captions=False)
    publication = _schedule(alice, job)
    state = upload_publication(publication_id=publication.pk)
    assert state == PublicationState.PUBLISHED, Publication.objects.get(pk=publication.pk).error
    (video,) = youtube_standin.videos.values()
    assert video.data == VIDEO_BYTES and video.thumbnails == [b"\xff\xd8\xff thumb"] and video.captions == []


def test_a_rate_limit_is_not_called_a_used_up_quota(alice, channel, rendered_job, youtube_standin, enqueued):
    from tests.standins.youtube_server import youtube_error

    youtube_standin.script(
        "/upload/youtube/v3/videos", youtube_error(403, "rateLimitExceeded", "The request rate is too high.")
    )
    publication = _schedule(alice, rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.FAILED
    publication.refresh_from_db()
    assert publication.error_code == "rate_limited"
    assert "quota is not used up" in publication.error and "midnight" not in publication.error


def _make_short(job: RenderJob) -> RenderJob:
    job.plan = {**job.plan, "aspect": "9:16"}
    job.save(update_fields=["plan"])
    return job


def test_it_waits_for_a_short_to_be_processed_before_setting_its_thumbnail(
    alice, channel, rendered_job, youtube_standin, enqueued, settings, monkeypatch
):
    settings.YOUTUBE_PROCESSING_POLL_SEC = 5
    waits: list[float] = []
    monkeypatch.setattr(uploads.time, "sleep", waits.append)
    youtube_standin.shorts, youtube_standin.processing_polls = True, 2
    publication = _schedule(alice, _make_short(rendered_job))
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    (video,) = youtube_standin.videos.values()
    assert video.thumbnails == [b"\xff\xd8\xff thumb"] and video.unapplied_thumbnails == []
    assert waits == [5, 5] and len(youtube_standin.calls("/youtube/v3/videos", method="GET")) == 3
    publication.refresh_from_db()
    assert publication.thumbnail_set and publication.notes == [] and publication.caption_languages == ["en", "hi"]


def test_it_stops_waiting_for_a_slow_short_and_says_so(
    alice, channel, rendered_job, youtube_standin, enqueued, settings, monkeypatch
):
    settings.YOUTUBE_SHORTS_PROCESSING_WAIT_SEC, settings.YOUTUBE_PROCESSING_POLL_SEC = 20, 10
    monkeypatch.setattr(uploads.time, "sleep", lambda seconds: None)
    youtube_standin.shorts, youtube_standin.processing_polls = True, 100
    publication = _schedule(alice, _make_short(rendered_job))
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    (video,) = youtube_standin.videos.values()
    assert video.thumbnails == [] and video.unapplied_thumbnails == []  # not sent while it would be lost
    assert len(youtube_standin.calls("/youtube/v3/videos", method="GET")) == 3  # at 0, 10 and 20 s
    publication.refresh_from_db()
    assert not publication.thumbnail_set and "still processing this Short after 20 s" in publication.notes[0]
    assert sorted(c["snippet"]["language"] for c in video.captions) == ["en", "hi"]


def test_a_landscape_video_sets_its_thumbnail_without_waiting(alice, channel, rendered_job, youtube_standin, enqueued):
    youtube_standin.processing_polls = 5
    publication = _schedule(alice, rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    assert youtube_standin.calls("/youtube/v3/videos", method="GET") == []


def _add_summary(job: RenderJob, summary: dict) -> None:
    import json

    from django.core.files.base import ContentFile

    from renders.models import AssetKind, JobAsset

    asset = JobAsset(job=job, kind=AssetKind.SUMMARY, language="", size_bytes=1)
    asset.file.save("job_summary.json", ContentFile(json.dumps(summary).encode()), save=False)
    asset.save()


def test_it_discloses_synthetic_media_when_an_ai_voice_made_the_render(
    alice, channel, rendered_job, youtube_standin, enqueued
):
    _add_summary(rendered_job, {"speech_provider": "elevenlabs", "cost": {"by_provider": {"speech:elevenlabs": {}}}})
    publication = _schedule(alice, rendered_job)
    assert publication.contains_synthetic_media is True
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    (video,) = youtube_standin.videos.values()
    assert video.metadata["status"]["containsSyntheticMedia"] is True


def test_the_creator_decides_the_disclosure_and_offline_renders_default_to_none(alice, channel, rendered_job):
    _add_summary(rendered_job, {"speech_provider": "espeak", "cost": {"by_provider": {"images:local": {}}}})
    later = timezone.now() + dt.timedelta(days=1)  # kept scheduled, so it can be scheduled again
    assert _schedule(alice, rendered_job, publish_at=later).contains_synthetic_media is False
    again = _schedule(alice, rendered_job, publish_at=later, contains_synthetic_media=True)
    assert again.contains_synthetic_media is True


def test_it_warns_when_a_testing_app_loses_the_channel_before_the_upload(
    alice, channel, rendered_job, enqueued, settings
):
    settings.GOOGLE_OAUTH_APP_IN_TESTING = True
    soon = _schedule(alice, rendered_job, publish_at=timezone.now() + dt.timedelta(days=2))
    assert soon.notes == []
    later = _schedule(alice, rendered_job, publish_at=timezone.now() + dt.timedelta(days=10))
    (note,) = later.notes
    assert "in Testing" in note and "ends about" in note and "Reconnect the channel" in note
    settings.GOOGLE_OAUTH_APP_IN_TESTING = False
    Publication.objects.filter(pk=later.pk).update(notes=[])
    assert _schedule(alice, rendered_job, publish_at=timezone.now() + dt.timedelta(days=10)).notes == []


def test_it_says_why_an_expired_testing_token_failed(alice, rendered_job, oauth_standin, enqueued, settings):
    settings.GOOGLE_OAUTH_APP_IN_TESTING = True
    channel = connect_channel(alice, oauth_standin, expired=True)
    oauth_standin.tokens.revoked.add(decrypt_token(channel.refresh_token))  # Google's 7 days are up
    publication = _schedule(alice, rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.FAILED
    publication.refresh_from_db()
    assert publication.error_code == "auth_error" and "ends every connection after 7 days" in publication.error


def test_it_resumes_an_upload_after_a_dropped_connection(
    alice, channel, rendered_job, youtube_standin, enqueued, settings
):
    # httplib2 resends a dropped request once, but the chunk's stream is spent by then: the resend
    # stalls until the timeout, as it would against YouTube.
    settings.PROVIDER_TIMEOUT_SEC = 1
    youtube_standin.drop_chunks = 1  # the first chunk arrives, but its answer is lost
    publication = _schedule(alice, rendered_job)
    assert upload_publication(publication_id=publication.pk) == PublicationState.PUBLISHED
    (video,) = youtube_standin.videos.values()
    assert video.data == VIDEO_BYTES and len(youtube_standin.sessions) == 1
    status_queries = [
        call
        for call in youtube_standin.calls("/upload/sessions/")
        if call.headers.get("content-range", "")[:8] == "bytes */"
    ]
    assert len(status_queries) == 1  # it asked how far the upload got, then went on from there
