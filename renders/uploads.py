"""Scene images a creator uploads: checked, then stored under the creator's own upload prefix.

A picture uploaded through POST /api/v1/uploads (or the studio's photo flow) gets an `Upload`
record and an opaque id (`up_…`); `create_upload` stores it and `get_own_upload` is the only way
back from an id to a record, among the caller's own unexpired uploads.

A plan refers to an upload by its id or by its storage name (`uploads/<user id>/<uuid>.png`). Every place that
takes such a name from a person (a plan's `image`, the studio's hidden field, the preview URL,
a script draft's `pictures`) and the worker that opens it ask `is_own_upload`, so a creator can
never point a job at someone else's file or at anything outside their uploads.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from renders.models import Upload
from renders.pipeline.images import MAX_UPLOAD_PIXELS
from renders.pipeline.plan import PlanError

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
    """The file is not an image we accept; the message says why and what to do. `code` is stable
    for the API: `upload_too_large` (bytes), `too_many_pixels`, `not_an_image`, `unsupported_format`."""

    def __init__(self, message: str, *, code: str = "not_an_image"):
        self.code = code
        super().__init__(message)


class UploadNotFound(PlanError):
    """An upload id (in `field`, e.g. `scenes[2].image` or `photos[0]`) that is not one of the
    caller's live uploads: unknown, another user's, or expired. A PlanError, so every form that
    shows plan errors shows this one under its field; the API answers it with a 404."""

    code = "upload_not_found"

    def __init__(self, *, field: str, upload_id: object):
        self.field = field
        self.message = (
            f"{field}: there is no upload {str(upload_id)[:40]!r} of yours; it may have expired "
            f"(unused uploads are kept {settings.UPLOAD_UNUSED_TTL_HOURS} h). Upload the picture again."
        )
        super().__init__({field: self.message})


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
            "Save it smaller (e.g. as JPEG) and upload it again.",
            code="upload_too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format or ""
            width, height = image.size
            if width * height <= MAX_UPLOAD_PIXELS:
                image.verify()
    except Image.DecompressionBombError:
        raise UploadRejected(_too_many_pixels("far too many pixels"), code="too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadRejected("This file is not a readable image. Upload a JPEG, PNG or WebP picture.") from None
    finally:
        upload.seek(0)
    if width * height > MAX_UPLOAD_PIXELS:
        raise UploadRejected(_too_many_pixels(f"{width}×{height} pixels"), code="too_many_pixels")
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise UploadRejected(
            f"{image_format or 'This'} images are not supported. Upload a JPEG, PNG or WebP picture.",
            code="unsupported_format",
        )
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


# The EXIF tag that says which way up the camera was held; 1 is "already upright".
_EXIF_ORIENTATION = 0x0112
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 92},
    "PNG": {"optimize": False},
    "WEBP": {"quality": 90},
}


def _upright(upload: IO[bytes]) -> tuple[IO[bytes], int, int, str]:
    """The upload with its pixels turned upright, its width, height and Pillow format.

    A phone photo is often stored sideways with an EXIF orientation saying how to turn it; every
    later reader (the renderer, a browser showing the preview, the chat model) would have to
    honour that tag. Turned once here and re-saved without it, the stored pixels are upright and
    the recorded width and height are the ones the picture is seen at.
    """
    upload.seek(0)
    with Image.open(upload) as image:
        image_format = image.format or ""
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
        if orientation in (None, 1):
            width, height = image.size
            upload.seek(0)
            return upload, width, height, image_format
        image.load()
        turned = ImageOps.exif_transpose(image)
    buffer = io.BytesIO()
    if image_format == "JPEG" and turned.mode not in ("RGB", "L", "CMYK"):
        turned = turned.convert("RGB")
    turned.save(buffer, image_format, **_SAVE_OPTIONS.get(image_format, {}))
    buffer.seek(0)
    return buffer, turned.width, turned.height, image_format


def create_upload(*, owner: User, upload: IO[bytes], size: int) -> Upload:
    """Check, turn upright, store and record one picture; raise UploadRejected saying why not.

    `size` is the byte count the client sent (checked against MAX_UPLOAD_IMAGE_BYTES before
    anything is decoded). The record's `size_bytes` is what was stored.
    """
    extension = check_image_upload(upload, size=size)
    try:
        upright, width, height, image_format = _upright(upload)
    except (OSError, ValueError, SyntaxError):
        raise UploadRejected("This file is not a readable image. Upload a JPEG, PNG or WebP picture.") from None
    data = upright.read()
    name = f"{upload_prefix(owner)}{uuid.uuid4().hex}.{extension}"
    stored = default_storage.save(name, ContentFile(data))
    now = timezone.now()
    return Upload.objects.create(
        owner=owner,
        name=stored,
        width=width,
        height=height,
        size_bytes=len(data),
        format=image_format.lower(),
        expires_at=now + timedelta(hours=settings.UPLOAD_UNUSED_TTL_HOURS),
    )


def get_own_upload(*, owner: User, upload_id: object) -> Upload:
    """The owner's upload with this id; Upload.DoesNotExist when there is none, it is another
    user's, or it expired unused (all alike, so an id says nothing about other people's uploads)."""
    if not isinstance(upload_id, str) or not upload_id.startswith("up_") or owner.pk is None:
        raise Upload.DoesNotExist(f"No upload {upload_id!r}.")
    upload = Upload.objects.filter(pk=upload_id, owner=owner).first()
    if upload is None or (upload.used_at is None and upload.expires_at <= timezone.now()):
        raise Upload.DoesNotExist(f"No upload {upload_id!r}.")
    return upload


def is_upload_id(value: object) -> bool:
    """Whether a plan's `image` names an upload by id rather than by storage name or path."""
    return isinstance(value, str) and value.startswith("up_")


