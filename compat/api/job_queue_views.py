"""The job queue service's calls (/api/v1/jobs/…), as thin adapters over the render services.

`video_request.script_content` is split into scenes by the create page's own splitter
(`renders.story_splitter`), so a queued script renders like a pasted story. `priority` is
accepted and answered but not used: jobs start in the order they were queued. `user_id` names
the caller (their id or user name); only an admin may name someone else.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from bhakti import health
from bhakti.api.json_input import JsonInputSerializer
from bhakti.api.pagination import PageQuerySerializer, paginate
from bhakti.api.schema import RETRY_AFTER_PARAMETER, error_responses
from bhakti.api.views import JsonApiView
from compat import representations
from compat.api.schema import TAGS, QueueStatusSerializer, describe
from compat.api.views import StartsJobs, caller, create_from_plan
from compat.mappings import LEGACY_STATE_NAMES, LEGACY_STATES, legacy_state
from compat.plans import plan_from_video_request
from renders.api.schema import IDEMPOTENCY_PARAMETERS, JOB_ID_PARAMETER
from renders.idempotency import idempotent
from renders.pipeline.plan import MAX_TITLE_CHARS
from renders.selectors import is_admin, job_get_for_user, job_stats, jobs_list
from renders.services import job_cancel

MIN_PRIORITY, MAX_PRIORITY = 0, 10
PRIORITY_NOTE = "priority is accepted but not used yet: jobs start in the order they were queued."
HEALTH_CHECKS = (("database", health.check_database), ("broker", health.check_broker))


def _named_user(request: Request, user_id: object) -> User:
    """The user `user_id` names: the caller (by id or user name), or anyone for an admin."""
    me = caller(request)
    text = str(user_id).strip()
    if text in (str(me.pk), me.get_username()):
        return me
    if not is_admin(me):
        raise PermissionDenied("Only an admin may name another user's user_id; leave it out for your own jobs.")
    match = Q(username=text) | (Q(pk=int(text)) if text.isdigit() else Q(pk__in=[]))
    user = User.objects.filter(match).first()
    if user is None:
        raise serializers.ValidationError({"user_id": f"No user {text!r}."})
    return user


class VideoRequestSerializer(JsonInputSerializer):
    class Meta:
        ref_name = "CompatVideoRequest"

    script_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    user_id = serializers.CharField(max_length=150, required=False, allow_blank=True, help_text="Yours, by default.")
    title = serializers.CharField(max_length=MAX_TITLE_CHARS, required=False, allow_blank=True)
    script_content = serializers.CharField(max_length=20_000, help_text="The narration; split into scenes.")
    language = serializers.CharField(max_length=20, default="en", help_text="`en-US`, `hi-IN`, `en`, `hi`.")
    platform = serializers.CharField(max_length=40, default="youtube", help_text="youtube: 16:9; shorts, tiktok: 9:16.")
    duration = serializers.IntegerField(min_value=1, max_value=3600, required=False, help_text="Seconds wanted.")
    voice_provider = serializers.CharField(max_length=40, required=False, allow_blank=True)

    def to_internal_value(self, data: Any) -> Any:
        # user_id is an id to them: a number is as good as text.
        if isinstance(data, dict) and isinstance(data.get("user_id"), int) and not isinstance(data["user_id"], bool):
            data = {**data, "user_id": str(data["user_id"])}
        return super().to_internal_value(data)


class QueuedSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CompatQueued"

    job_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=LEGACY_STATE_NAMES)
    priority = serializers.IntegerField()
    script_id = serializers.CharField(allow_blank=True)
    user_id = serializers.CharField()
    status_url = serializers.URLField()
    notes = serializers.ListField(child=serializers.CharField())


class JobQueueApi(StartsJobs):
    class InputSerializer(JsonInputSerializer):
        class Meta:
            ref_name = "CompatJobSubmit"

        video_request = VideoRequestSerializer()
        priority = serializers.IntegerField(min_value=MIN_PRIORITY, max_value=MAX_PRIORITY, default=5)

    class QuerySerializer(PageQuerySerializer):
        class Meta:
            ref_name = "CompatJobListQuery"

        user_id = serializers.CharField(required=False, allow_blank=True, help_text="An admin may name another user.")

    class PageOutput(serializers.Serializer):
        class Meta:
            ref_name = "CompatJobPage"

        class JobSummary(serializers.Serializer):
            class Meta:
                ref_name = "CompatJobSummary"

            job_id = serializers.UUIDField()
            title = serializers.CharField()
            status = serializers.ChoiceField(choices=LEGACY_STATE_NAMES)
            progress = serializers.FloatField(min_value=0, max_value=1)
            created_at = serializers.DateTimeField()

        jobs = JobSummary(many=True)
        total = serializers.IntegerField()
        page = serializers.IntegerField()
        page_size = serializers.IntegerField()
        has_more = serializers.BooleanField()

    @extend_schema(
        tags=TAGS,
        summary="Queue a video job (job queue service)",
        operation_id="compat_jobs_create",
        description=describe("POST /api/v1/renders with the script split into scenes (renders.story_splitter)."),
        request=InputSerializer,
        responses={201: QueuedSerializer, **error_responses(400, 409, 415, 422, 429)},
        parameters=[*IDEMPOTENCY_PARAMETERS, RETRY_AFTER_PARAMETER],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        video = given.validated_data["video_request"]
        owner = _named_user(request, video.get("user_id") or request.user.pk)
        translated = plan_from_video_request(video)
        notes = [*translated.notes, PRIORITY_NOTE]
        if owner != request.user:
            notes.append(f"Queued by {request.user.get_username()} for {owner.get_username()}.")
        job = create_from_plan(owner, translated)
        url = request.build_absolute_uri(reverse("compat-jobs-detail", kwargs={"job_id": str(job.pk)}))
        body = {
            "job_id": str(job.pk),
            "status": legacy_state(job.state),
            "priority": given.validated_data["priority"],
            "script_id": video.get("script_id", ""),
            "user_id": str(owner.pk),
            "status_url": url,
            "notes": notes,
        }
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": url})

    @extend_schema(
        tags=TAGS,
        summary="Your queued jobs (job queue service)",
        operation_id="compat_jobs_list",
        description=describe("GET /api/v1/renders, newest first; only your own jobs unless an admin names `user_id`."),
        parameters=[QuerySerializer],
        responses={200: PageOutput, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        options = query.validated_data
        owner = _named_user(request, options.get("user_id") or request.user.pk)
        jobs = jobs_list(user=request.user).filter(owner=owner)
        page = paginate(
            request,
            jobs,
            page=options["page"],
            page_size=options["page_size"],
            represent=representations.queue_job_summary,
        )
        return Response(
            {
                "jobs": page["results"],
                "total": page["count"],
                "page": page["page"],
                "page_size": page["page_size"],
                "has_more": page["next"] is not None,
            }
        )


class JobQueueDetailApi(JsonApiView):
    @extend_schema(
        tags=TAGS,
        summary="A queued job's status (job queue service)",
        operation_id="compat_jobs_retrieve",
        description=describe("GET /api/v1/renders/{id}; `progress` from 0 to 1, `result` once it succeeded."),
        parameters=[JOB_ID_PARAMETER],
        responses={200: QueueStatusSerializer, **error_responses(404)},
    )
    def get(self, request: Request, job_id: str) -> Response:
        job = job_get_for_user(user=request.user, job_id=job_id)
        return Response(representations.queue_job_status(request, job))

    @extend_schema(
        tags=TAGS,
        summary="Cancel a queued or running job (job queue service)",
        operation_id="compat_jobs_cancel",
        description=describe("POST /api/v1/renders/{id}/cancel."),
        parameters=[JOB_ID_PARAMETER],
        request=None,
        responses={200: QueueStatusSerializer, **error_responses(404, 409)},
    )
    def delete(self, request: Request, job_id: str) -> Response:
        job = job_cancel(job=job_get_for_user(user=request.user, job_id=job_id))
        return Response(representations.queue_job_status(request, job))


class JobQueueCountsApi(JsonApiView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CompatJobCounts"

        pending = serializers.IntegerField()
        running = serializers.IntegerField()
        success = serializers.IntegerField()
        error = serializers.IntegerField(help_text="Failed and canceled.")
        total = serializers.IntegerField()

    @extend_schema(
        tags=TAGS,
        summary="Your jobs counted by status (job queue service)",
        operation_id="compat_jobs_counts",
        description=describe("GET /api/v1/renders/stats (an admin counts every user's jobs)."),
        responses={200: OutputSerializer, **error_responses()},
    )
    def get(self, request: Request) -> Response:
        counts = dict.fromkeys(LEGACY_STATE_NAMES, 0)
        ours = job_stats(user=request.user)
        for state, count in ours.items():
            counts[LEGACY_STATES[state]] += count
        return Response({**counts, "total": sum(ours.values())})


class JobQueueHealthApi(JsonApiView):
    """Answers without a key, like /readyz: a load balancer or monitor asks it. Only ok/failed is told."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CompatJobHealth"

        status = serializers.ChoiceField(choices=("healthy", "unhealthy"))
        checks = serializers.DictField(child=serializers.ChoiceField(choices=("ok", "failed")))

    @extend_schema(
        tags=TAGS,
        summary="Health of the job queue, its broker included (job queue service)",
        operation_id="compat_jobs_health",
        description=describe("the database and broker checks of /readyz. 503 when one fails."),
        auth=[],
        responses={200: OutputSerializer, 503: OutputSerializer},
    )
    def get(self, request: Request) -> Response:
        checks = {name: _check(check) for name, check in HEALTH_CHECKS}
        healthy = all(result == "ok" for result in checks.values())
        body = {"status": "healthy" if healthy else "unhealthy", "checks": checks}
        return Response(body, status=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE)


@extend_schema_view(get=extend_schema(exclude=True), post=extend_schema(exclude=True))
class JobQueueUnslashedApi(JobQueueApi):
    """/api/v1/jobs without the trailing slash; documented once, at /api/v1/jobs/."""


def _check(check: Any) -> str:
    try:
        with transaction.atomic():  # one failed query must not poison the next check
            check()
    except Exception:  # noqa: BLE001 - a health probe reports every failure, whatever its kind
        return "failed"
    return "ok"
