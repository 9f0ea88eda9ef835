"""Shared fixtures. Named actors: alice owns things, bob is another creator, charlie an outsider."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import transaction


def pytest_configure(config: pytest.Config) -> None:
    """Fast password hashing, no HTTPS redirect; on the production-settings pass, a Redis database per xdist worker
    (and one for the `processes` tests' own pytest).

    Settings are imported before this runs, but the cache connection is made lazily, so the
    LOCATION can still change. Without this, one worker's cache.clear() (a FLUSHDB) would wipe
    another worker's throttle counters mid-test.
    """
    from django.conf import settings

    # Users are created in most tests; the real hasher costs ~0.3 s a password on this machine.
    # Production keeps Django's default (PBKDF2); nothing in the suite depends on which it is.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The production pass runs with DEBUG off, which redirects plain HTTP to HTTPS; the test client
    # and the browser test's live server speak plain HTTP. Tests of the redirect turn it back on.
    settings.SECURE_SSL_REDIRECT = False
    if not getattr(settings, "REDIS_URL", ""):
        return
    from urllib.parse import urlparse

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    # scripts/test.sh runs the `processes` tests in a pytest of their own beside the xdist workers;
    # BHAKTI_TEST_REDIS_OFFSET moves that one's workers past the others' databases.
    worker = str(int(worker or 0) + int(os.environ.get("BHAKTI_TEST_REDIS_OFFSET", "0")))
    parsed = urlparse(settings.REDIS_URL)
    base_db = int(parsed.path.lstrip("/") or 0)
    location = parsed._replace(path=f"/{base_db + int(worker or 0)}").geturl()
    settings.CACHES["default"]["LOCATION"] = location
    from django.core.cache import cache

    cache.clear()  # throttle counters left by an earlier run in the same minute would skew this one


@pytest.fixture(autouse=True, scope="session")
def _test_connections_stay_open() -> Iterator[None]:
    """Never let a request's end close the connection that holds a test's transaction.

    Django's test client shields its own requests from close_old_connections; WSGI callers that
    bypass it (schemathesis' WSGI transport, for one) would close a connection inside the test's
    transaction, because it is not in autocommit. In-memory SQLite ignores the close, so only
    the PostgreSQL pass showed it ("the connection is closed"). Outside a transaction (as in
    production, and in transactional tests) connections are closed as usual.
    """
    from django.db.backends.base.base import BaseDatabaseWrapper

    original = BaseDatabaseWrapper.close_if_unusable_or_obsolete

    def close_unless_in_a_transaction(self: BaseDatabaseWrapper) -> None:
        if not self.in_atomic_block:
            original(self)

    BaseDatabaseWrapper.close_if_unusable_or_obsolete = close_unless_in_a_transaction
    yield
    BaseDatabaseWrapper.close_if_unusable_or_obsolete = original


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Counters in the cache (render rate, unknown API keys, sign-ups and resets per address) are
    keyed by user ids and 127.0.0.1, which repeat from test to test: each test starts from none."""
    from django.core.cache import cache

    from bhakti.near_cache import clear_all

    cache.clear()
    clear_all()  # the in-process layer in front of a shared cache (the production pass's Redis)


@pytest.fixture(autouse=True)
def _isolated_render_dirs(settings, tmp_path: Path) -> None:
    # Each test renders into its own directories; media too, so nothing leaks between tests.
    settings.RENDER_WORK_DIR = tmp_path / "work"
    settings.RENDER_CACHE_DIR = tmp_path / "cache"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROXY_SHORT_SIDE = 144


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3 endpoint on 127.0.0.1: the pass's shared stand-in (scripts/test.sh), else moto here."""
    if os.environ.get("BHAKTI_TEST_S3") and os.environ.get("S3_ENDPOINT"):
        yield os.environ["S3_ENDPOINT"]
        return
    import warnings

    warnings.filterwarnings("ignore", message=".*moto\\[server\\].*")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_endpoint: str) -> object:
    """Media on S3 (the presigning backend production uses) in a bucket of this test's own."""
    import uuid

    import boto3

    bucket = f"test-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    ).create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "bhakti.storage.PresignedS3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "signature_version": "s3v4",
                "addressing_style": "path",
                "querystring_auth": True,
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    from django.core.files.storage import default_storage

    return default_storage


@pytest.fixture(autouse=True)
def _local_media_unless_s3(request: pytest.FixtureRequest, settings) -> None:
    """On the production pass, media stays on S3 only for tests that ask for `s3_storage`.

    Many view tests assert what local files give (streamed bodies, byte ranges) where S3 gives a
    presigned redirect instead; S3 itself is covered by the `s3_storage` tests, by the workers'
    subprocesses (which inherit the S3 settings) and by /readyz.
    """
    if "s3_storage" in request.fixturenames or not settings.STORAGES["default"]["BACKEND"].endswith("S3Storage"):
        return
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


@pytest.fixture
def committed_renders(monkeypatch) -> list[str]:
    """Stands in for the render queue: the ids of jobs whose render task was enqueued and committed.

    The ORM broker writes a job's task inside the job's transaction (renders.services.
    enqueue_render_with_transaction), so the task exists only once that commits; a test sees the
    commit through django_capture_on_commit_callbacks(execute=True). Nothing is rendered.
    """
    calls: list[str] = []

    def enqueue(*, job_id: str, not_before: object = None) -> None:
        transaction.on_commit(lambda: calls.append(job_id))

    monkeypatch.setattr("renders.services.enqueue_render", enqueue)
    return calls


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice", "alice@example.com", "alice-pass-123")


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user("bob", "bob@example.com", "bob-pass-123")


@pytest.fixture
def charlie(db) -> User:
    return User.objects.create_user("charlie", "charlie@example.com", "charlie-pass-123")


def tiny_plan_data(**overrides: object) -> dict:
    """A valid two-scene proxy plan that renders in a second or two."""
    data: dict = {
        "title": "Prahlad",
        "topic": "Prahlad's devotion",
        "language": "en",
        "voice": "female",
        "style": "temple-painting",
        "aspect": "16:9",
        "resolution": "720p",
        "mode": "proxy",
        "music": "tanpura",
        "watermark": "br",
        "scenes": [
            {"image_prompt": "a child praying by a river at dawn", "narration": "Prahlad prayed.", "duration_sec": 1.5},
            {
                "image_prompt": "a palace at night with fire",
                "narration": "The fire did not burn him.",
                "duration_sec": 1.5,
            },
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def plan_data() -> dict:
    return tiny_plan_data()
