"""The WSGI entry point a gunicorn worker loads before it accepts its first request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHECK = """
import gc
import sys
import bhakti.wsgi
assert gc.get_freeze_count() > 10_000, "what the boot loaded is still in the collector's generations"
from django.db import connections
assert "bhakti.urls" in sys.modules and "renders.api.views" in sys.modules, "the URLconf is not loaded"
from django.urls import get_resolver
from django.utils.translation import get_language
def unfilled(resolver):  # the root first: reading namespace_dict would fill the tables itself
    missing = [] if get_language() in resolver._reverse_dict else [str(resolver.urlconf_name)]
    return missing + [name for _, sub in resolver.namespace_dict.values() for name in unfilled(sub)]
left = unfilled(get_resolver())
assert not left, f"reverse tables left for the first reverse(): {left}"
assert len(get_resolver().namespace_dict) >= 5, "the namespaced URLconfs were not looked at"
assert all(connection.connection is None for connection in connections.all()), "a database connection was opened"
for sdk in ("openai", "googleapiclient", "google_auth_oauthlib"):
    assert sdk not in sys.modules, f"{sdk} was imported"
print("ok")
"""


def test_it_loads_the_urlconf_at_boot_without_connecting_or_importing_provider_sdks(tmp_path):
    # Reverse tables too: the first creation (its Location header) no longer builds them (~40 ms).
    # The first poll a worker serves no longer waits ~0.3-1 s for the URLconf and the views; the
    # SDKs load with their first call: OpenAI's (~40 MB, ~0.4-1 s) and Google's for YouTube (the admin
    # used to import them through the publishing services): a web process boots in ~115 MB, not ~146.
    env = {**os.environ, "BHAKTI_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "bhakti.settings"}
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")
