"""The render platform's, Creator mode's and the agents' calls, as thin adapters over /api/v1's services.

Each view translates the older request (compat.plans, compat.mappings), calls the service the
/api/v1 view calls, and reshapes the answer (compat.representations). Access is
`renders.selectors.job_get_for_user` (someone else's job is a 404); starting a job goes through
the render start rate limit, the Idempotency-Key and the services' quotas and audit.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from bhakti.api.errors import ErrorSerializer, error_body
from bhakti.api.json_input import JsonInputSerializer
from bhakti.api.pagination import PageQuerySerializer, paginate
from bhakti.api.schema import RETRY_AFTER_PARAMETER, error_responses
from bhakti.api.views import JsonApiView
from compat import representations
from compat.api.schema import (
    TAGS,
    LegacyCreatedSerializer,
    LegacyPlanSerializer,
    LegacyStatusSerializer,
    describe,
)
from compat.mappings import (
    LEGACY_STATE_NAMES,
    STATES_FOR_LEGACY,
    UnknownValue,
    legacy_state,
    legacy_template_id,
    our_language,
    our_template_id,
    our_voice,
)
from compat.plans import Translated, legacy_error_path, legacy_plan, plan_from_legacy
from library.stories import get_template, list_templates, plan_from_template
from publishing import services as publishing
from publishing.models import Publication
from renders.api.errors import PlanRejected
from renders.api.representations import estimated_wait_seconds
from renders.api.schema import IDEMPOTENCY_PARAMETERS, JOB_ID_PARAMETER
from renders.api.throttles import RenderStartRateThrottle
from renders.idempotency import idempotent
from renders.models import RenderJob
from renders.pipeline.plan import MAX_TOPIC_CHARS, PlanError
from renders.selectors import job_get_for_user, jobs_list
from renders.services import job_cancel, job_create, job_webhook_update, plan_limits, validate_plan
from renders.topic import MAX_TARGET_SEC, MIN_TARGET_SEC, ScriptFailed, TopicNotFound, TopicRequest, topic_job_create
from renders.webhooks import check_webhook_url

# A publishing refusal's HTTP status; any other code is a conflict with the video's state.
PUBLISH_ERROR_STATUS = {"not_found": status.HTTP_404_NOT_FOUND, "invalid": status.HTTP_400_BAD_REQUEST}


def caller(request: Request) -> User:
    """The authenticated caller; every view here but the job queue's health check requires one."""
    user = request.user
    assert isinstance(user, User), "the view's IsAuthenticated permission admits only users"
    return user


class StartsJobs(JsonApiView):
    """POSTs start renders: the same per-user start rate as POST /api/v1/renders."""

    def get_throttles(self) -> list[BaseThrottle]:
        return [RenderStartRateThrottle()] if self.request.method == "POST" else []


def _legacy_plan_rejected(error: PlanError) -> PlanRejected:
    renamed = PlanError({legacy_error_path(path): message for path, message in error.errors.items()}, limit=error.limit)
    return PlanRejected(renamed, limit=error.limit)


def create_from_plan(owner: User, translated: Translated, *, webhook_url: str = "") -> RenderJob:
    """job_create, with plan errors named in the client's own field names (`scenes[0].prompt`)."""
    try:
        return job_create(owner=owner, plan_data=translated.plan, webhook_url=webhook_url)
    except PlanError as error:
        raise _legacy_plan_rejected(error) from error


