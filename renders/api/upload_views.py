"""Uploaded pictures (/api/v1/uploads…): upload one or several, read one back, delete one.

An upload is named by its opaque id (`up_…`) and found only among the caller's own live uploads
(`renders.uploads.get_own_upload`): someone else's id, an unknown one and an expired one are all
the same 404. A plan's scene names it as `"image": "up_…"`; POST /api/v1/renders with `photos`
takes a list of them.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from bhakti.api.errors import ErrorSerializer, error_body
from bhakti.api.schema import error_responses
from bhakti.api.views import JsonApiView
from renders.models import Upload
from renders.uploads import UploadRejected, check_image_upload, create_upload, delete_upload, get_own_upload

TAG = ["uploads"]
UPLOAD_ID_PARAMETER = OpenApiParameter("upload_id", str, OpenApiParameter.PATH, description="An id `up_…`.")


class UploadSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Upload"

    id = serializers.CharField(help_text="Opaque id (`up_` and 22 characters); name it in a scene's `image`.")
    width = serializers.IntegerField(help_text="Pixels, upright (EXIF orientation applied).")
    height = serializers.IntegerField()
    size_bytes = serializers.IntegerField(help_text="Bytes stored.")
    format = serializers.ChoiceField(choices=["jpeg", "png", "webp"])
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When it is deleted unless a job uses it first; null once a job has used it."
    )


def upload_data(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "width": upload.width,
        "height": upload.height,
        "size_bytes": upload.size_bytes,
        "format": upload.format,
        "expires_at": None if upload.used_at else upload.expires_at,
    }


def _refused(index: int, name: str, error: UploadRejected) -> Response:
    field = f"file[{index}]"
    message = f"{field} ({name[:80]}): {error}"
    answer = (
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if error.code == "upload_too_large" else status.HTTP_400_BAD_REQUEST
    )
    return Response(error_body(error.code, message, errors={field: str(error)}), status=answer)


class UploadsApi(JsonApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAG,
        summary="Upload pictures",
        operation_id="uploads_create",
        description="Multipart, one or several parts named `file` (at most "
        f"{settings.MAX_UPLOADS_PER_REQUEST} a request): JPEG, PNG or WebP, each within the byte and pixel "
        "limits. EXIF orientation is applied (stored pixels are upright). All or nothing: if one file is "
        "refused, none is stored and the answer names it (`file[N]`). Unused uploads expire after "
        f"{settings.UPLOAD_UNUSED_TTL_HOURS} h; one a job uses is kept.",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                "required": ["file"],
            }
        },
        responses={
            201: UploadSerializer(many=True),
            **error_responses(400, 415),
            413: OpenApiResponse(ErrorSerializer, description="`upload_too_large`: a file is over the byte limit."),
        },
    )
    def post(self, request: Request) -> Response:
        files: list[UploadedFile] = request.FILES.getlist("file")
        if not files:
            message = "Send the pictures as multipart form parts named `file`."
            return Response(error_body("invalid", message, errors={"file": message}), status=400)
        if len(files) > settings.MAX_UPLOADS_PER_REQUEST:
            message = f"At most {settings.MAX_UPLOADS_PER_REQUEST} files a request (got {len(files)})."
            return Response(error_body("too_many_files", message, errors={"file": message}), status=400)
        for index, upload in enumerate(files):  # all checked before any is stored
            try:
                check_image_upload(upload, size=upload.size or 0)
            except UploadRejected as error:
                return _refused(index, upload.name or "", error)
        created = [create_upload(owner=_caller(request), upload=upload, size=upload.size or 0) for upload in files]
        return Response(UploadSerializer([upload_data(upload) for upload in created], many=True).data, status=201)


class UploadDetailApi(JsonApiView):
    @extend_schema(
        tags=TAG,
        summary="One of your uploads",
        operation_id="uploads_retrieve",
        parameters=[UPLOAD_ID_PARAMETER],
        responses={200: UploadSerializer, **error_responses(404)},
    )
    def get(self, request: Request, upload_id: str) -> Response:
        return Response(UploadSerializer(upload_data(_own_upload(request, upload_id))).data)

    @extend_schema(
        tags=TAG,
        summary="Delete one of your uploads",
        operation_id="uploads_destroy",
        description="The id stops working at once. The file is deleted too, unless a job used it (that job's "
        "plan still names it).",
        parameters=[UPLOAD_ID_PARAMETER],
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request: Request, upload_id: str) -> Response:
        delete_upload(upload=_own_upload(request, upload_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _own_upload(request: Request, upload_id: str) -> Upload:
    try:
        return get_own_upload(owner=_caller(request), upload_id=upload_id)
    except Upload.DoesNotExist:
        raise NotFound("You have no upload with this id (unused uploads expire).") from None


def _caller(request: Request) -> User:
    return cast(User, request.user)  # IsAuthenticated (the default permission) ran first
