"""Story templates and the content library over the API (/api/v1/templates…, /api/v1/library…).

Templates come from `library.stories`; library items are the caller's render jobs (every job
for an admin), read through `renders.selectors`, so the same access rule applies.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from bhakti.api.json_input import JsonInputSerializer
from bhakti.api.pagination import PageSerializer
from bhakti.api.schema import error_responses
from bhakti.api.views import JsonApiView
from library.stories import LengthTooShort, StoryTemplate, get_template, list_templates, plan_from_template
from renders.api.job_lists import job_page
from renders.api.representations import asset_url, job_url
from renders.api.schema import JOB_ID_PARAMETER
from renders.api.serializers import JobFilterQuerySerializer, PlanField
from renders.models import AssetKind, JobState, RenderJob
from renders.pipeline import plan as plan_schema
from renders.selectors import job_get_for_user
from renders.services import plan_limits, validate_plan

TEMPLATE_TAG = ["templates"]
LIBRARY_TAG = ["library"]

TEMPLATE_ID_PARAMETER = OpenApiParameter(
    "template_id", str, OpenApiParameter.PATH, description="A template id from GET /templates, e.g. `prahlad`."
)


class TemplateSerializer(serializers.Serializer):
    class Meta:
        ref_name = "StoryTemplate"

    id = serializers.CharField()
    title_en = serializers.CharField()
    title_hi = serializers.CharField()
    description_en = serializers.CharField()
    description_hi = serializers.CharField()
    style = serializers.CharField()
    music = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    aliases_en = serializers.ListField(
        child=serializers.CharField(),
        help_text="Other names and spellings, in Latin letters (e.g. Prahlada, Narasimha).",
    )
    aliases_hi = serializers.ListField(child=serializers.CharField(), help_text="Other names, in Devanagari.")
    scene_count = serializers.IntegerField()
    duration_sec = serializers.FloatField(help_text="Length at the template's own pacing.")


def _template_data(template: StoryTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "title_en": template.title_en,
        "title_hi": template.title_hi,
        "description_en": template.description_en,
        "description_hi": template.description_hi,
        "style": template.style,
        "music": template.music,
        "tags": list(template.tags),
        "aliases_en": list(template.aliases_en),
        "aliases_hi": list(template.aliases_hi),
        "scene_count": len(template.scenes),
        "duration_sec": template.duration_sec,
    }


class TemplateListApi(JsonApiView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StoryTemplateList"

        count = serializers.IntegerField()
        results = TemplateSerializer(many=True)

    @extend_schema(
        tags=TEMPLATE_TAG,
        summary="List story templates",
        operation_id="templates_list",
        description="Ready-made devotional stories in English and Hindi; turn one into a plan with "
        "POST /templates/{template_id}/plan.",
        responses={200: OutputSerializer, **error_responses()},
    )
    def get(self, request: Request) -> Response:
        templates = [_template_data(template) for template in list_templates()]
        return Response(self.OutputSerializer({"count": len(templates), "results": templates}).data)


class TemplatePlanApi(JsonApiView):
    class InputSerializer(JsonInputSerializer):
        class Meta:
            ref_name = "TemplatePlanOptions"

        language = serializers.ChoiceField(choices=plan_schema.LANGUAGES, default="en")
        voice = serializers.ChoiceField(choices=plan_schema.VOICES, default="female")
        length_sec = serializers.FloatField(
            min_value=1,
            max_value=settings.MAX_TOTAL_DURATION_SEC,
            required=False,
            allow_null=True,
            help_text="Total length wanted. The story is told so it can be spoken in that time: in full, "
            "else each scene's short line, else the short lines of fewer scenes. Omit for the full story at "
            "its own pacing.",
        )
        aspect = serializers.ChoiceField(choices=plan_schema.ASPECTS, default="16:9")
        resolution = serializers.ChoiceField(choices=plan_schema.RESOLUTIONS, default="1080p")
        mode = serializers.ChoiceField(choices=plan_schema.MODES, default="final")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TemplatePlan"

        template_id = serializers.CharField()
        plan = PlanField(help_text='Ready to submit: POST /renders with {"plan": …}.')

    @extend_schema(
        tags=TEMPLATE_TAG,
        summary="Turn a story template into a plan",
        operation_id="templates_plan",
        parameters=[TEMPLATE_ID_PARAMETER],
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 404, 415)},
    )
    def post(self, request: Request, template_id: str) -> Response:
        options = self.InputSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        template = get_template(template_id)
        try:
            plan = plan_from_template(template, **options.validated_data, limits=plan_limits())
        except LengthTooShort as error:
            raise serializers.ValidationError({"length_sec": [str(error)]}) from error
        except ValueError as error:
            raise serializers.ValidationError({"non_field_errors": [str(error)]}) from error
        validate_plan(plan_data=plan)  # the same gate as a submitted plan: what is returned will be accepted
        return Response(self.OutputSerializer({"template_id": template.id, "plan": plan}).data)


class LibraryItemSerializer(serializers.Serializer):
    class Meta:
        ref_name = "LibraryItem"

    id = serializers.UUIDField()
    title = serializers.CharField()
    language = serializers.CharField()
    state = serializers.ChoiceField(choices=JobState.choices)
    aspect = serializers.CharField()
    scene_count = serializers.IntegerField()
    duration_sec = serializers.FloatField(allow_null=True)
    thumbnail_url = serializers.URLField(allow_null=True)
    final_video_url = serializers.URLField(allow_null=True)
    created_at = serializers.DateTimeField()
    url = serializers.URLField(help_text="The job's status endpoint.")


def _library_item(request: Request, job: RenderJob) -> dict[str, Any]:
    # Assets come prefetched with the page (one query for the whole page).
    by_kind = {asset.kind: asset for asset in job.assets.all()}
    thumbnail, video = by_kind.get(AssetKind.THUMBNAIL), by_kind.get(AssetKind.VIDEO)
    plan = job.plan if isinstance(job.plan, dict) else {}
    return {
        "id": job.pk,
        "title": job.title,
        "language": job.language,
        "state": job.state,
        "aspect": str(plan.get("aspect", "")),
        "scene_count": len(plan.get("scenes") or []),
        "duration_sec": job.duration_sec,
        "thumbnail_url": asset_url(request, thumbnail) if thumbnail else None,
        "final_video_url": asset_url(request, video) if video else None,
        "created_at": job.created_at,
        "url": job_url(request, job),
    }


class LibraryListApi(JsonApiView):
    class OutputSerializer(PageSerializer):
        class Meta:
            ref_name = "LibraryPage"

        results = LibraryItemSerializer(many=True)

    @extend_schema(
        tags=LIBRARY_TAG,
        summary="Your video library",
        operation_id="library_list",
        description="Your videos, newest first, with thumbnails; filter by state (e.g. `succeeded`) and language.",
        parameters=[JobFilterQuerySerializer],
        responses={200: OutputSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        page = job_page(request, represent=lambda job: _library_item(request, job), prefetch=["assets"])
        return Response(self.OutputSerializer(page).data)


class LibraryDuplicateApi(JsonApiView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DuplicatedPlan"

        source_job_id = serializers.UUIDField()
        plan = PlanField(help_text="The job's plan, ready to edit and submit as a new render.")

    @extend_schema(
        tags=LIBRARY_TAG,
        summary="Duplicate a video as a new plan",
        operation_id="library_duplicate",
        description="Returns the job's plan; nothing is created until you POST it to /renders.",
        parameters=[JOB_ID_PARAMETER],
        request=None,
        responses={200: OutputSerializer, **error_responses(404)},
    )
    def post(self, request: Request, job_id: str) -> Response:
        job = job_get_for_user(user=request.user, job_id=job_id)
        return Response(
            self.OutputSerializer({"source_job_id": job.pk, "plan": job.plan}).data, status=status.HTTP_200_OK
        )
