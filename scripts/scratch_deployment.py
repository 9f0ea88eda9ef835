"""A throwaway deployment for the measuring scripts (scripts/measure_*.py): not a test helper.

`start_scratch_deployment` points BHAKTI_DATA_DIR at a fresh temporary directory (SQLite, media,
work dir and segment cache all new), sets Django up, migrates, makes enqueued renders a no-op (the
script runs each job inline, as a worker would) and creates one user to measure as. The caller
removes the directory when done.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def start_scratch_deployment(prefix: str, **environ: str) -> tuple[str, User]:
    """The data directory and the user; `environ` is set before Django reads its settings."""
    data_dir = tempfile.mkdtemp(prefix=prefix)
    os.environ["BHAKTI_DATA_DIR"] = data_dir
    os.environ.update(environ)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bhakti.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from renders import services

    call_command("migrate", verbosity=0)

    def run_inline(*, job_id: str, not_before: object = None) -> None:
        """Each job is run inline by the script, as a worker would: nothing is enqueued."""

    services.enqueue_render = run_inline  # type: ignore[assignment]
    return data_dir, User.objects.create_user("measure", "measure@example.com", "measure-pass-123")
