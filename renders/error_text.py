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


def _server_roots() -> list[tuple[str, bool]]:
    """(directory, is the media root) for every directory whose absolute name must not show,
    longest first, so the most specific one wins (the media root sits inside the data directory)."""
    roots = {
        settings.MEDIA_ROOT,
        settings.RENDER_WORK_DIR,
        settings.RENDER_CACHE_DIR,
        getattr(settings, "DATA_DIR", ""),
        settings.BASE_DIR,
        tempfile.gettempdir(),
    }
    media = str(Path(settings.MEDIA_ROOT)).rstrip("/")
    names = {str(Path(root)).rstrip("/") for root in roots if root}
    return sorted(((name, name == media) for name in names if len(name) > 1), key=lambda item: -len(item[0]))


def public_error_text(text: str, *, job: RenderJob) -> str:
    """`text` fit to show the job's owner: no absolute server path, no storage key of anyone else."""
    if not text:
        return text
    for root, is_media in _server_roots():
        if is_media:
            # A file in the media root is a storage key: judged below like any other key.
            text = text.replace(root + "/", "")
        text = re.sub(re.escape(root) + r"(?:/([^\s'\"]*))?", _file_name, text)
    text = _ABSOLUTE_PATH.sub(lambda match: match.group(1) or SERVER_PATH, text)
    text = _UPLOAD_KEY.sub(lambda match: _keep_if(match, str(job.owner_id)), text)
    return _JOB_KEY.sub(lambda match: _keep_if(match, str(job.pk)), text)


def _file_name(path: re.Match[str]) -> str:
    rest = (path.group(1) or "").rstrip("/")
    return rest.rsplit("/", 1)[-1] or SERVER_PATH


def _keep_if(key: re.Match[str], own: str) -> str:
    whole = key.group(0)
    name = whole.rstrip(".,;:)]")  # the sentence's punctuation is not part of the key
    # `uploads/<me>/../<them>/x.png` starts like the owner's own key but is not.
    kept = key.group(1) == own and ".." not in name
    return (name if kept else OTHERS_FILE) + whole[len(name) :]