def create_from_topic(request: Request, topic: TopicRequest) -> RenderJob | Response:
    """The topic path (renders.topic); a topic nothing can be written for is a 422 or 502, no job."""
    try:
        return topic_job_create(owner=caller(request), request=topic)
    except TopicNotFound as refusal:
        closest = [{"id": legacy_template_id(story.id), "title": story.title_en} for story in refusal.closest]
        body = error_body(refusal.code, refusal.message, errors={"prompt": refusal.message})
        return Response({**body, "closest": closest}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    except ScriptFailed as failure:
        return Response(error_body(failure.code, failure.message), status=status.HTTP_502_BAD_GATEWAY)


def created(request: Request, job: RenderJob, notes: list[str]) -> Response:
    url = representations.status_url(request, job)
    body = {
        "job_id": str(job.pk),
        "status": legacy_state(job.state),
        "estimated_wait_seconds": estimated_wait_seconds(job) or 0,
        "status_url": url,
        "notes": notes,
    }
    return Response(body, status=status.HTTP_201_CREATED, headers={"Location": url})


TOPIC_REFUSALS = {
    422: OpenApiResponse(ErrorSerializer, description="`topic_not_found` (offline, nothing matches; `closest` "
                         "lists stories), or `idempotency_key_reused`."),
    502: OpenApiResponse(ErrorSerializer, description="`script_failed`: the script service failed."),
}  # fmt: skip


# --- Render platform ---------------------------------------------------------------------------


class RenderApi(StartsJobs):
    @extend_schema(
        tags=TAGS,
        summary="Start a render (render platform)",
        operation_id="compat_render_create",
        description=describe(
            "POST /api/v1/renders. A plan with `scenes` (`prompt`, `narration`, optional `duration`), "
            "the smoke form `{topic, images, duration}`, or a bare `{topic}` (the topic path). `voice` "
            "`F`/`M`, `language` `en-US` accepted."
        ),
        request=LegacyPlanSerializer,
        responses={201: LegacyCreatedSerializer, **error_responses(400, 409, 415, 429), **TOPIC_REFUSALS},
        parameters=[*IDEMPOTENCY_PARAMETERS, RETRY_AFTER_PARAMETER],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = request.data
        if not hasattr(data, "keys"):
            raise serializers.ValidationError({"non_field_errors": "Send a JSON object: a plan."})
        if "scenes" not in data and "images" not in data:
            return self._from_topic(request, data)
        hook = WebhookUrlInput(data={"webhook_url": data.get("webhook_url") or ""})
        hook.is_valid(raise_exception=True)
        webhook_url = hook.validated_data["webhook_url"]
        if webhook_url:
            check_webhook_url(webhook_url)  # the same rule as POST /api/v1/renders: no private targets
        translated = plan_from_legacy(data, owner=caller(request))
        return created(
            request, create_from_plan(caller(request), translated, webhook_url=webhook_url), translated.notes
        )

    def _from_topic(self, request: Request, data: Any) -> Response:
        given = TopicInput(data=data)
        given.is_valid(raise_exception=True)
        options = given.validated_data
        job = create_from_topic(
            request,
            TopicRequest(
                topic=options["topic"],
                language=options["language"],
                duration_target=options["duration"],
                options={"voice": str(options["voice"])} if "voice" in options else {},
            ),
        )
        return job if isinstance(job, Response) else created(request, job, [])


class WebhookUrlInput(JsonInputSerializer):
    class Meta:
        ref_name = "CompatWebhookUrl"

    webhook_url = serializers.URLField(max_length=200, allow_blank=True)


class LegacyLanguageField(serializers.CharField):
    """`en`, `hi`, or a language tag like `en-US`; validated to ours."""

    def to_internal_value(self, data: Any) -> str:
        try:
            return our_language(super().to_internal_value(data))
        except UnknownValue as error:
            raise serializers.ValidationError(str(error)) from error


class LegacyVoiceField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        try:
            return our_voice(super().to_internal_value(data))
        except UnknownValue as error:
            raise serializers.ValidationError(str(error)) from error


class TopicInput(JsonInputSerializer):
    class Meta:
        ref_name = "CompatTopic"

    topic = serializers.CharField(max_length=MAX_TOPIC_CHARS)
    language = LegacyLanguageField(default="en")
    duration = serializers.IntegerField(min_value=MIN_TARGET_SEC, max_value=MAX_TARGET_SEC, default=60)
    voice = LegacyVoiceField(required=False)


def _job_for(request: Request, job_id: str) -> RenderJob:
    return job_get_for_user(user=request.user, job_id=job_id)


class RenderStatusApi(JsonApiView):
    class QuerySerializer(serializers.Serializer):
        class Meta:
            ref_name = "CompatStatusQuery"

        include_history = serializers.BooleanField(default=False, help_text="Add `history`: every log line.")

    @extend_schema(
        tags=TAGS,
        summary="A render's status (render platform)",
        operation_id="compat_render_status",
        description=describe("GET /api/v1/renders/{id}, with states `pending`, `running`, `success`, `error`."),
        parameters=[JOB_ID_PARAMETER, QuerySerializer],
        responses={200: LegacyStatusSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request, job_id: str) -> Response:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        job = _job_for(request, job_id)
        body = representations.render_status(request, job, include_history=query.validated_data["include_history"])
        return Response(body)


@extend_schema_view(get=extend_schema(operation_id="compat_api_status", summary="A render's status (/api path)"))
class ApiStatusApi(RenderStatusApi):
    """GET /api/status/{id}: the same answer as GET /render/{id}/status."""


class RenderWebhookApi(JsonApiView):
    class InputSerializer(JsonInputSerializer):
        class Meta:
            ref_name = "CompatWebhook"

        url = serializers.URLField(max_length=200, allow_blank=True, help_text='"" removes it.')

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CompatWebhookSet"

        job_id = serializers.UUIDField()
        url = serializers.CharField(allow_blank=True)

    @extend_schema(
        tags=TAGS,
        summary="Register a render's state-change callback (render platform)",
        operation_id="compat_render_webhook",
        description=describe("the job's `webhook_url` of POST /api/v1/renders: a signed POST on every state change."),
        parameters=[JOB_ID_PARAMETER],
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 404, 415)},
    )
    def put(self, request: Request, job_id: str) -> Response:
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        job = job_webhook_update(job=_job_for(request, job_id), webhook_url=given.validated_data["url"])
        return Response({"job_id": str(job.pk), "url": job.webhook_url})


class RenderCancelApi(JsonApiView):
    @extend_schema(
        tags=TAGS,
        summary="Cancel a render (render platform)",
        operation_id="compat_render_cancel",
        description=describe("POST /api/v1/renders/{id}/cancel; answers the render's status."),
        parameters=[JOB_ID_PARAMETER],
        request=None,
        responses={200: LegacyStatusSerializer, **error_responses(404, 409)},
    )
    def delete(self, request: Request, job_id: str) -> Response:
        job = job_cancel(job=_job_for(request, job_id))
        return Response(representations.render_status(request, job))


# --- Creator mode ------------------------------------------------------------------------------


class TemplateListApi(JsonApiView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CompatTemplates"

        class TemplateSerializer(serializers.Serializer):
            class Meta:
                ref_name = "CompatTemplate"

            id = serializers.CharField(help_text="`ganga_avatar` for our `ganga-avatar`.")
            title = serializers.CharField()
            description = serializers.CharField()
            tags = serializers.ListField(child=serializers.CharField())

        templates = TemplateSerializer(many=True)

    @extend_schema(
        tags=TAGS,
        summary="Story templates (Creator mode)",
        operation_id="compat_templates_list",
        description=describe("GET /api/v1/templates, English titles, ids with underscores."),
        responses={200: OutputSerializer, **error_responses()},
    )
    def get(self, request: Request) -> Response:
        templates = [
            {
                "id": legacy_template_id(template.id),
                "title": template.title_en,
                "description": template.description_en,
                "tags": list(template.tags),
            }
            for template in list_templates()
        ]
        return Response({"templates": templates})


class TemplatePlanApi(JsonApiView):
    class InputSerializer(JsonInputSerializer):
        class Meta:
            ref_name = "CompatTemplatePlanOptions"

        template_id = serializers.CharField(max_length=100, help_text="`prahlad`, `ganga_avatar`, …")
        language = LegacyLanguageField(default="en")
        length_sec = serializers.FloatField(min_value=1, required=False, allow_null=True)
        voice = LegacyVoiceField(default="F")

    @extend_schema(
        tags=TAGS,
        summary="A template as a plan (Creator mode)",
        operation_id="compat_templates_plan",
        description=describe("POST /api/v1/templates/{id}/plan; answers the plan itself, ready for POST /render."),
        request=InputSerializer,
        responses={200: LegacyPlanSerializer, **error_responses(400, 404, 415)},
    )
    def post(self, request: Request) -> Response:
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        options = given.validated_data
        template = get_template(our_template_id(options["template_id"]))
        try:
            plan = plan_from_template(
                template,
                language=options["language"],
                voice=options["voice"],
                length_sec=options.get("length_sec"),
                limits=plan_limits(),
            )
        except ValueError as error:  # LengthTooShort, or a length over the server's limit
            raise serializers.ValidationError({"length_sec": str(error)}) from error
        validate_plan(plan_data=plan)  # what is answered will be accepted
        return Response(legacy_plan(plan))


class LibraryApi(JsonApiView):
    class QuerySerializer(PageQuerySerializer):
        class Meta:
            ref_name = "CompatLibraryQuery"

        state = serializers.ChoiceField(choices=LEGACY_STATE_NAMES, required=False, allow_blank=True)
        language = LegacyLanguageField(required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CompatLibrary"

        class EntrySerializer(serializers.Serializer):
            class Meta:
                ref_name = "CompatLibraryEntry"

            job_id = serializers.UUIDField()
            title = serializers.CharField()
            state = serializers.ChoiceField(choices=LEGACY_STATE_NAMES)
            final_video_url = serializers.URLField(allow_null=True)
            thumbnail_url = serializers.URLField(allow_null=True)
            youtube_url = serializers.URLField(allow_null=True)
            created_at = serializers.DateTimeField()

        entries = EntrySerializer(many=True)
        total = serializers.IntegerField()
        has_more = serializers.BooleanField()

    @extend_schema(
        tags=TAGS,
        summary="Your videos (Creator mode)",
        operation_id="compat_library_list",
        description=describe("GET /api/v1/library; `state=error` lists failed and canceled videos."),
        parameters=[QuerySerializer],
        responses={200: OutputSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        options = query.validated_data
        jobs = jobs_list(user=request.user, language=options.get("language") or None)
        if options.get("state"):
            jobs = jobs.filter(state__in=STATES_FOR_LEGACY[options["state"]])
        jobs = jobs.select_related("publication").prefetch_related("assets")
        page = paginate(
            request,
            jobs,
            page=options["page"],
            page_size=options["page_size"],
            represent=lambda job: representations.library_entry(request, job),
        )
        return Response({"entries": page["results"], "total": page["count"], "has_more": page["next"] is not None})


class LibraryDuplicateApi(JsonApiView):
    @extend_schema(
        tags=TAGS,
        summary="A video's plan, to render again (Creator mode)",
        operation_id="compat_library_duplicate",
        description=describe("POST /api/v1/library/{id}/duplicate; answers the plan itself."),
        parameters=[JOB_ID_PARAMETER],
        request=None,
        responses={200: LegacyPlanSerializer, **error_responses(404)},
    )
    def post(self, request: Request, job_id: str) -> Response:
        return Response(legacy_plan(_job_for(request, job_id).plan))


class ScheduleSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CompatSchedule"

    job_id = serializers.UUIDField()
    state = serializers.CharField(help_text="scheduled, queued, uploading, published, failed or canceled.")
    iso_datetime = serializers.DateTimeField(allow_null=True)
    upload_after = serializers.DateTimeField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField())
    privacy = serializers.CharField()
    made_for_kids = serializers.BooleanField()
    progress_pct = serializers.IntegerField()
    youtube_url = serializers.URLField(allow_null=True)
    error = serializers.CharField(allow_null=True)


def _own_job(request: Request, job_id: str) -> RenderJob:
    """Publishing acts on the caller's own videos only (as /api/v1/publish does), even for an admin."""
    job = job_get_for_user(user=request.user, job_id=job_id)
    if job.owner_id != request.user.pk:
        raise NotFound("No such video.")
    return job


def _publish_refusal(failure: publishing.PublishActionError) -> Response:
    code = PUBLISH_ERROR_STATUS.get(failure.code, status.HTTP_409_CONFLICT)
    return Response(error_body(failure.code, failure.message), status=code)


class PublishScheduleApi(JsonApiView):
    class InputSerializer(JsonInputSerializer):
        class Meta:
            ref_name = "CompatScheduleInput"

        iso_datetime = serializers.DateTimeField(required=False, allow_null=True, help_text="Omitted: now.")
        title = serializers.CharField(max_length=100)
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
        tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)

    @extend_schema(
        tags=TAGS,
        summary="Schedule a video for YouTube (Creator mode)",
        operation_id="compat_publish_schedule",
        description=describe("POST /api/v1/publish/{id}/schedule with `made_for_kids: false` and private privacy."),
        parameters=[JOB_ID_PARAMETER],
        request=InputSerializer,
        responses={201: ScheduleSerializer, **error_responses(400, 404, 409, 415)},
    )
    def post(self, request: Request, job_id: str) -> Response:
        job = _own_job(request, job_id)
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            publication = publishing.publication_schedule(
                owner=caller(request),
                job=job,
                title=data["title"],
                description=data["description"],
                tags=data["tags"],
                made_for_kids=False,  # their schedule call has no such field: not made for kids
                publish_at=data.get("iso_datetime"),
            )
        except publishing.PublishActionError as failure:
            return _publish_refusal(failure)
        publication.refresh_from_db()
        return Response(representations.schedule(publication), status=status.HTTP_201_CREATED)


class PublishStatusApi(JsonApiView):
    @extend_schema(
        tags=TAGS,
        summary="A video's YouTube schedule (Creator mode)",
        operation_id="compat_publish_status",
        description=describe("GET /api/v1/publish/{id}."),
        parameters=[JOB_ID_PARAMETER],
        responses={200: ScheduleSerializer, **error_responses(404)},
    )
    def get(self, request: Request, job_id: str) -> Response:
        publication = Publication.objects.filter(job=_own_job(request, job_id)).first()
        if publication is None:
            raise NotFound("This video is not scheduled for YouTube.")
        return Response(representations.schedule(publication))


class PublishCancelApi(JsonApiView):
    @extend_schema(
        tags=TAGS,
        summary="Cancel a video's YouTube schedule (Creator mode)",
        operation_id="compat_publish_cancel",
        description=describe("DELETE /api/v1/publish/{id}/cancel."),
        parameters=[JOB_ID_PARAMETER],
        request=None,
        responses={200: ScheduleSerializer, **error_responses(404, 409)},
    )
    def delete(self, request: Request, job_id: str) -> Response:
        job = _own_job(request, job_id)
        try:
            with transaction.atomic():
                publication = publishing.publication_cancel(owner=caller(request), job=job)
        except publishing.PublishActionError as failure:
            return _publish_refusal(failure)
        return Response(representations.schedule(publication))


# --- Agents ------------------------------------------------------------------------------------


class McpGenerateApi(StartsJobs):
    class InputSerializer(JsonInputSerializer):
        class Meta:
            ref_name = "CompatMcpGenerate"

        prompt = serializers.CharField(max_length=MAX_TOPIC_CHARS, help_text="What the video is about.")
        duration_target = serializers.IntegerField(min_value=MIN_TARGET_SEC, max_value=MAX_TARGET_SEC, default=60)
        language = LegacyLanguageField(default="en")

    @extend_schema(
        tags=TAGS,
        summary="Generate a video from a prompt (agents' REST shortcut)",
        operation_id="compat_mcp_generate",
        description=describe("POST /api/v1/renders with `topic` = prompt: the script is written, then it renders."),
        request=InputSerializer,
        responses={201: LegacyCreatedSerializer, **error_responses(400, 409, 415, 429), **TOPIC_REFUSALS},
        parameters=[*IDEMPOTENCY_PARAMETERS, RETRY_AFTER_PARAMETER],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        job = create_from_topic(
            request,
            TopicRequest(topic=data["prompt"], language=data["language"], duration_target=data["duration_target"]),
        )
        return job if isinstance(job, Response) else created(request, job, [])
