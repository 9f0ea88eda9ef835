"""renders.error_text: what a creator reads keeps its sense and loses server paths and others' keys."""

from __future__ import annotations

import pytest
from django.conf import settings

from conftest import tiny_plan_data
from renders.error_text import OTHERS_FILE, SERVER_PATH, public_error_text
from renders.models import RenderJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(alice) -> RenderJob:
    return RenderJob.objects.create(owner=alice, title="Prahlad", plan=tiny_plan_data())


def test_it_turns_server_paths_into_file_names(job):
    work = settings.RENDER_WORK_DIR / str(job.pk)
    text = f"cannot identify image file '{work}/uploads/lamp.png'"
    assert public_error_text(text, job=job) == "cannot identify image file 'lamp.png'"
    text = "[Errno 2] No such file or directory: '/srv/bhakti/var/cache/speech/ab12.wav'"
    assert public_error_text(text, job=job) == "[Errno 2] No such file or directory: 'ab12.wav'"
    assert public_error_text(f"disk full under {settings.MEDIA_ROOT}", job=job) == f"disk full under {SERVER_PATH}"


def test_it_keeps_the_owners_own_keys_and_hides_everyone_elses(job, alice, bob):
    mine, this_job = f"uploads/{alice.pk}/{'a' * 32}.png", f"jobs/{job.pk}/video.mp4"
    assert public_error_text(f"{mine} is gone", job=job) == f"{mine} is gone"
    assert public_error_text(f"{this_job} is gone", job=job) == f"{this_job} is gone"
    for theirs in [
        f"uploads/{bob.pk}/{'c' * 32}.png",
        f"uploads/{alice.pk}/../{bob.pk}/{'c' * 32}.png",
        "jobs/0b5a7f3e-1d2c-4e6f-8a9b-0c1d2e3f4a5b/scene_00.jpg",
        f"{settings.MEDIA_ROOT}/uploads/{bob.pk}/x.png",
    ]:
        assert public_error_text(f"could not open {theirs}.", job=job) == f"could not open {OTHERS_FILE}."


def test_it_leaves_links_and_plain_sentences_alone(job):
    text = "Could not reach https://www.googleapis.com/upload/youtube/v3/videos (timed out). Retry in 2/3 minutes."
    assert public_error_text(text, job=job) == text
    assert public_error_text("", job=job) == ""