def mark_uploads_used(*, uploads: list[Upload]) -> None:
    """Record that a job uses these uploads, so expiry keeps them while a job refers to them."""
    now = timezone.now()
    Upload.objects.filter(pk__in=[upload.pk for upload in uploads], used_at__isnull=True).update(used_at=now)


def mark_names_used(*, owner: User, names: list[str]) -> None:
    """Mark the owner's uploads stored under these names used (a plan names them by storage name)."""
    if names:
        Upload.objects.filter(owner=owner, name__in=names, used_at__isnull=True).update(used_at=timezone.now())


def resolve_upload_ids(*, owner: User, plan_data: object) -> object:
    """The plan data with every scene `image` that is an upload id (`up_…`) replaced by that
    upload's storage name; raises UploadNotFound naming `scenes[N].image` for an id that is not
    the owner's live upload. Anything else (not a plan, a storage name) is left for validation."""
    if not isinstance(plan_data, dict) or not isinstance(plan_data.get("scenes"), list):
        return plan_data
    scenes = []
    for index, scene in enumerate(plan_data["scenes"]):
        if isinstance(scene, dict) and is_upload_id(scene.get("image")):
            try:
                upload = get_own_upload(owner=owner, upload_id=scene["image"])
            except Upload.DoesNotExist:
                raise UploadNotFound(field=f"scenes[{index}].image", upload_id=scene["image"]) from None
            scene = {**scene, "image": upload.name}
        scenes.append(scene)
    return {**plan_data, "scenes": scenes}


def delete_upload(*, upload: Upload) -> None:
    """Forget an upload: its id stops working. Its file goes too unless a job used it (a job's
    plan names the file, and a retry or a duplicate renders it again)."""
    if upload.used_at is None:
        default_storage.delete(upload.name)
    upload.delete()


def delete_expired_uploads() -> int:
    """Delete uploads no job used once they expire, file and record; return how many went."""
    expired = Upload.objects.filter(used_at__isnull=True, expires_at__lte=timezone.now())
    removed = 0
    for upload in expired.iterator(chunk_size=500):
        # The record first, and only if still unused: a job may have picked it up since the query.
        deleted, _ = Upload.objects.filter(pk=upload.pk, used_at__isnull=True).delete()
        if deleted:
            default_storage.delete(upload.name)
            removed += 1
    return removed
