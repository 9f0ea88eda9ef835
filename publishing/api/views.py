"""REST endpoints for publishing: /api/v1/publish/…  One APIView per operation, calling services.

Authentication follows REST_FRAMEWORK's defaults (API keys once accounts.authentication is
configured there; sessions otherwise). Errors are {code, message}; someone else's video is a 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bhakti.api.errors import ErrorSerializer
from bhakti.api.json_input import JsonInputSerializer
from publishing import services
from publishing.forms import validate_description_bytes
from publishing.models import Privacy, Publication, Timing, YouTubeChannel
from renders.models import RenderJob

ERROR = ErrorSerializer  # the API's one error shape: {code, message[, errors]}


def error(code: str, message: str, http_status: int, **extra: Any) -> Response:
    return Response({"code": code, "message": message, **extra}, status=http_status)


def _not_found() -> Response:
    return error("not_found", "No such video.", status.HTTP_404_NOT_FOUND)


ACTION_STATUS = {
    "not_found": status.HTTP_404_NOT_FOUND,
    "invalid": status.HTTP_400_BAD_REQUEST,
}


def _action_error(failure: services.PublishActionError) -> Response:
    return error(failure.code, failure.message, ACTION_STATUS.get(failure.code, status.HTTP_409_CONFLICT))


class PublicationOutput(serializers.ModelSerializer):
    job_id = serializers.UUIDField(source="job.pk", read_only=True)
    youtube_url = serializers.CharField(read_only=True)

    class Meta:
        model = Publication
        fields = [
            "job_id", "state", "progress_pct", "title", "description", "tags", "category_id", "privacy",
            "made_for_kids", "contains_synthetic_media", "timing", "publish_at", "upload_after", "youtube_video_id", "youtube_url",
            "thumbnail_set", "caption_languages", "error_code", "error", "notes", "attempts", "uploaded_at",
            "created_at", "updated_at",
        ]  # fmt: skip


class PublishApiView(APIView):
    permission_classes = [IsAuthenticated]

    def own_job(self, request: Request, job_id: Any) -> RenderJob | None:
        return RenderJob.objects.filter(pk=job_id, owner=request.user).first()


class ScheduleApi(PublishApiView):
    class ScheduleInput(JsonInputSerializer):
        iso_datetime = serializers.DateTimeField(
            required=False, allow_null=True, help_text="When to publish (ISO 8601 with offset); omitted: now"
        )
        title = serializers.CharField(max_length=100)
        description = serializers.CharField(
            required=False, allow_blank=True, default="", validators=[validate_description_bytes]
        )
        tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
        category_id = serializers.CharField(required=False, allow_blank=True, max_length=4, default="")
        privacy = serializers.ChoiceField(choices=Privacy.choices, required=False, default=Privacy.PRIVATE)
        made_for_kids = serializers.BooleanField(
            required=True, help_text="Required by YouTube: is the video made for kids?"
        )
        timing = serializers.ChoiceField(choices=Timing.choices, required=False, default=Timing.UPLOAD_WHEN_DUE)
        contains_synthetic_media = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="YouTube's altered or synthetic content disclosure; omitted: true when an AI voice or AI "
            "art made the render",
        )

    @extend_schema(request=ScheduleInput, responses={201: PublicationOutput, 400: ERROR, 404: ERROR, 409: ERROR})
    def post(self, request: Request, job_id: Any) -> Response:
        job = self.own_job(request, job_id)
        if job is None:
            return _not_found()
        given = self.ScheduleInput(data=request.data)
        given.is_valid(raise_exception=True)  # the API's exception handler shapes it as {code, message, errors}
        data = given.validated_data
        try:
            publication = schedule_from_input(owner=request.user, job=job, data=data)
        except services.PublishActionError as failure:
            return _action_error(failure)
        publication.refresh_from_db()
        return Response(PublicationOutput(publication).data, status=status.HTTP_201_CREATED)


class PublicationApi(PublishApiView):
    @extend_schema(responses={200: PublicationOutput, 404: ERROR})
    def get(self, request: Request, job_id: Any) -> Response:
        job = self.own_job(request, job_id)
        if job is None:
            return _not_found()
        publication = Publication.objects.filter(job=job).select_related("job").first()
        if publication is None:
            return error("not_scheduled", "This video is not scheduled for YouTube.", status.HTTP_404_NOT_FOUND)
        return Response(PublicationOutput(publication).data)


class CancelApi(PublishApiView):
    @extend_schema(request=None, responses={200: PublicationOutput, 404: ERROR, 409: ERROR})
    def delete(self, request: Request, job_id: Any) -> Response:
        job = self.own_job(request, job_id)
        if job is None:
            return _not_found()
        try:
            publication = services.publication_cancel(owner=request.user, job=job)
        except services.PublishActionError as failure:
            return _action_error(failure)
        return Response(PublicationOutput(publication).data)


class RetryApi(PublishApiView):
    @extend_schema(request=None, responses={200: PublicationOutput, 404: ERROR, 409: ERROR})
    def post(self, request: Request, job_id: Any) -> Response:
        job = self.own_job(request, job_id)
        if job is None:
            return _not_found()
        try:
            publication = services.publication_retry(owner=request.user, job=job)
        except services.PublishActionError as failure:
            return _action_error(failure)
        publication.refresh_from_db()
        return Response(PublicationOutput(publication).data)


class ChannelApi(PublishApiView):
    @extend_schema(
        responses={
            200: inline_serializer(
                "YouTubeChannelStatus",
                {
                    "connected": serializers.BooleanField(),
                    "channel_id": serializers.CharField(),
                    "title": serializers.CharField(),
                },
            )
        }
    )
    def get(self, request: Request) -> Response:
        channel = YouTubeChannel.objects.filter(owner=request.user).first()
        if channel is None:
            return Response({"connected": False, "channel_id": "", "title": ""})
        return Response({"connected": True, "channel_id": channel.channel_id, "title": channel.title})


def schedule_from_input(*, owner: Any, job: Any, data: dict[str, Any]) -> Publication:
    """Schedule `job` from ScheduleApi.ScheduleInput's validated data (the API and the MCP tool)."""
    return services.publication_schedule(
        owner=owner,
        job=job,
        title=data["title"],
        description=data["description"],
        tags=data["tags"],
        category_id=data["category_id"],
        privacy=data["privacy"],
        made_for_kids=data["made_for_kids"],
        publish_at=data.get("iso_datetime"),
        timing=data["timing"],
        contains_synthetic_media=data["contains_synthetic_media"],
    )
