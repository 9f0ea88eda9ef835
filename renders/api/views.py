"""Render job endpoints (/api/v1/renders…). One small APIView per operation, calling services.

Access: `renders.selectors.job_get_for_user` is the only way to a job, so someone else's job
is a 404 on every endpoint. Errors are shaped by `bhakti.api.errors.api_exception_handler`.
"""

from __future__ import annotations

import copy
import time
from pathlib import PurePosixPath
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseNotModified
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

from accounts.authentication import api_key_locked_out, raw_key_from_request
from accounts.services import api_key_authenticate
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
from renders.conditional import etag_matches, job_etag
from renders.deletion import job_delete
from renders.downloads import serve_stored_file  # the web app's file serving (byte ranges, S3)
from renders.idempotency import idempotent
from renders.models import DEFAULT_PRIORITY, MAX_PRIORITY, MIN_PRIORITY, JobAsset, JobState, RenderJob
from renders.photo_story import MAX_DESCRIPTION_CHARS, MAX_DETAIL_CHARS, MAX_DETAILS, MAX_PHOTOS, photo_job_create
from renders.pipeline.plan import (
    ASPECTS,
    CAPTIONS,
    LANGUAGES,
    MAX_TOPIC_CHARS,
    MODES,
    MUSIC,
    RESOLUTIONS,
    STYLES,
    SUBTITLES_ON_SCREEN,
    VOICES,
    WATERMARKS,
    PlanError,
)
from renders.queue_estimate import estimated_wait_for
from renders.selectors import JobStamp, job_get_for_user, job_stamp_for_user, job_stats, own_video_get
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
from renders.uploads import UploadNotFound
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
        return topic_job_create(
            owner=request.user, request=topic_request, webhook_url=webhook_url, priority=data["priority"]
        )
    except TopicNotFound as refusal:
        closest = [{"id": story.id, "title": story.title_en, "title_hi": story.title_hi} for story in refusal.closest]
        body = {"code": refusal.code, "message": refusal.message, "errors": {"topic": refusal.message}}
        return Response({**body, "closest": closest}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    except ScriptFailed as failure:
        return Response({"code": failure.code, "message": failure.message}, status=status.HTTP_502_BAD_GATEWAY)


def _photo_job(request: Request, data: dict[str, Any], webhook_url: str) -> RenderJob:
    """Raises UploadNotFound (404, naming `photos[N]`), PlanError (400) or QuotaExceeded (400)."""
    try:
        return photo_job_create(
            owner=cast(User, request.user),  # IsAuthenticated (the default permission) ran first
            upload_ids=data["photos"],
            title=data["title"],
            description=data.get("description", ""),
            details=data.get("details") or {},
            language=data["language"],
            options={key: data[key] for key in PLAN_SETTINGS if key in data},
            webhook_url=webhook_url,
        )
    except UploadNotFound:
        raise  # a 404, not an invalid plan
    except PlanError as error:
        raise PlanRejected(error, limit=error.limit) from error


# Request fields that belong to one way of starting a render; the plan settings go with topic or photos.
TOPIC_ONLY = ("duration_target", "style")
PHOTOS_ONLY = ("title", "description", "details")


class RenderCreateApi(RenderStartThrottled):
    class InputSerializer(JsonInputSerializer):
        class Meta:
            ref_name = "RenderCreate"

        plan = PlanField(
            required=False,
            help_text="The render plan, the same JSON as the CLI's plan file. Send exactly one of `plan`, "
            "`topic` and `photos`.",
        )
        topic = serializers.CharField(
            required=False,
            max_length=MAX_TOPIC_CHARS,
            help_text="Instead of a plan: what the video is about. With OpenAI configured the chat model writes "
            "the scenes; offline a library story matching it (by title or name, Devanagari or Latin) is told.",
        )
        photos = serializers.ListField(
            child=serializers.CharField(max_length=40),
            required=False,
            min_length=1,
            max_length=MAX_PHOTOS,
            help_text="Instead of a plan: ids of your uploads (POST /api/v1/uploads), one scene each, in order. "
            "With `title`, `description` and optional `details`; narrated by the chat model looking at the "
            "photos when OpenAI is configured, else from the description offline.",
        )
        title = serializers.CharField(
            required=False, max_length=120, help_text="With `photos`: the video's title; it opens the narration."
        )
        description = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=MAX_DESCRIPTION_CHARS,
            default="",
            help_text="With `photos`: what they show; offline its sentences are spread over the photos in order.",
        )
        details = serializers.DictField(
            child=serializers.CharField(max_length=MAX_DETAIL_CHARS),
            required=False,
            help_text=f"With `photos`: up to {MAX_DETAILS} details spoken after the description, e.g. "
            '`{"price": "₹4,500", "place": "Varanasi"}`.',
        )
        language = serializers.ChoiceField(
            choices=LANGUAGES, required=False, default="en", help_text="With `topic` or `photos`."
        )
        duration_target = serializers.IntegerField(
            required=False,
            default=60,
            min_value=MIN_TARGET_SEC,
            max_value=MAX_TARGET_SEC,
            help_text="With `topic`: the video's length in seconds (within the server's plan limits).",
        )
        voice = serializers.ChoiceField(choices=VOICES, required=False, help_text="With `topic` or `photos`.")
        style = serializers.ChoiceField(choices=STYLES, required=False, help_text="With `topic`.")
        aspect = serializers.ChoiceField(choices=ASPECTS, required=False, help_text="With `topic` or `photos`.")
        resolution = serializers.ChoiceField(choices=RESOLUTIONS, required=False, help_text="With `topic` or `photos`.")
        mode = serializers.ChoiceField(choices=MODES, required=False, help_text="With `topic` or `photos`.")
        music = serializers.ChoiceField(choices=MUSIC, required=False, help_text="With `topic` or `photos`.")
        watermark = serializers.ChoiceField(choices=WATERMARKS, required=False, help_text="With `topic` or `photos`.")
        captions = serializers.ChoiceField(
            choices=CAPTIONS, required=False, help_text="With `topic`. Default: `words` for 9:16 and 1:1, else `lines`."
        )
        subtitles_on_screen = serializers.ChoiceField(
            choices=SUBTITLES_ON_SCREEN, required=False, help_text="With `topic`. `roman` needs `language` hi."
        )
        webhook_url = serializers.URLField(
            max_length=200,
            required=False,
            allow_blank=True,
            help_text="Receives a signed POST on every state change; defaults to your account's webhook URL.",
        )
        priority = serializers.IntegerField(
            required=False,
            default=DEFAULT_PRIORITY,
            min_value=MIN_PRIORITY,
            max_value=MAX_PRIORITY,
            help_text=f"{MIN_PRIORITY} (lowest) to {MAX_PRIORITY}, default {DEFAULT_PRIORITY}: a free worker starts "
            "the highest queued job first. Creators may set at most CREATOR_MAX_PRIORITY (5 unless the operator "
            "changed it); admins and staff up to 10. Above your allowance: 400 `priority_not_allowed`.",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            ways = [way for way in ("plan", "topic", "photos") if way in attrs]
            if len(ways) != 1:
                field = ways[1] if len(ways) > 1 else "plan"
                raise serializers.ValidationError(
                    {field: "Send either a plan, a topic or photos (exactly one of them)."}
                )
            given = set(self.initial_data)
            if "plan" in attrs:
                wrong = sorted(given & {"language", *TOPIC_ONLY, *PHOTOS_ONLY, *PLAN_SETTINGS})
                if wrong:
                    raise serializers.ValidationError(
                        {wrong[0]: "Goes with `topic` or `photos`; with a plan, set it inside the plan."}
                    )
                return attrs
            if "photos" in attrs:
                wrong = sorted(given & set(TOPIC_ONLY))
                if wrong:
                    raise serializers.ValidationError({wrong[0]: "Goes with `topic`, not with `photos`."})
                if not attrs.get("title", "").strip():
                    raise serializers.ValidationError({"title": "Give the video a title; it opens the narration."})
                if len(attrs.get("details") or {}) > MAX_DETAILS:
                    raise serializers.ValidationError({"details": f"At most {MAX_DETAILS} details."})
                return attrs
            wrong = sorted(given & set(PHOTOS_ONLY))
            if wrong:
                raise serializers.ValidationError({wrong[0]: "Goes with `photos`, not with `topic`."})
            if attrs["duration_target"] > settings.MAX_TOTAL_DURATION_SEC:
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
        priority = serializers.IntegerField(help_text="The job's priority, 1-10.")
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
        "no job is made. Or send `photos` (ids of your uploads, 1 to 20) with `title`, `description`, optional "
        "`details`, `language` and plan settings: one scene per photo, narrated (the job's `script` step), "
        "then rendered; an id that is not one of your live uploads is a 404 `upload_not_found` naming "
        "`photos[N]` (in a plan: `scenes[N].image`).",
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **error_responses(400, 404, 409, 415, 429),
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
        data = _wrap_bare_plan(request.data)
        plan_only = hasattr(data, "keys") and "plan" in data and set(data.keys()) <= _PLAN_WAY_FIELDS
        serializer = (_PlanInputSerializer if plan_only else RenderCreateApi.InputSerializer)(data=data)
        serializer.is_valid(raise_exception=True)
        webhook_url = serializer.validated_data.get("webhook_url", "")
        if webhook_url:
            check_webhook_url(webhook_url)
        if "topic" in serializer.validated_data:
            refused = _topic_job_or_refusal(request, serializer.validated_data, webhook_url)
            if isinstance(refused, Response):
                return refused
            job = refused
        elif "photos" in serializer.validated_data:
            job = _photo_job(request, serializer.validated_data, webhook_url)
        else:
            plan_data = serializer.validated_data["plan"]
            try:
                job = job_create(
                    owner=request.user,
                    plan_data=plan_data,
                    webhook_url=webhook_url,
                    priority=serializer.validated_data["priority"],
                )
            except UploadNotFound:
                raise  # a 404, not an invalid plan
            except PlanError as error:
                raise PlanRejected(error, limit=error.limit) from error
        url = job_url(request, job)
        # By class name: RendersApi inherits from RenderListApi too, whose OutputSerializer comes first.
        output = _CREATED_SERIALIZER.to_representation(
            {
                "job_id": job.pk,
                "state": job.state,
                "estimated_wait_seconds": estimated_wait_seconds(job) or 0,
                "cost_estimate": job.cost_estimate,
                "priority": job.priority,
                "url": url,
                "created_at": job.created_at,
            }
        )
        return Response(output, status=status.HTTP_201_CREATED, headers={"Location": url})


# A body with a plan and nothing the plan way refuses (the usual one): checked by the same fields, in
# a serializer of only those. The whole input serializer deep-copies its twenty-odd fields on every
# request, a tenth of a creation's cost; its `validate` has nothing to refuse in such a body.
_PLAN_WAY_FIELDS = frozenset({"plan", "webhook_url", "priority"})
_PlanInputSerializer = type(
    "RenderCreatePlanInput",
    (JsonInputSerializer,),
    {
        "__module__": __name__,
        **{name: copy.deepcopy(RenderCreateApi.InputSerializer._declared_fields[name]) for name in _PLAN_WAY_FIELDS},
    },
)

# Bound once, as the detail serializer below: building one deep-copies its fields every request.
_CREATED_SERIALIZER = RenderCreateApi.OutputSerializer()
_CREATED_SERIALIZER.fields  # noqa: B018 - bind the fields once, at import


@extend_schema_view(
    post=extend_schema(deprecated=True, summary="Start a render (old path)", operation_id="render_create_legacy")
)
class LegacyRenderCreateApi(RenderCreateApi):
    """POST /render: the older path of POST /renders (it shares Idempotency-Keys with it)."""


def _wrap_bare_plan(data: Any) -> Any:
    # The old /render endpoint took the plan itself as the body; keep accepting that shape.
    if hasattr(data, "keys") and "plan" not in data and "scenes" in data:
        request_fields = ("webhook_url", "priority")  # about the job, not the plan
        plan = {key: data[key] for key in data.keys() if key not in request_fields}
        wrapped: dict[str, Any] = {"plan": plan}
        wrapped.update({key: data[key] for key in request_fields if key in data})
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


SINCE_EVENT_PARAMETER = OpenApiParameter(
    "since_event",
    int,
    OpenApiParameter.QUERY,
    required=False,
    description="Only log lines after this event id (a log line's `id`), at most 50, oldest first; without it, "
    "the newest 50.",
)


def _since_event_or_none(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def _since_event(request: Request) -> int | None:
    raw = request.query_params.get("since_event")
    if raw is None:
        return None
    since = _since_event_or_none(raw)
    if since is None:
        raise serializers.ValidationError({"since_event": "A log line's id: a whole number, 0 or more."})
    return since


def _detail_etag(stamp: JobStamp | RenderJob, wait: int | None) -> str:
    # With S3 the answer holds presigned URLs that expire: a new ETag every half of their life
    # keeps a revalidating client from holding on to dead links.
    presigned = None
    if not isinstance(default_storage, FileSystemStorage):
        storage: Any = settings.STORAGES["default"]
        options: dict[str, Any] = storage.get("OPTIONS", {})
        half_life = max(30, int(options.get("querystring_expire", 3600)) // 2)
        presigned = f"p{int(time.time() // half_life)}"
    return job_etag(kind="d", version=stamp.change_seq, parts=(wait, presigned))


def _not_modified_for_api_key(request: HttpRequest, job_id: str) -> HttpResponseNotModified | None:
    """A 304 for a poll whose ETag still holds, answered before DRF sets up the request; None when
    the full path must decide (no If-None-Match, no API key, a key that is refused, a bad
    `since_event`, a job that is not there or changed).

    It authenticates as ApiKeyAuthentication does (the address lock-out for guessed keys, then the
    key, from the cache when it is there), which is everything DRF would check for this GET: no
    throttle applies to reads. Anything it cannot settle goes the full way, where refusals are
    made and explained.
    """
    if_none_match = request.headers.get("If-None-Match")
    raw_key = raw_key_from_request(request) if if_none_match else None
    if not raw_key or api_key_locked_out(request):
        return None
    if "since_event" in request.GET and _since_event_or_none(request.GET["since_event"]) is None:
        return None
    key = api_key_authenticate(raw_key)
    if key is None:
        return None
    request.user = key.user  # for the access log and the audit trail, as DRF would
    try:
        stamp = job_stamp_for_user(user=key.user, job_id=job_id)
    except Http404:
        return None
    etag = _detail_etag(
        stamp, estimated_wait_for(state=stamp.state, created_at=stamp.created_at, priority=stamp.priority)
    )
    if not etag_matches(if_none_match, etag):
        return None
    response = HttpResponseNotModified()
    for name, value in _revalidate_headers(etag).items():
        response[name] = value
    return response


class RenderDetailApi(JsonApiView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "GET":
            not_modified = _not_modified_for_api_key(request, kwargs["job_id"])
            if not_modified is not None:
                return not_modified
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        tags=TAG,
        summary="A render job's status and results",
        operation_id="renders_retrieve",
        description="Poll until `is_final` is true. Asset URLs are absolute; with S3 storage they are "
        "presigned and expire. Every answer carries an `ETag`: send it back as `If-None-Match` and an "
        "unchanged job is answered `304 Not Modified` with no body, cheaply. `?since_event=` returns only "
        "the log lines after the last one you have.",
        parameters=[JOB_ID_PARAMETER, SINCE_EVENT_PARAMETER],
        responses={
            200: JobDetailSerializer,
            304: OpenApiResponse(description="Not modified since the ETag sent in `If-None-Match`."),
            **error_responses(400, 404),
        },
    )
    def get(self, request: Request, job_id: str) -> Response:
        since_event = _since_event(request)
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match:  # a session, or a key not settled by the fast path in dispatch
            stamp = job_stamp_for_user(user=request.user, job_id=job_id)
            wait = estimated_wait_for(state=stamp.state, created_at=stamp.created_at, priority=stamp.priority)
            etag = _detail_etag(stamp, wait)
            if etag_matches(if_none_match, etag):
                return Response(status=status.HTTP_304_NOT_MODIFIED, headers=_revalidate_headers(etag))
        job = job_get_for_user(user=request.user, job_id=job_id)
        # Read after the job row, so the ETag is never newer than what the body shows.
        wait = estimated_wait_seconds(job)
        data = _DETAIL_SERIALIZER.to_representation(job_detail(request, job, since_event=since_event, wait=wait))
        return Response(data, headers=_revalidate_headers(_detail_etag(job, wait)))

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


def _revalidate_headers(etag: str) -> dict[str, str]:
    # private: the answer is one user's; no-cache: a cache may keep it but must ask (If-None-Match) each time.
    return {"ETag": etag, "Cache-Control": "private, no-cache"}


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
