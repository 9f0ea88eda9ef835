"""The WSGI entry point a gunicorn worker loads before it accepts its first request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHECK = """
import sys
import bhakti.wsgi
from django.db import connections
assert "bhakti.urls" in sys.modules and "renders.api.views" in sys.modules, "the URLconf is not loaded"
assert all(connection.connection is None for connection in connections.all()), "a database connection was opened"
assert "openai" not in sys.modules, "the OpenAI SDK was imported"
print("ok")
"""


def test_it_loads_the_urlconf_at_boot_without_connecting_or_importing_the_openai_sdk(tmp_path):
    # The first poll a worker serves no longer waits ~0.3-1 s for the URLconf and the views; the
    # SDK (~40 MB, ~0.4-1 s) loads with the first OpenAI call, which web requests rarely make.
    env = {**os.environ, "BHAKTI_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "bhakti.settings"}
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")
