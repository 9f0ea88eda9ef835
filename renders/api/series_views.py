"""Series endpoints (/api/v1/series…): several library stories started as render jobs in one call,
optionally published on YouTube one per interval at a local time in the creator's time zone.

Access: `renders.selectors.series_get_for_user` is the only way to a series, so someone else's
series is a 404. Errors are shaped by `bhakti.api.errors.api_exception_handler`; the series
services' own exceptions answer as `renders/api/errors.py` says.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response

from bhakti.api.json_input import JsonInputSerializer
from bhakti.api.pagination import PageQuerySerializer, PageSerializer, paginate
from bhakti.api.schema import RETRY_AFTER_PARAMETER, error_responses
from bhakti.api.views import JsonApiView
from renders import rate_limits
from renders.api.representations import job_url
from renders.api.schema import IDEMPOTENCY_PARAMETERS
from renders.idempotency import idempotent
from renders.models import JobState, Series
from renders.pipeline.plan import ASPECTS, LANGUAGES, MODES, MUSIC, RESOLUTIONS, STYLES, VOICES, WATERMARKS
from renders.selectors import SeriesEntry, series_entries, series_for_user, series_get_for_user
from renders.series_publishing import PublishSettings
from renders.series_service import (
    MAX_SERIES_ITEMS,
    SeriesItem,
    SeriesSchedule,
    series_cancel,
    series_prepare,
    series_start,
)
from renders.series_times import MAX_TIME_ZONE_CHARS
from renders.webhooks import check_webhook_url

TAG = ["series"]
SERIES_ID_PARAMETER = OpenApiParameter(
    "series_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The series' id (a UUID)."
)
MIN_ITEM_SEC = 5
MAX_EVERY_DAYS = 365
MAX_EVERY_HOURS = 24 * 30


def series_url(request: Request, series: Series) -> str:
    return request.build_absolute_uri(reverse("api_v1:series-detail", kwargs={"series_id": str(series.pk)}))


# --- Output -----------------------------------------------------------------------------------------


class SeriesItemSerializer(serializers.Serializer):
    class Meta:
        ref_name = "SeriesItem"

    position = serializers.IntegerField(help_text="0-based; the publication order.")
    job_id = serializers.UUIDField()
    title = serializers.CharField()
    language = serializers.CharField()
    state = serializers.ChoiceField(choices=JobState.choices)
    progress_pct = serializers.IntegerField()
    url = serializers.URLField(help_text="The job's own endpoint.")
    publish_at_utc = serializers.DateTimeField(allow_null=True, help_text="The scheduled publish instant, in UTC.")
    publish_at_local = serializers.DateTimeField(
        allow_null=True, help_text="The same instant in the series' time zone (with its offset)."
    )
    publication_state = serializers.CharField(
        allow_null=True,
        help_text="scheduled, queued, uploading, published, failed or canceled; null without a publication.",
    )
    youtube_url = serializers.CharField(allow_blank=True)


class ScheduleOutSerializer(serializers.Serializer):
    class Meta:
        ref_name = "SeriesScheduleOut"

    start_date = serializers.DateField()
    time = serializers.TimeField(format="%H:%M")
    time_zone = serializers.CharField()
    every_days = serializers.IntegerField()
    every_hours = serializers.IntegerField()


class SeriesSummarySerializer(serializers.Serializer):
    class Meta:
        ref_name = "SeriesSummary"

    id = serializers.UUIDField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    canceled_at = serializers.DateTimeField(allow_null=True)
    schedule = ScheduleOutSerializer(allow_null=True)
    url = serializers.URLField()


class SeriesListItemSerializer(SeriesSummarySerializer):
    class Meta:
        ref_name = "SeriesListItem"

    job_count = serializers.IntegerField()


class SeriesDetailSerializer(SeriesSummarySerializer):
    class Meta:
        ref_name = "SeriesDetail"

    job_ids = serializers.ListField(child=serializers.UUIDField(), help_text="In publication order.")
    items = SeriesItemSerializer(many=True)


def _schedule_data(series: Series) -> dict[str, Any] | None:
    if not series.is_scheduled:
        return None
    return {
        "start_date": series.start_date,
        "time": series.local_time,
        "time_zone": series.time_zone,
        "every_days": series.every_days,
        "every_hours": series.every_hours,
    }


def _summary(request: Request, series: Series) -> dict[str, Any]:
    return {
        "id": series.pk,
        "title": series.title,
        "created_at": series.created_at,
        "canceled_at": series.canceled_at,
        "schedule": _schedule_data(series),
        "url": series_url(request, series),
    }


def _item(request: Request, entry: SeriesEntry) -> dict[str, Any]:
    publication = entry.publication
    return {
        "position": entry.position,
        "job_id": entry.job.pk,
        "title": entry.job.title,
        "language": entry.job.language,
        "state": entry.job.state,
        "progress_pct": entry.job.progress_pct,
        "url": job_url(request, entry.job),
        "publish_at_utc": entry.publish_at.astimezone(dt.UTC) if entry.publish_at else None,
        "publish_at_local": entry.publish_at,
        "publication_state": publication.state if publication else None,
        "youtube_url": publication.youtube_url if publication else "",
    }


def _detail(request: Request, series: Series) -> dict[str, Any]:
    entries = series_entries(series=series)
    data = {
        **_summary(request, series),
        "job_ids": [entry.job.pk for entry in entries],
        "items": [_item(request, entry) for entry in entries],
    }
    # Local instants keep their own offset in the output (DRF would convert them to UTC).
    serialized = SeriesDetailSerializer(data).data
    for out, entry in zip(serialized["items"], entries, strict=True):
        out["publish_at_local"] = entry.publish_at.isoformat() if entry.publish_at else None
    return serialized


# --- Input ------------------------------------------------------------------------------------------


class SeriesItemInputSerializer(JsonInputSerializer):
    class Meta:
        ref_name = "SeriesItemInput"

    story = serializers.CharField(max_length=100, help_text="A story template id (GET /api/v1/templates).")
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, default="en")
    duration_target = serializers.IntegerField(
        required=False,
        min_value=MIN_ITEM_SEC,
        help_text="The video's length in seconds (within the server's plan limits); the story's own length "
        "when left out.",
    )
    voice = serializers.ChoiceField(choices=VOICES, required=False)
    # A plan setting named like DRF's Field.style (a dict of rendering hints), as in the render API.
    style = serializers.ChoiceField(choices=STYLES, required=False)  # type: ignore[assignment]
    aspect = serializers.ChoiceField(choices=ASPECTS, required=False)
    resolution = serializers.ChoiceField(choices=RESOLUTIONS, required=False)
    mode = serializers.ChoiceField(choices=MODES, required=False)
    music = serializers.ChoiceField(choices=MUSIC, required=False)
    watermark = serializers.ChoiceField(choices=WATERMARKS, required=False)

    def validate_duration_target(self, value: int) -> int:
        if value > settings.MAX_TOTAL_DURATION_SEC:
            raise serializers.ValidationError(f"At most {settings.MAX_TOTAL_DURATION_SEC} seconds on this server.")
        return value


class ScheduleInputSerializer(JsonInputSerializer):
    class Meta:
        ref_name = "SeriesScheduleInput"

    start_date = serializers.DateField(help_text="The first publication's local date, YYYY-MM-DD.")
    time = serializers.TimeField(input_formats=["%H:%M"], help_text="The local time of every publication, HH:MM.")
    time_zone = serializers.CharField(
        max_length=MAX_TIME_ZONE_CHARS, help_text="An IANA time zone name, e.g. Asia/Kolkata or Europe/London."
    )
    every_days = serializers.IntegerField(required=False, default=1, min_value=0, max_value=MAX_EVERY_DAYS)
    every_hours = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_EVERY_HOURS)
    made_for_kids = serializers.BooleanField(help_text="YouTube requires the answer for every video.")
    privacy = serializers.ChoiceField(choices=["private", "unlisted", "public"], required=False, default="public")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["every_days"] == 0 and attrs["every_hours"] == 0:
            raise serializers.ValidationError({"every_days": "The interval must be at least one hour."})
        return attrs


class SeriesApi(JsonApiView):
    class InputSerializer(JsonInputSerializer):
        class Meta:
            ref_name = "SeriesCreate"

        title = serializers.CharField(max_length=120)
        # many=True takes min_length and max_length (DRF 3.14+); the stubs do not know them yet.
        items = SeriesItemInputSerializer(many=True, min_length=1, max_length=MAX_SERIES_ITEMS)  # type: ignore[call-arg]
        schedule = ScheduleInputSerializer(
            required=False,
            allow_null=True,
            help_text="Publish one item per interval on the connected YouTube channel. Leave out to only render.",
        )
        webhook_url = serializers.URLField(
            max_length=200, required=False, allow_blank=True, help_text="Receives every job's state changes."
        )

    class OutputSerializer(PageSerializer):
        class Meta:
            ref_name = "SeriesPage"

        results = SeriesListItemSerializer(many=True)

    @extend_schema(
        tags=TAG,
        summary="List your series",
        operation_id="series_list",
        description="Newest first.",
        parameters=[PageQuerySerializer],
        responses={200: OutputSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = PageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = paginate(
            request,
            series_for_user(user=request.user),
            page=query.validated_data["page"],
            page_size=query.validated_data["page_size"],
            represent=lambda series: {**_summary(request, series), "job_count": getattr(series, "job_count", 0)},
        )
        return Response(SeriesApi.OutputSerializer(page).data)

    @extend_schema(
        tags=TAG,
        summary="Create a series",
        operation_id="series_create",
        description="Starts one render job per item (a library story, in a language, at a length), grouped as "
        "a series. All or nothing: the rate limit, the daily quota and the cost guard must allow every job, or "
        "the answer is an error and nothing is created. With `schedule` (a YouTube channel must be connected), "
        "each item is published in order, one per interval (`every_days`, `every_hours`), at `time` local time "
        "in `time_zone`: a daily 09:00 series stays at 09:00 local across DST changes. A local time the clocks "
        "skip moves forward by the gap (01:30 on London's spring-forward day is 02:30 BST); one they repeat is "
        "the first of the two. Each item's publish time is returned in UTC and local time.",
        request=InputSerializer,
        responses={201: SeriesDetailSerializer, **error_responses(400, 409, 415, 422, 429)},
        parameters=[*IDEMPOTENCY_PARAMETERS, RETRY_AFTER_PARAMETER],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = SeriesApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        webhook_url = data.get("webhook_url", "")
        if webhook_url:
            check_webhook_url(webhook_url)
        owner = cast(User, request.user)  # the view's permission refuses anonymous requests
        draft = series_prepare(
            owner=owner,
            title=data["title"],
            items=[_series_item(item) for item in data["items"]],
            schedule=_series_schedule(data["schedule"]) if data.get("schedule") else None,
            webhook_url=webhook_url,
        )
        wait = rate_limits.take_render_start(user_id=owner.pk, count=draft.job_count)
        if wait is not None:
            raise Throttled(wait=wait, detail=rate_limits.series_refusal_message(wait, draft.job_count))
        series = series_start(draft=draft)
        url = series_url(request, series)
        return Response(_detail(request, series), status=status.HTTP_201_CREATED, headers={"Location": url})


def _series_item(data: dict[str, Any]) -> SeriesItem:
    options = {key: value for key, value in data.items() if key not in ("story", "language", "duration_target")}
    return SeriesItem(
        story=data["story"], language=data["language"], duration_target=data.get("duration_target"), options=options
    )


def _series_schedule(data: dict[str, Any]) -> SeriesSchedule:
    return SeriesSchedule(
        start_date=data["start_date"],
        local_time=data["time"],
        time_zone=data["time_zone"],
        every_days=data["every_days"],
        every_hours=data["every_hours"],
        publish=PublishSettings(made_for_kids=data["made_for_kids"], privacy=data["privacy"]),
    )


class SeriesDetailApi(JsonApiView):
    @extend_schema(
        tags=TAG,
        summary="A series: its jobs, their states and publish times",
        operation_id="series_retrieve",
        parameters=[SERIES_ID_PARAMETER],
        responses={200: SeriesDetailSerializer, **error_responses(404)},
    )
    def get(self, request: Request, series_id: str) -> Response:
        series = series_get_for_user(user=request.user, series_id=series_id)
        return Response(_detail(request, series))


class SeriesCancelApi(JsonApiView):
    class OutputSerializer(SeriesDetailSerializer):
        class Meta:
            ref_name = "SeriesCanceled"

        jobs_canceled = serializers.IntegerField(help_text="Queued jobs, canceled now.")
        jobs_left = serializers.IntegerField(
            help_text="Running or finished jobs, left as they are (a running one finishes; its video is kept)."
        )
        publications_canceled = serializers.IntegerField(help_text="Publications not yet on YouTube, withdrawn.")
        publications_kept = serializers.IntegerField(help_text="Already published: they stay on YouTube.")
        message = serializers.CharField()

    @extend_schema(
        tags=TAG,
        summary="Cancel a series",
        operation_id="series_cancel",
        description="Cancels the jobs that have not started and the publications not yet published. Running and "
        "finished jobs are left as they are; videos already published stay on YouTube. A second cancel is 409.",
        parameters=[SERIES_ID_PARAMETER, *IDEMPOTENCY_PARAMETERS],
        request=None,
        responses={200: OutputSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request: Request, series_id: str) -> Response:
        result = series_cancel(series=series_get_for_user(user=request.user, series_id=series_id))
        publications = result.publications
        canceled = publications.canceled if publications else 0
        kept = publications.kept_published if publications else 0
        body = {
            **_detail(request, result.series),
            "jobs_canceled": result.jobs_canceled,
            "jobs_left": result.jobs_left,
            "publications_canceled": canceled,
            "publications_kept": kept,
            "message": result.message,
        }
        return Response(body)
