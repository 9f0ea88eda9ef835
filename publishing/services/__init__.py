"""Writes for publishing: connecting channels, scheduling, canceling, retrying and uploading.

Web views, API views, admin actions and the every-minute task all call these. Uploads run in
django-q2 workers, enqueued after commit; each step's result is stored as it completes, so a
retry continues where the last attempt stopped and the video is never uploaded twice.

`channels` holds the OAuth side, `scheduling` the creator's actions and the every-minute task,
`uploads` the worker. Callers import from this package.
"""

from publishing.services.channels import channel_connect, channel_disconnect
from publishing.services.scheduling import (
    PublishActionError,
    enqueue_due_publications,
    footage_credits,
    publication_cancel,
    publication_retry,
    publication_schedule,
)
from publishing.services.uploads import upload_publication

__all__ = [
    "PublishActionError", "channel_connect", "channel_disconnect", "enqueue_due_publications",
    "footage_credits", "publication_cancel", "publication_retry", "publication_schedule",
    "upload_publication",
]  # fmt: skip
