"""Serializers shared by several API views: the plan's documented shape, job filters, job outputs.

Plans are validated by `renders.pipeline.plan.parse_plan` (through the services), the one gate
every plan passes; `PlanSerializer` only documents the shape in the OpenAPI schema, so API
clients see the same field-path errors (`scenes[1].duration_sec`) as the CLI.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, ClassVar

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bhakti.api.pagination import PageQuerySerializer
from renders.models import JobState
from renders.pipeline import plan as plan_schema


class SceneSerializer(serializers.Serializer):
    # null is accepted wherever parse_plan reads it as "not given", so the schema says so too.
    image_prompt = serializers.CharField(
        min_length=1,
        max_length=plan_schema.MAX_PROMPT_CHARS,
        help_text="What to paint. May be empty only when `image` is given.",
    )
    narration = serializers.CharField(max_length=plan_schema.MAX_NARRATION_CHARS, allow_blank=True, allow_null=True)
    duration_sec = serializers.FloatField(min_value=1, max_value=settings.MAX_SCENE_DURATION_SEC)
    narration_alt = serializers.CharField(
        max_length=plan_schema.MAX_NARRATION_CHARS,
        allow_blank=True,
        allow_null=True,
        required=False,
        help_text="The same narration in the other language (used for its subtitles).",
    )
    image = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="An image you uploaded (uploads/<your id>/…) instead of a painted one.",
    )
    stock_footage = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=False,
        help_text="Play a stock video (Pexels, searched by the image prompt's keywords) instead of a painted "
        "still; painted when none is found or no stock provider is configured. Not with `image`.",
    )


def _optional_choice(choices: tuple) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=choices, required=False, allow_null=True)


class PlanSerializer(serializers.Serializer):
    """The render plan: the same JSON the `manage.py render` CLI reads."""

    title = serializers.CharField(max_length=plan_schema.MAX_TITLE_CHARS)
    topic = serializers.CharField(
        max_length=plan_schema.MAX_TOPIC_CHARS, allow_blank=True, allow_null=True, required=False
    )
    language = _optional_choice(plan_schema.LANGUAGES)
    voice = _optional_choice(plan_schema.VOICES)
    style = _optional_choice(plan_schema.STYLES)
    aspect = _optional_choice(plan_schema.ASPECTS)
    resolution = _optional_choice(plan_schema.RESOLUTIONS)
    mode = _optional_choice(plan_schema.MODES)
    music = _optional_choice(plan_schema.MUSIC)
    watermark = _optional_choice(plan_schema.WATERMARKS)
    captions = serializers.ChoiceField(
        choices=plan_schema.CAPTIONS,
        required=False,
        allow_null=True,
        help_text="Burned-in captions: `words` (2-4 words, the spoken one highlighted), `lines` or `none`. "
        "Default: `words` for 9:16 and 1:1, `lines` for 16:9.",
    )
    subtitles_on_screen = serializers.ChoiceField(
        choices=plan_schema.SUBTITLES_ON_SCREEN,
        required=False,
        allow_null=True,
        help_text="`main` (the narration's language), `both` (the other language's line smaller beneath, where "
        "scenes have `narration_alt`) or `roman` (Hindi narration also in Roman letters; needs `language` hi).",
    )
    fps = serializers.ChoiceField(choices=(24, 25, 30), required=False)
    scenes = serializers.ListField(child=SceneSerializer(), min_length=1, max_length=settings.MAX_SCENES)


@extend_schema_field(PlanSerializer)
class PlanField(serializers.JSONField):
    """Any JSON in; parse_plan decides. Documented as the plan's shape."""


class JobFilterQuerySerializer(PageQuerySerializer):
    # Blank means "any", as an HTML form's empty select sends it (`?state=`).
    state = serializers.ChoiceField(choices=JobState.choices, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=plan_schema.LANGUAGES, required=False, allow_blank=True)
    all_versions = serializers.BooleanField(
        default=False, help_text="List every version of each video, not only its latest."
    )


class JobSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    video_id = serializers.UUIDField(help_text="The id every version of this video shares: its first job's.")
    version = serializers.IntegerField(min_value=1, help_text="1 for a video's first render, then 2, 3, …")
    language = serializers.CharField()
    state = serializers.ChoiceField(choices=JobState.choices)
    step = serializers.CharField()
    progress_pct = serializers.IntegerField()
    error = serializers.CharField()
    priority = serializers.IntegerField(min_value=1, max_value=10)
    attempt = serializers.IntegerField(help_text="Attempts started so far (0 while first queued).")
    max_attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(
        allow_null=True, help_text="While an automatic retry waits out its backoff: when it may start."
    )
    cost_estimate = serializers.DecimalField(max_digits=10, decimal_places=4)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField(help_text="This job's status endpoint.")


