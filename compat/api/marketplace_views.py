"""The marketplace's video calls (/api/video/…), as thin adapters over the photo path of /api/v1.

A seller's listing (title, description, category, price) and its photos become a narrated video
exactly as POST /api/v1/uploads then POST /api/v1/renders with `photos` would make it: the same
upload checks (all or nothing), `renders.photo_story` for the narration, job_create's quotas and
audit, the render start rate and the Idempotency-Key. The script call speaks the offline wording
of `renders.photo_story` for the listing as one piece, so it costs nothing and starts no job.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from bhakti.api.errors import ErrorSerializer, error_body
from bhakti.api.json_input import JsonInputSerializer
from bhakti.api.schema import RETRY_AFTER_PARAMETER, error_responses
from bhakti.api.views import JsonApiView
from compat import representations
from compat.api.schema import TAGS, describe
from compat.api.views import LegacyLanguageField, LegacyVoiceField, StartsJobs, caller
from renders.api.errors import PlanRejected
from renders.api.schema import IDEMPOTENCY_PARAMETERS, JOB_ID_PARAMETER
from renders.idempotency import idempotent
from renders.models import Upload
from renders.photo_story import (
    MAX_DESCRIPTION_CHARS,
    MAX_DETAIL_CHARS,
    MAX_PHOTOS,
    MAX_TITLE_CHARS,
    offline_narrations,
    photo_job_create,
)
from renders.pipeline.plan import MUSIC, PlanError
from renders.pipeline.spoken_length import estimate_speech_sec, scene_sec
from renders.selectors import job_get_for_user
from renders.services import plan_limits
from renders.uploads import UploadNotFound, UploadRejected, check_image_upload, create_upload, delete_upload

# Their multipart field; PHP-style clients send `images[]`.
IMAGE_FIELDS = ("images", "images[]")
MAX_CATEGORY_CHARS = 100


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}]})
class PriceField(serializers.Field):
    """A price as they send it: a number (`1999`, `49.99`) or text (`"₹1,999"`); spoken as given."""

    default_error_messages = {"invalid": "Must be a number or text."}

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, int | float | str | Decimal):
            self.fail("invalid")
        text = format(data, "g") if isinstance(data, float) and data.is_integer() else str(data)
        text = text.strip()
        if len(text) > MAX_DETAIL_CHARS:
            raise serializers.ValidationError(f"Ensure this field has no more than {MAX_DETAIL_CHARS} characters.")
        return text

    def to_representation(self, value: Any) -> str:
        return str(value)


def _details(price: str) -> dict[str, str]:
    return {"price": price} if price else {}


class ListingFields(serializers.Serializer):
    """The listing both calls take. Plain fields: the video call sends them as form parts (text)."""

    title = serializers.CharField(max_length=MAX_TITLE_CHARS, help_text="Opens the narration.")
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION_CHARS, allow_blank=True, default="", help_text="Its sentences are spoken in order."
    )
    category = serializers.CharField(
        max_length=MAX_CATEGORY_CHARS, allow_blank=True, default="", help_text="Accepted; not spoken."
    )
    price = PriceField(required=False, default="", help_text="Spoken as a detail: `Price: 1999.`")
    language = LegacyLanguageField(default="en")


# --- POST /api/video/generate-script ------------------------------------------------------------


class ScriptInput(ListingFields, JsonInputSerializer):
    class Meta:
        ref_name = "CompatMarketplaceScriptInput"


class ScriptOutput(serializers.Serializer):
    class Meta:
        ref_name = "CompatMarketplaceScript"

    success = serializers.BooleanField()
    script = serializers.CharField()
    estimatedDuration = serializers.FloatField(help_text="Seconds the narration takes to speak.")  # noqa: N815
    wordCount = serializers.IntegerField()  # noqa: N815
    cost = serializers.FloatField(help_text="What writing it cost: 0, the offline wording.")


def listing_script(*, title: str, description: str, price: str, language: str) -> str:
    """The narration the photo path speaks offline, as one piece: the title, the description's
    sentences, the price, the closing line."""
    parts = offline_narrations(
        count=1, title=title, description=description, details=_details(price), language=language
    )
    return parts[0]


class VideoScriptApi(JsonApiView):
    @extend_schema(
        tags=TAGS,
        summary="A listing's narration (marketplace)",
        operation_id="compat_video_script",
        description=describe(
            "the narration POST /api/video/generate speaks offline (renders/photo_story.py), written "
            "without photos or any paid call; no job is started."
        ),
        request=ScriptInput,
        responses={200: ScriptOutput, **error_responses(400, 415)},
    )
    def post(self, request: Request) -> Response:
        given = ScriptInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        if not data["title"].strip():
            raise serializers.ValidationError({"title": "Give the listing a title; it opens the narration."})
        script = listing_script(
            title=data["title"], description=data["description"], price=data["price"], language=data["language"]
        )
        speech = estimate_speech_sec(script, data["language"])
        seconds = scene_sec(0, speech, plan_limits().narration_padding_sec)
        body = {
            "success": True,
            "script": script,
            "estimatedDuration": round(seconds, 1),
            "wordCount": len(script.split()),
            "cost": 0.0,
        }
        return Response(body)


# --- POST /api/video/generate --------------------------------------------------------------------


class VideoInput(ListingFields):
    class Meta:
        ref_name = "CompatMarketplaceVideoInput"

    voice = LegacyVoiceField(required=False, help_text="`F` or `M` (or `female`, `male`).")
    music = serializers.ChoiceField(choices=MUSIC, required=False)


class VideoCreated(serializers.Serializer):
    class Meta:
        ref_name = "CompatMarketplaceVideoCreated"

    success = serializers.BooleanField()
    jobId = serializers.UUIDField()  # noqa: N815
    estimatedTime = serializers.IntegerField(help_text="Seconds: the queue wait plus the render.")  # noqa: N815


def _refused(index: int, name: str, error: UploadRejected) -> Response:
    # As POST /api/v1/uploads refuses a file, named by their field.
    field = f"images[{index}]"
    message = f"{field} ({name[:80]}): {error}"
    answer = (
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if error.code == "upload_too_large" else status.HTTP_400_BAD_REQUEST
    )
    return Response(error_body(error.code, message, errors={field: str(error)}), status=answer)


def _images(request: Request) -> list[UploadedFile] | Response:
    files: list[UploadedFile] = [file for name in IMAGE_FIELDS for file in request.FILES.getlist(name)]
    if not files:
        message = "Send the photos as multipart form parts named `images`."
        return Response(error_body("invalid", message, errors={"images": message}), status=400)
    most = min(MAX_PHOTOS, settings.MAX_UPLOADS_PER_REQUEST)
    if len(files) > most:
        message = f"At most {most} photos a video (got {len(files)})."
        return Response(error_body("too_many_files", message, errors={"images": message}), status=400)
    for index, file in enumerate(files):  # all checked before any is stored
        try:
            check_image_upload(file, size=file.size or 0)
        except UploadRejected as error:
            return _refused(index, file.name or "", error)
    return files


def _video_options(data: dict[str, Any]) -> dict[str, str]:
    return {key: str(data[key]) for key in ("voice", "music") if data.get(key)}


class VideoGenerateApi(StartsJobs):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAGS,
        summary="Make a listing's video from its photos (marketplace)",
        operation_id="compat_video_generate",
        description=describe(
            "POST /api/v1/uploads (the photos, parts named `images` or `images[]`, all or nothing) then "
            "POST /api/v1/renders with `photos`: one scene per photo, narrated from the listing."
        ),
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "images": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "category": {"type": "string"},
                    "price": {"type": "string"},
                    "voice": {"type": "string", "enum": ["F", "M", "female", "male"]},
                    "music": {"type": "string", "enum": list(MUSIC)},
                    "language": {"type": "string"},
                },
                "required": ["images", "title"],
            }
        },
        responses={
            201: VideoCreated,
            **error_responses(400, 404, 409, 415, 429),
            413: OpenApiResponse(ErrorSerializer, description="`upload_too_large`: a photo is over the byte limit."),
        },
        parameters=[*IDEMPOTENCY_PARAMETERS, RETRY_AFTER_PARAMETER],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = VideoInput(data=request.data)
        given.is_valid(raise_exception=True)  # the listing first: a bad field stores no photo
        data = given.validated_data
        files = _images(request)
        if isinstance(files, Response):
            return files
        owner = caller(request)
        stored: list[Upload] = []
        try:
            stored = [create_upload(owner=owner, upload=file, size=file.size or 0) for file in files]
            job = photo_job_create(
                owner=owner,
                upload_ids=[upload.pk for upload in stored],
                title=data["title"],
                description=data["description"],
                details=_details(data["price"]),
                language=data["language"],
                options=_video_options(data),
            )
        except BaseException as failure:
            for upload in stored:  # all or nothing: no job, no photos left behind
                delete_upload(upload=upload)
            if isinstance(failure, UploadRejected):
                return _refused(len(stored), files[len(stored)].name or "", failure)
            if isinstance(failure, PlanError) and not isinstance(failure, UploadNotFound):
                raise PlanRejected(failure, limit=failure.limit) from failure
            raise
        url = representations.video_status_url(request, job)
        body = {"success": True, "jobId": str(job.pk), "estimatedTime": representations.video_estimated_time(job)}
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": url})


# --- GET /api/video/status/{job_id} --------------------------------------------------------------


class VideoStatus(serializers.Serializer):
    class Meta:
        ref_name = "CompatMarketplaceVideoStatus"

    status = serializers.ChoiceField(choices=("pending", "running", "success", "error"))
    progress = serializers.FloatField(min_value=0, max_value=1, help_text="0 to 1, as the job queue's.")
    videoUrl = serializers.URLField(allow_null=True)  # noqa: N815
    thumbnailUrl = serializers.URLField(allow_null=True)  # noqa: N815
    error = serializers.CharField(allow_null=True)


class VideoStatusApi(JsonApiView):
    @extend_schema(
        tags=TAGS,
        summary="A listing video's status (marketplace)",
        operation_id="compat_video_status",
        description=describe("GET /api/v1/renders/{id}: state, progress 0 to 1, the video and thumbnail URLs."),
        parameters=[JOB_ID_PARAMETER],
        responses={200: VideoStatus, **error_responses(404)},
    )
    def get(self, request: Request, job_id: str) -> Response:
        job = job_get_for_user(user=request.user, job_id=job_id)
        return Response(representations.video_status(request, job))
