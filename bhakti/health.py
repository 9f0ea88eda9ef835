"""Liveness and readiness probes.

/healthz answers as long as the process serves requests: it touches nothing else, so a database
outage never gets every web process restarted by the orchestrator.
/readyz checks what a request or a render needs: database, broker, storage, ffmpeg, free disk.
Anyone gets its verdict (the status code and "ok"/"unavailable"); which backends, versions and
errors lie behind it only a caller with the metrics token, or a staff session, sees.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bhakti.metrics_access import has_metrics_token

logger = logging.getLogger(__name__)

# The apps' configuration warnings (a shut-down model, a retired voice), added by their AppConfig.ready:
# the project's probe lists them without importing the apps.
WARNING_SOURCES: list[Callable[[], list[str]]] = []

FFMPEG_CHECK_TTL_SEC = 60.0  # spawning ffmpeg on every probe would be wasteful; its binary rarely vanishes
_ffmpeg_checked: dict[str, float | str] = {}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    failed: list[dict[str, str]] = []
    for name, check in READINESS_CHECKS:
        started = time.monotonic()
        try:
            # Each check in its own transaction: one failed query must not poison the next check.
            with transaction.atomic():
                detail = check()
        except Exception as error:  # noqa: BLE001 - a probe reports every failure, whatever its kind
            logger.warning("readiness check %s failed: %s", name, error)
            failed.append({"check": name, "error": f"{type(error).__name__}: {error}"[:300]})
            checks[name] = "failed"
        else:
            checks[name] = f"ok ({detail}, {(time.monotonic() - started) * 1000:.0f} ms)" if detail else "ok"
    details = has_metrics_token(request) or (request.user.is_authenticated and request.user.is_staff)
    body: dict[str, object] = {"status": "unavailable" if failed else "ok"}
    if details:
        body.update({"failed": failed, "checks": checks} if failed else {"checks": checks})
        # Warnings never fail the probe: a shut-down model degrades renders to offline art, it
        # does not stop them. Like the checks, they are details for the token or staff only.
        if warnings := [warning for source in WARNING_SOURCES for warning in source()]:
            body["warnings"] = warnings
    return JsonResponse(body, status=503 if failed else 200)


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_broker() -> str:
    # The ORM broker's queue is a table in the database; a missing table (no migrate) fails here.
    from django_q.brokers import get_broker

    broker = get_broker()
    if not broker.ping():
        raise RuntimeError("the django-q broker did not answer")
    return f"{broker.queue_size()} waiting"


def check_cache() -> str:
    # With REDIS_URL set, throttles and django-q's monitor stats live there.
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return what was just written")
    cache.delete(key)
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def check_storage() -> str:
    name = default_storage.save(f"readyz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name, "rb") as handle:
            if handle.read() != b"ok":
                raise RuntimeError("storage returned other bytes than were written")
    finally:
        default_storage.delete(name)
    return default_storage.__class__.__name__  # the lazy wrapper reports the real backend's class


def check_ffmpeg() -> str:
    now = time.monotonic()
    if now - float(_ffmpeg_checked.get("at", -1e9)) < FFMPEG_CHECK_TTL_SEC:
        return str(_ffmpeg_checked["version"])
    import imageio_ffmpeg

    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-version"], capture_output=True, text=True, timeout=10
    )
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg -version exited {result.returncode}")
    version = result.stdout.split("\n", 1)[0].removeprefix("ffmpeg version ").split(" ", 1)[0]
    _ffmpeg_checked.update(at=now, version=version)
    return version


def check_disk() -> str:
    path = Path(settings.RENDER_WORK_DIR)
    while not path.exists() and path != path.parent:
        path = path.parent  # the work dir is made on the first render; measure the disk it will be on
    free_mb = shutil.disk_usage(path).free // (1024 * 1024)
    if free_mb < settings.READY_MIN_FREE_DISK_MB:
        raise RuntimeError(f"{free_mb} MB free under {path}, need at least {settings.READY_MIN_FREE_DISK_MB} MB")
    return f"{free_mb} MB free"


READINESS_CHECKS: list[tuple[str, Callable[[], str]]] = [
    ("database", check_database),
    ("broker", check_broker),
    ("cache", check_cache),
    ("storage", check_storage),
    ("ffmpeg", check_ffmpeg),
    ("disk", check_disk),
]