class AssetSerializer(serializers.Serializer):
    kind = serializers.CharField()
    language = serializers.CharField()
    scene_index = serializers.IntegerField()
    size_bytes = serializers.IntegerField()
    url = serializers.URLField()


class SubtitleSerializer(serializers.Serializer):
    language = serializers.CharField()
    format = serializers.ChoiceField(choices=("srt", "vtt"))
    url = serializers.URLField()


class LogLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Increasing; pass the last one seen as `?since_event=`.")
    at = serializers.DateTimeField()
    level = serializers.CharField()
    step = serializers.CharField()
    message = serializers.CharField()


@extend_schema_field(LogLineSerializer(many=True))
class LogLinesField(serializers.Field):
    """Log lines exactly as `LogLineSerializer(many=True)` writes them, without a serializer per
    line: a status poll carries up to 50, and the nested serializer was a quarter of its cost."""

    # One DateTimeField per time zone, told its zone: a plain one looks the current zone up for
    # every line (a sixth of a poll with 30 lines). The output is the same: DRF's own formatting.
    _at_fields: ClassVar[dict[tzinfo, serializers.DateTimeField]] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        zone = timezone.get_current_timezone()
        field = self._at_fields.get(zone)
        if field is None:
            field = self._at_fields.setdefault(zone, serializers.DateTimeField(default_timezone=zone))
        at = field.to_representation
        return [
            {"id": line["id"], "at": at(line["at"]), "level": line["level"], "step": line["step"],
             "message": line["message"]}
            for line in lines
        ]  # fmt: skip


class JobDetailSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    video_id = serializers.UUIDField(help_text="The id every version of this video shares: its first job's.")
    version = serializers.IntegerField(min_value=1, help_text="1 for a video's first render, then 2, 3, …")
    language = serializers.CharField()
    state = serializers.ChoiceField(choices=JobState.choices)
    is_final = serializers.BooleanField(help_text="True once the job succeeded, failed or was canceled: stop polling.")
    step = serializers.CharField(help_text="Pipeline step now running: images, speech, subtitles, compose, store.")
    progress_pct = serializers.IntegerField(min_value=0, max_value=100)
    estimated_wait_seconds = serializers.IntegerField(
        allow_null=True, help_text="For a queued job: a rough wait until a worker takes it; null otherwise."
    )
    eta_seconds = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        help_text="Seconds until the render is done, from this server's measured speed for the plan's mode and "
        "resolution and, while it runs, its progress (for a queued job: the render alone, after the wait). "
        "Null once the job is final.",
    )
    assets = AssetSerializer(many=True)
    final_video_url = serializers.URLField(allow_null=True)
    thumbnail_url = serializers.URLField(allow_null=True)
    subtitles = SubtitleSerializer(many=True)
    youtube_url = serializers.URLField(allow_null=True)
    logs = LogLinesField(
        help_text="The most recent log lines, oldest first; with `?since_event=`, only those after that id."
    )
    error = serializers.CharField()
    error_step = serializers.CharField()
    priority = serializers.IntegerField(
        min_value=1, max_value=10, help_text="1-10: a free worker starts the highest queued job first."
    )
    attempt = serializers.IntegerField(help_text="Attempts started so far (0 while first queued); see `max_attempts`.")
    attempts = serializers.IntegerField(help_text="The same as `attempt` (the older name).")
    max_attempts = serializers.IntegerField(help_text="Attempts a job gets before it fails (JOB_MAX_ATTEMPTS).")
    last_error = serializers.CharField(
        help_text="Why an earlier attempt failed when the job was retried automatically (a transient failure or a "
        "lost worker); empty when no attempt failed. `error` is the final failure."
    )
    retry_reason = serializers.CharField(help_text="The same as `last_error`.")
    next_attempt_at = serializers.DateTimeField(
        allow_null=True,
        help_text="While queued for an automatic retry: the earliest time a worker starts it (the backoff); "
        "null otherwise.",
    )
    encoder = serializers.CharField()
    timings = serializers.DictField(child=serializers.FloatField(), help_text="Seconds spent per step.")
    duration_sec = serializers.FloatField(allow_null=True)
    cost_estimate = serializers.DecimalField(max_digits=10, decimal_places=4)
    cost_actual = serializers.DecimalField(max_digits=10, decimal_places=4)
    webhook_url = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
