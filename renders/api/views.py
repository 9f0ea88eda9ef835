"""Render job endpoints (/api/v1/renders…). One small APIView per operation, calling services.

Access: `renders.selectors.job_get_for_user` is the only way to a job, so someone else's job
is a 404 on every endpoint. Errors are shaped by `bhakti.api.errors.api_exception_handler`.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from bhakti.api.errors import ErrorSerializer
from bhakti.api.json_input import JsonInputSerializer
from bhakti.api.pagination import PageSerializer
from bhakti.api.schema import RETRY_AFTER_PARAMETER, error_responses
from bhakti.api.views import JsonApiView
from renders.api.errors import PlanRejected
from renders.api.job_lists import job_page
from renders.api.representations import estimated_wait_seconds, job_detail, job_summary, job_url
from renders.api.schema import IDEMPOTENCY_PARAMETERS, JOB_ID_PARAMETER
from renders.api.serializers import JobDetailSerializer, JobFilterQuerySerializer, JobSummarySerializer, PlanField
from renders.api.throttles import RenderStartRateThrottle
from renders.deletion import job_delete
from renders.downloads import serve_stored_file  # the web app's file serving (byte ranges, S3)
from renders.idempotency import idempotent
from renders.models import JobAsset, JobState, RenderJob
from renders.pipeline.plan import (
    ASPECTS,
    LANGUAGES,
    MAX_TOPIC_CHARS,
    MODES,
    MUSIC,
    RESOLUTIONS,
    STYLES,
    VOICES,
    WATERMARKS,
    PlanError,
)
from renders.selectors import job_get_for_user, job_stats, own_video_get
from renders.services import job_cancel, job_create, job_make_final, job_retry
from renders.topic import (
    MAX_TARGET_SEC,
    MIN_TARGET_SEC,
    PLAN_SETTINGS,
    ScriptFailed,
    TopicNotFound,
    TopicRequest,
    topic_job_create,
)
from renders.webhooks import check_webhook_url

TAG = ["renders"]


class RenderStartThrottled(JsonApiView):
    """Starting a render (POST) is rate limited per API key or user; reads are not."""

    def get_throttles(self) -> list[BaseThrottle]:
        return [RenderStartRateThrottle()] if self.request.method == "POST" else []


class TopicRefusedSerializer(ErrorSerializer):
    class StorySerializer(serializers.Serializer):
        id = serializers.CharField()
        title = serializers.CharField()
        title_hi = serializers.CharField()

    closest = StorySerializer(many=True, required=False, help_text="With `topic_not_found`: the nearest stories.")


def _topic_job_or_refusal(request: Request, data: dict[str, Any], webhook_url: str) -> RenderJob | Response:
    topic_request = TopicRequest(
        topic=data["topic"],
        language=data["language"],
        duration_target=data["duration_target"],
        options={key: data[key] for key in PLAN_SETTINGS if key in data},
    )
    try:
        return topic_job_create(owner=request.user, request=topic_request, webhook_url=webhook_url)
    except TopicNotFound as refusal:
        closest = [{"id": story.id, "title": story.title_en, "title_hi": story.title_hi} for story in refusal.closest]
        body = {"code": refusal.code, "message": refusal.message, "errors": {"topic": refusal.message}}
        return Response({**body, "closest": closest}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    except ScriptFailed as failure:
        return Response({"code": failure.code, "message": failure.message}, status=status.HTTP_502_BAD_GATEWAY)


class RenderCreateApi(RenderStartThrottled):
    class InputSerializer(JsonInputSerializer):
        class Meta:
            ref_name = "RenderCreate"

        plan = PlanField(
            required=False,
            help_text="The render plan, the same JSON as the CLI's plan file. Send this or `topic`, not both.",
        )
        topic = serializers.CharField(
            required=False,
            max_length=MAX_TOPIC_CHARS,
            help_text="Instead of a plan: what the video is about. With OpenAI configured the chat model writes "
            "the scenes; offline a library story matching it (by title or name, Devanagari or Latin) is told.",
        )
        language = serializers.ChoiceField(choices=LANGUAGES, required=False, default="en", help_text="With `topic`.")
        duration_target = serializers.IntegerField(
            required=False,
            default=60,
            min_value=MIN_TARGET_SEC,
            max_value=MAX_TARGET_SEC,
            help_text="With `topic`: the video's length in seconds (within the server's plan limits).",
        )
        voice = serializers.ChoiceField(choices=VOICES, required=False, help_text="With `topic`.")
        style = serializers.ChoiceField(choices=STYLES, required=False, help_text="With `topic`.")
        aspect = serializers.ChoiceField(choices=ASPECTS, required=False, help_text="With `topic`.")
        resolution = serializers.ChoiceField(choices=RESOLUTIONS, required=False, help_text="With `topic`.")
        mode = serializers.ChoiceField(choices=MODES, required=False, help_text="With `topic`.")
        music = serializers.ChoiceField(choices=MUSIC, required=False, help_text="With `topic`.")
        watermark = serializers.ChoiceField(choices=WATERMARKS, required=False, help_text="With `topic`.")
        webhook_url = serializers.URLField(
            max_length=200,
            required=False,
            allow_blank=True,
            help_text="Receives a signed POST on every state change; defaults to your account's webhook URL.",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("plan" in attrs) == ("topic" in attrs):
                field = "topic" if "plan" in attrs else "plan"
                raise serializers.ValidationError({field: "Send either a plan or a topic (exactly one of them)."})
            if "plan" in attrs:
                given = sorted(set(self.initial_data) & {"language", "duration_target", *PLAN_SETTINGS})
                if given:
                    raise serializers.ValidationError(
                        {given[0]: "Goes with `topic`; with a plan, set it inside the plan."}
                    )
            elif attrs["duration_target"] > settings.MAX_TOTAL_DURATION_SEC:
                raise serializers.ValidationError(
                    {"duration_target": f"At most {settings.MAX_TOTAL_DURATION_SEC} seconds on this server."}
                )
            return attrs

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RenderCreated"

        job_id = serializers.UUIDField()
        state = serializers.ChoiceField(choices=JobState.choices)
        estimated_wait_seconds = serializers.IntegerField(help_text="Rough wait before a worker starts it.")
        cost_estimate = serializers.DecimalField(max_digits=10, decimal_places=4, help_text="US dollars.")
        url = serializers.URLField(help_text="Poll this for progress and results.")
        created_at = serializers.DateTimeField()

    @extend_schema(
        tags=TAG,
        summary="Start a render",
        operation_id="renders_create",
        description="Validates the plan, checks quotas and the cost estimate, and queues the job. A body that "
        "is a bare plan (no `plan` key) is accepted too. Instead of `plan`, send `topic` (with `language`, "
        "`duration_target` and any plan setting): the script is written first (the job's `script` step; its cost "
        "counts in the estimate, the quotas and the Idempotency-Key's replay), then the job renders. A topic "
        "that nothing can be written for is refused with 422 `topic_not_found` listing the `closest` stories; "
        "no job is made.",
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **error_responses(400, 409, 415, 429),
            422: OpenApiResponse(
                TopicRefusedSerializer,
                description="`topic_not_found`: offline, no library story matches the topic (`closest` lists the "
                "nearest ones). Or the Idempotency-Key was used with a different body (`idempotency_key_reused`).",
            ),
            502: OpenApiResponse(
                ErrorSerializer,
                description="`script_failed`: the script service failed and no library story matches the topic.",
            ),
        },
        parameters=[*IDEMPOTENCY_PARAMETERS, RETRY_AFTER_PARAMETER],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = RenderCreateApi.InputSerializer(data=_wrap_bare_plan(request.data))
        serializer.is_valid(raise_exception=True)
        webhook_url = serializer.validated_data.get("webhook_url", "")
        if webhook_url:
            check_webhook_url(webhook_url)
        if "topic" in serializer.validated_data:
            refused = _topic_job_or_refusal(request, serializer.validated_data, webhook_url)
            if isinstance(refused, Response):
                return refused
            job = refused
        else:
            plan_data = serializer.validated_data["plan"]
            try:
                job = job_create(owner=request.user, plan_data=plan_data, webhook_url=webhook_url)
            except PlanError as error:
                raise PlanRejected(error, limit=error.limit) from error
        url = job_url(request, job)
        # By class name: RendersApi inherits from RenderListApi too, whose OutputSerializer comes first.
        output = RenderCreateApi.OutputSerializer(
            {
                "job_id": job.pk,
                "state": job.state,
                "estimated_wait_seconds": estimated_wait_seconds(job) or 0,
                "cost_estimate": job.cost_estimate,
                "url": url,
                "created_at": job.created_at,
            }
        )
        return Response(output.data, status=status.HTTP_201_CREATED, headers={"Location": url})


@extend_schema_view(
    post=extend_schema(deprecated=True, summary="Start a render (old path)", operation_id="render_create_legacy")
)
class LegacyRenderCreateApi(RenderCreateApi):
    """POST /render: the older path of POST /renders (it shares Idempotency-Keys with it)."""


def _wrap_bare_plan(data: Any) -> Any:
    # The old /render endpoint took the plan itself as the body; keep accepting that shape.
    if hasattr(data, "keys") and "plan" not in data and "scenes" in data:
        plan = {key: data[key] for key in data.keys() if key != "webhook_url"}
        wrapped: dict[str, Any] = {"plan": plan}
        if "webhook_url" in data:
            wrapped["webhook_url"] = data["webhook_url"]
        return wrapped
    return data


class RenderListApi(JsonApiView):
    class OutputSerializer(PageSerializer):
        class Meta:
            ref_name = "RenderPage"

        results = JobSummarySerializer(many=True)

    @extend_schema(
        tags=TAG,
        summary="List your render jobs",
        operation_id="renders_list",
        description="Newest first, one per video: its latest version (`all_versions=true` lists every "
        "version). Admins see every user's jobs.",
        parameters=[JobFilterQuerySerializer],
        responses={200: OutputSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        page = job_page(request, represent=lambda job: job_summary(request, job))
        return Response(RenderListApi.OutputSerializer(page).data)


# One bound serializer for every detail response: building a DRF serializer deep-copies its
# fields (~2.5 ms a poll here); `to_representation` itself keeps no state between calls.
_DETAIL_SERIALIZER = JobDetailSerializer()
_DETAIL_SERIALIZER.fields  # noqa: B018 - bind the fields once, at import


def _detail_data(request: Request, job: Any) -> dict[str, Any]:
    return _DETAIL_SERIALIZER.to_representation(job_detail(request, job))


class RendersApi(RenderListApi, RenderCreateApi):
    """GET and POST on /renders share one URL; each method is its own operation above."""


class RenderDetailApi(JsonApiView):
    @extend_schema(
        tags=TAG,
        summary="A render job's status and results",
        operation_id="renders_retrieve",
        description="Poll until `is_final` is true. Asset URLs are absolute; with S3 storage they are "
        "presigned and expire.",
        parameters=[JOB_ID_PARAMETER],
        responses={200: JobDetailSerializer, **error_responses(404)},
    )
    def get(self, request: Request, job_id: str) -> Response:
        job = job_get_for_user(user=request.user, job_id=job_id)
        return Response(_detail_data(request, job))

    @extend_schema(
        tags=TAG,
        summary="Delete a finished video",
        operation_id="renders_destroy",
        description="Deletes the video's files (video, subtitles, images, audio) from storage, its log and "
        "plan. A queued or running job must be canceled first, and a video scheduled for YouTube needs "
        "its publication canceled first (409 `not_deletable`, saying which). Afterwards the job is a 404. "
        "The day's render quota still counts it: the render happened.",
        parameters=[JOB_ID_PARAMETER],
        request=None,
        responses={204: None, **error_responses(404, 409)},
    )
    def delete(self, request: Request, job_id: str) -> Response:
        job_delete(job=job_get_for_user(user=request.user, job_id=job_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(deprecated=True, summary="A render job's status (old path)", operation_id="render_status_legacy")
)
class LegacyRenderStatusApi(RenderDetailApi):
    """GET /render/{id}/status: the older path of GET /renders/{id}."""

    http_method_names = ["get", "head", "options"]


class RenderCancelApi(JsonApiView):
    @extend_schema(
        tags=TAG,
        summary="Cancel a render job",
        operation_id="renders_cancel",
        description="A queued job is canceled at once; a running one stops at its next check (within seconds).",
        parameters=[JOB_ID_PARAMETER, *IDEMPOTENCY_PARAMETERS],
        request=None,
        responses={200: JobDetailSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request: Request, job_id: str) -> Response:
        job = job_cancel(job=job_get_for_user(user=request.user, job_id=job_id))
        return Response(_detail_data(request, job))


class LegacyRenderCancelApi(JsonApiView):
    @extend_schema(
        tags=TAG,
        summary="Cancel a render job (old path)",
        operation_id="render_cancel_legacy",
        deprecated=True,
        parameters=[JOB_ID_PARAMETER],
        request=None,
        responses={200: JobDetailSerializer, **error_responses(404, 409)},
    )
    def delete(self, request: Request, job_id: str) -> Response:
        job = job_cancel(job=job_get_for_user(user=request.user, job_id=job_id))
        return Response(_detail_data(request, job))


class RenderRetryApi(RenderStartThrottled):
    @extend_schema(
        tags=TAG,
        summary="Retry a failed or canceled job",
        operation_id="renders_retry",
        description="Queues the job again; scenes already rendered are reused from the cache. Counts against "
        "the same rate limit as starting a render.",
        parameters=[JOB_ID_PARAMETER, *IDEMPOTENCY_PARAMETERS, RETRY_AFTER_PARAMETER],
        request=None,
        responses={202: JobDetailSerializer, **error_responses(400, 404, 409, 422, 429)},
    )
    @idempotent
    def post(self, request: Request, job_id: str) -> Response:
        job = job_retry(job=job_get_for_user(user=request.user, job_id=job_id))
        return Response(_detail_data(request, job), status=status.HTTP_202_ACCEPTED)


class RenderMakeFinalApi(RenderStartThrottled):
    @extend_schema(
        tags=TAG,
        summary="Render a finished preview at final quality",
        operation_id="renders_make_final",
        description="Starts a new job with the preview's plan at `mode` final (its own `resolution`, 1080p when "
        "unset) as the video's next `version`; the preview stays as the earlier version. Answers the new job. "
        "Counts against the same quotas, cost limit and rate limit as starting a render. 409 `not_finished` "
        "unless the job succeeded, `not_a_preview` when it is already final.",
        parameters=[JOB_ID_PARAMETER, *IDEMPOTENCY_PARAMETERS, RETRY_AFTER_PARAMETER],
        request=None,
        responses={202: JobDetailSerializer, **error_responses(400, 404, 409, 422, 429)},
    )
    @idempotent
    def post(self, request: Request, job_id: str) -> Response:
        job = own_video_get(user=request.user, job_id=job_id)  # the caller's own: job.owner is them
        new = job_make_final(job=job, owner=job.owner)
        headers = {"Location": job_url(request, new)}
        return Response(_detail_data(request, new), status=status.HTTP_202_ACCEPTED, headers=headers)


class IgnoreAcceptHeader(BaseContentNegotiation):
    """A file endpoint answers whatever the client accepts: the bytes, or a JSON error."""

    def select_parser(self, request: Request, parsers: list[BaseParser]) -> BaseParser:
        return parsers[0]

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class RenderAssetApi(JsonApiView):
    content_negotiation_class = IgnoreAcceptHeader

    class QuerySerializer(serializers.Serializer):
        class Meta:
            ref_name = "AssetQuery"

        download = serializers.BooleanField(default=False, help_text="Ask the browser to save the file.")

    @extend_schema(
        tags=TAG,
        summary="Download one of a job's files",
        operation_id="renders_asset",
        description="The URLs in a job's `assets`, `final_video_url`, … lead here (local storage). Supports "
        "byte ranges; `?download=1` asks for an attachment. With S3 storage, asset URLs are presigned S3 "
        "links instead.",
        parameters=[
            JOB_ID_PARAMETER,
            OpenApiParameter("asset_id", int, OpenApiParameter.PATH),
            QuerySerializer,
        ],
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            (206, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The requested byte range."),
            (302, "*/*"): OpenApiResponse(description="A redirect to a presigned storage URL."),
            **error_responses(400, 404, 416),
        },
    )
    def get(self, request: Request, job_id: str, asset_id: str) -> HttpResponseBase:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        job = job_get_for_user(user=request.user, job_id=job_id)
        asset = JobAsset.objects.filter(job=job, pk=int(asset_id)).first() if asset_id.isdigit() else None
        if asset is None:
            raise NotFound("This job has no such file.")
        return serve_stored_file(
            request,
            asset.file.storage,
            asset.file.name,
            filename=PurePosixPath(asset.file.name).name,
            as_attachment=query.validated_data["download"],
        )


class RenderStatsApi(JsonApiView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RenderStats"

        counts = serializers.DictField(
            child=serializers.IntegerField(),
            help_text="Jobs per state: " + ", ".join(JobState.values) + " (every state present).",
        )
        total = serializers.IntegerField()

    @extend_schema(
        tags=TAG,
        summary="Your jobs counted by state",
        operation_id="renders_stats",
        parameters=[],
        responses={200: OutputSerializer, **error_responses()},
    )
    def get(self, request: Request) -> Response:
        counts = job_stats(user=request.user)
        return Response(self.OutputSerializer({"counts": counts, "total": sum(counts.values())}).data)
