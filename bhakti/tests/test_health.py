"""/healthz is liveness only; /readyz checks database, broker, cache, storage, ffmpeg and disk."""

from __future__ import annotations

import pytest

from bhakti import health

PROBE = {"Authorization": "Bearer probe-token"}


@pytest.fixture(autouse=True)
def _probe_token(settings) -> None:
    settings.METRICS_TOKEN = "probe-token"


@pytest.fixture(autouse=True)
def _fresh_ffmpeg_check():
    health._ffmpeg_checked.clear()
    yield
    health._ffmpeg_checked.clear()


def test_it_answers_healthz_without_touching_the_database(client):
    # No `db` fixture: pytest-django fails any query, so this proves liveness has no dependencies.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_it_is_ready_when_everything_answers(client):
    response = client.get("/readyz", headers=PROBE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "cache", "storage", "ffmpeg", "disk"}
    assert all(value.startswith("ok") for value in body["checks"].values())


@pytest.mark.django_db
def test_it_stays_ready_but_warns_about_a_shut_down_model_and_a_retired_voice(client, settings):
    settings.OPENAI_API_KEY = "sk-configured"
    settings.IMAGE_PROVIDERS = ["openai", "local"]
    settings.OPENAI_IMAGE_MODEL = "gpt-image-1"
    settings.ELEVENLABS_API_KEY = "el-configured"
    settings.SPEECH_PROVIDERS = ["elevenlabs", "espeak"]
    settings.ELEVENLABS_VOICES = {"en-female": "21m00Tcm4TlvDq8ikWAM"}
    assert "warnings" not in client.get("/readyz").json()  # details, like the checks: token or staff
    response = client.get("/readyz", headers=PROBE)
    assert response.status_code == 200, response.content
    assert response.json()["warnings"] == [
        "OPENAI_IMAGE_MODEL=gpt-image-1: gpt-image-1 was shut down on 2026-10-23; use gpt-image-2.5-flare or "
        "gpt-image-2.5-sunburst",
        "ELEVENLABS_VOICES en-female=21m00Tcm4TlvDq8ikWAM: Rachel, retired in 2026 (the API answers 404); pick a "
        "current voice",
    ]


@pytest.mark.django_db
def test_the_defaults_with_keys_set_give_no_image_or_chat_warning(client, settings):
    settings.OPENAI_API_KEY = "sk-configured"
    settings.IMAGE_PROVIDERS = ["openai", "local"]
    settings.ELEVENLABS_API_KEY = "el-configured"
    settings.SPEECH_PROVIDERS = ["elevenlabs", "espeak"]
    body = client.get("/readyz", headers=PROBE).json()
    assert "checks" in body
    assert "warnings" not in body


@pytest.mark.django_db
def test_it_is_not_ready_when_the_disk_is_nearly_full(client, settings):
    settings.READY_MIN_FREE_DISK_MB = 10**12  # more than any disk has
    response = client.get("/readyz", headers=PROBE)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert [failure["check"] for failure in body["failed"]] == ["disk"]
    assert "need at least" in body["failed"][0]["error"]


@pytest.mark.django_db
def test_it_is_not_ready_when_storage_cannot_be_written(client, settings, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the media directory should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": blocker}},
    }
    response = client.get("/readyz", headers=PROBE)
    assert response.status_code == 503
    failed = {failure["check"]: failure["error"] for failure in response.json()["failed"]}
    assert list(failed) == ["storage"]
    assert "NotADirectoryError" in failed["storage"] or "FileExistsError" in failed["storage"]


@pytest.mark.django_db
def test_it_is_not_ready_when_ffmpeg_does_not_run(client, monkeypatch, tmp_path):
    import imageio_ffmpeg

    broken = tmp_path / "ffmpeg"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", lambda: str(broken))
    response = client.get("/readyz", headers=PROBE)
    assert response.status_code == 503
    assert response.json()["failed"] == [{"check": "ffmpeg", "error": "RuntimeError: ffmpeg -version exited 3"}]
    assert response.json()["checks"]["database"].startswith("ok")


@pytest.mark.django_db
def test_it_is_not_ready_without_the_broker_table(client):
    from django.db import connection

    with connection.cursor() as cursor:  # as after a deploy that forgot `migrate`
        cursor.execute("ALTER TABLE django_q_ormq RENAME TO django_q_ormq_away")
    try:
        response = client.get("/readyz", headers=PROBE)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE django_q_ormq_away RENAME TO django_q_ormq")
    assert response.status_code == 503
    assert [failure["check"] for failure in response.json()["failed"]] == ["broker"]


@pytest.mark.django_db
def test_it_shows_readiness_details_only_to_the_token_or_staff(client, alice, settings):
    anonymous = client.get("/readyz")
    assert anonymous.status_code == 200 and anonymous.json() == {"status": "ok"}
    assert client.get("/readyz", headers={"Authorization": "Bearer wrong"}).json() == {"status": "ok"}
    client.force_login(alice)
    assert client.get("/readyz").json() == {"status": "ok"}  # a creator is not an operator
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    assert set(client.get("/readyz").json()["checks"]) >= {"database", "storage"}


@pytest.mark.django_db
def test_it_says_unavailable_without_details_to_anyone_else(client, settings):
    settings.READY_MIN_FREE_DISK_MB = 10**12
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}  # no paths, versions or backend names
