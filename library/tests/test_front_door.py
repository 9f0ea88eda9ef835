"""The front door: what a logged-out visitor sees at /, and the sample videos this server renders."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from library.samples import SAMPLES, SAMPLES_USERNAME, ensure_sample_jobs, finished_samples
from renders.models import AssetKind, JobAsset, JobState, RenderJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    monkeypatch.setattr("renders.services.enqueue_render", lambda **_: None)


def _finish(job: RenderJob) -> tuple[JobAsset, JobAsset]:
    RenderJob.objects.filter(pk=job.pk).update(
        state=JobState.SUCCEEDED, started_at=timezone.now(), finished_at=timezone.now(), duration_sec=30.0
    )
    video = JobAsset(job=job, kind=AssetKind.VIDEO)
    video.file.save("video.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42 sample"), save=True)
    thumb = JobAsset(job=job, kind=AssetKind.THUMBNAIL)
    thumb.file.save("thumbnail.jpg", ContentFile(b"\xff\xd8\xff jpeg"), save=True)
    summary = JobAsset(job=job, kind=AssetKind.SUMMARY)
    summary.file.save("job_summary.json", ContentFile(b"{}"), save=True)
    return video, thumb


def test_a_stranger_sees_what_bhakti_makes_and_how_to_start(client):
    page = client.get("/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Devotional story videos, narrated in Hindi or English" in body
    assert f'href="{reverse("accounts:signup")}"' in body and f'href="{reverse("accounts:login")}"' in body
    assert "Prahlad" in body and 'lang="hi"' in body  # the gallery's first cards, both scripts
    assert 'data-testid="samples-pending"' in body  # nothing rendered yet: said so, no broken player


def test_a_creator_at_the_front_door_gets_their_videos(client, alice):
    client.force_login(alice)
    body = client.get("/").content.decode()
    assert "My videos" in body and "Sign up free" not in body


def test_samples_are_queued_once_for_an_account_that_cannot_log_in(settings):
    assert ensure_sample_jobs() == len(SAMPLES)
    assert ensure_sample_jobs() == 0  # queued already: nothing twice
    jobs = RenderJob.objects.filter(owner__username=SAMPLES_USERNAME)
    assert sorted(jobs.values_list("language", flat=True)) == sorted(language for _, language in SAMPLES)
    assert all(job.plan["mode"] == "final" and job.plan["resolution"] == "720p" for job in jobs)
    owner = jobs.first().owner
    assert not owner.is_active and not owner.has_usable_password()
    # A failed sample is queued again on the next start.
    failed = jobs.first()
    RenderJob.objects.filter(pk=failed.pk).update(state=JobState.FAILED)
    assert ensure_sample_jobs() == 1
    settings.SAMPLE_VIDEOS = False
    call_command("queue_samples")
    assert RenderJob.objects.filter(owner__username=SAMPLES_USERNAME).count() == len(SAMPLES) + 1


def test_finished_samples_play_on_the_front_door_and_nothing_else_is_public(client, alice):
    ensure_sample_jobs()
    jobs = list(RenderJob.objects.filter(owner__username=SAMPLES_USERNAME))
    video, thumb = _finish(jobs[0])
    assert [sample.job.pk for sample in finished_samples()] == [jobs[0].pk]

    body = client.get("/").content.decode()
    video_url = reverse("library:sample_file", args=[jobs[0].pk, video.pk])
    assert f'src="{video_url}"' in body
    assert f'poster="{reverse("library:sample_file", args=[jobs[0].pk, thumb.pk])}"' in body
    response = client.get(video_url, HTTP_RANGE="bytes=0-3")
    assert response.status_code == 206 and b"".join(response.streaming_content) == b"\x00\x00\x00\x18"

    summary = JobAsset.objects.get(job=jobs[0], kind=AssetKind.SUMMARY)
    assert client.get(reverse("library:sample_file", args=[jobs[0].pk, summary.pk])).status_code == 404
    # A creator's own video is never served by the samples' door.
    from renders.tests.api.conftest import make_job

    private = make_job(alice)
    private_video, _ = _finish(private)
    assert client.get(reverse("library:sample_file", args=[private.pk, private_video.pk])).status_code == 404
