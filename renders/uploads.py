"""Scene images a creator uploads: checked, then stored under the creator's own upload prefix.

A plan refers to an upload by its storage name (`uploads/<user id>/<uuid>.png`). Every place that
takes such a name from a person (a plan's `image`, the studio's hidden field, the preview URL,
a script draft's `pictures`) and the worker that opens it ask `is_own_upload`, so a creator can
never point a job at someone else's file or at anything outside their uploads.
"""

from __future__ import annotations

import re
import uuid
from typing import IO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import File
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

from renders.pipeline.images import MAX_UPLOAD_PIXELS

UPLOADS_DIR = "uploads"

# The file part of an upload's name: what store_image_upload makes (`<uuid hex>.<ext>`, or the
# storage's `_<suffix>` variant) and nothing else. ASCII letters, digits, `_` and `-`, one
# optional extension: no `.` or `..` segment, no `/`, backslash, `%`, `~`, space, control character
# or non-ASCII letter can pass, so there is nothing for a storage backend to decode or normalise.
_UPLOAD_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,200}(?:\.[A-Za-z0-9]{1,10})?", re.ASCII)


def upload_prefix(owner: AbstractBaseUser) -> str:
    return f"{UPLOADS_DIR}/{owner.pk}/"


# Pillow format name -> the extension the stored file gets (never the client's file name).
ALLOWED_IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class UploadRejected(ValueError):
    """The file is not an image we accept; the message says why and what to do."""


def check_image_upload(upload: IO[bytes], *, size: int) -> str:
    """Return the extension for a valid JPEG, PNG or WebP upload, or raise UploadRejected.

    Reads the bytes with Pillow (`verify`), so a renamed PDF or a truncated file is refused
    whatever its name or declared content type says. A picture of more than MAX_UPLOAD_PIXELS
    (the most the render step opens) is refused here, not when a job is already rendering.
    """
    limit = settings.MAX_UPLOAD_IMAGE_BYTES
    if size > limit:
        raise UploadRejected(
            f"The image is {human_size(size)}; the limit is {human_size(limit)}. "
            "Save it smaller (e.g. as JPEG) and upload it again."
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format or ""
            width, height = image.size
            if width * height <= MAX_UPLOAD_PIXELS:
                image.verify()
    except Image.DecompressionBombError:
        raise UploadRejected(_too_many_pixels("far too many pixels")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadRejected("This file is not a readable image. Upload a JPEG, PNG or WebP picture.") from None
    finally:
        upload.seek(0)
    if width * height > MAX_UPLOAD_PIXELS:
        raise UploadRejected(_too_many_pixels(f"{width}×{height} pixels"))
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise UploadRejected(f"{image_format or 'This'} images are not supported. Upload a JPEG, PNG or WebP picture.")
    return ALLOWED_IMAGE_FORMATS[image_format]


def _too_many_pixels(what: str) -> str:
    megapixels = MAX_UPLOAD_PIXELS // 1_000_000
    return (
        f"The image is {what}; the limit is {megapixels} megapixels. "
        "Scale it down (a 4K frame is about 8 megapixels) and upload it again."
    )


def human_size(size: int) -> str:
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def store_image_upload(*, owner: AbstractBaseUser, upload: IO[bytes], extension: str) -> str:
    """Save a checked upload under the owner's prefix with a fresh name; return the storage name."""
    name = f"{upload_prefix(owner)}{uuid.uuid4().hex}.{extension}"
    upload.seek(0)
    return default_storage.save(name, File(upload))


def is_own_upload(*, owner: AbstractBaseUser, name: object) -> bool:
    """Whether `name` is exactly `uploads/<owner id>/<file>`, a name this owner's uploads can have.

    The one rule for names that come from a person. Nothing is normalised first: a name that is
    not already in this exact form (`uploads/1/../2/x.png`, `%2e%2e`, a leading `/`, a backslash)
    is refused, whatever a backend would have made of it. Says nothing about whether the file
    still exists; callers that need it ask the storage.
    """
    if not isinstance(name, str) or owner.pk is None:
        return False
    prefix = upload_prefix(owner)
    return name.startswith(prefix) and _UPLOAD_FILE.fullmatch(name[len(prefix) :]) is not None


def upload_problem(*, owner: AbstractBaseUser, name: str) -> str:
    """Why `name` cannot be used as this owner's picture, or "" when it can."""
    if not is_own_upload(owner=owner, name=name):
        return (
            f"must name a picture you uploaded, exactly as stored ({upload_prefix(owner)}<file>); "
            "pictures are uploaded with a scene's picture field on the studio's New video page"
        )
    if not default_storage.exists(name):
        return "this uploaded picture is no longer stored; upload it again in the studio"
    return ""
