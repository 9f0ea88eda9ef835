"""Error and log text a creator sees, with what belongs to the server or to others taken out.

A job's error and log lines often carry an exception's own words, and those name files: the
media root, the work and cache directories, another creator's storage key. `public_error_text`
keeps the sentence and drops what the creator must not learn: a server path becomes the file's
own name, a storage key of another account or job becomes a placeholder. Operators still find
the full text in the worker's log.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from django.conf import settings

from renders.models import RenderJob
from renders.uploads import UPLOADS_DIR

OTHERS_FILE = "[a file that is not yours]"
SERVER_PATH = "[server path]"

# An absolute POSIX path of at least two parts, not inside a URL (`https://host/a/b` is preceded
# by `:`, `/` or a word character at each of its slashes).
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:[^\s'\"/:,;()\[\]<>]+/)+([^\s'\"/:,;()\[\]<>]*)")
_UPLOAD_KEY = re.compile(rf"(?<![\w/]){UPLOADS_DIR}/([^\s'\"/]+)/[^\s'\"]*")
_JOB_KEY = re.compile(r"(?<![\w/])jobs/([^\s'\"/]+)/[^\s'\"]*")


def _server_roots() -> list[str]:
    """Directories whose absolute names must not show, longest first (the most specific wins)."""
    roots = {
        settings.MEDIA_ROOT,
        settings.RENDER_WORK_DIR,
        settings.RENDER_CACHE_DIR,
        getattr(settings, "DATA_DIR", ""),
        settings.BASE_DIR,
        tempfile.gettempdir(),
    }
    names = {str(Path(root)).rstrip("/") for root in roots if root}
    return sorted((name for name in names if len(name) > 1), key=len, reverse=True)


def public_error_text(text: str, *, job: RenderJob) -> str:
    """`text` fit to show the job's owner: no absolute server path, no storage key of anyone else."""
    if not text:
        return text
    for root in _server_roots():
        # A configured root becomes a relative name: a storage key (judged below) or a work file.
        text = text.replace(root + "/", "").replace(root, SERVER_PATH)
    text = _ABSOLUTE_PATH.sub(lambda match: match.group(1) or SERVER_PATH, text)
    text = _UPLOAD_KEY.sub(lambda match: _keep_if(match, str(job.owner_id)), text)
    return _JOB_KEY.sub(lambda match: _keep_if(match, str(job.pk)), text)


def _keep_if(key: re.Match[str], own: str) -> str:
    # `uploads/<me>/../<them>/x.png` starts like the owner's own key but is not.
    return key.group(0) if key.group(1) == own and ".." not in key.group(0) else OTHERS_FILE
