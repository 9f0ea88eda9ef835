"""What the older shapes look like in the OpenAPI schema: one tag, and their output serializers."""

from __future__ import annotations

from rest_framework import serializers

from compat.mappings import LEGACY_STATE_NAMES, LEGACY_STEP_ORDER, LEGACY_VOICE_NAMES
from renders.api.serializers import AssetSerializer, LogLineSerializer, SubtitleSerializer

TAG = "compat (legacy shapes)"
TAGS = [TAG]
DESCRIPTION = "A call of an older Bhakti design, kept for existing integrations (docs/compat-api.md); "


def describe(text: str) -> str:
    return DESCRIPTION + text


class LegacyCreatedSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CompatJobCreated"

    job_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=LEGACY_STATE_NAMES)
    estimated_wait_seconds = serializers.IntegerField()
    status_url = serializers.URLField()
    notes = serializers.ListField(child=serializers.CharField())


class DualSubtitlesSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CompatDualSubtitles"

    hi_url = serializers.URLField(allow_null=True)
    en_url = serializers.URLField(allow_null=True)


class LegacyStatusSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CompatRenderStatus"

    job_id = serializers.UUIDField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=LEGACY_STATE_NAMES)
    step = serializers.ChoiceField(choices=LEGACY_STEP_ORDER, allow_null=True)
    progress_pct = serializers.IntegerField(min_value=0, max_value=100)
    assets = AssetSerializer(many=True)
    final_video_url = serializers.URLField(allow_null=True)
    thumbnail_url = serializers.URLField(allow_null=True)
    youtube_url = serializers.URLField(allow_null=True)
    dual_subtitles = DualSubtitlesSerializer()
    logs = LogLineSerializer(many=True)
    error = serializers.CharField(allow_null=True)
    history = LogLineSerializer(many=True, required=False, help_text="With ?include_history=true: every log line.")


class QueueResultSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CompatQueueResult"

    video_url = serializers.URLField(allow_null=True)
    thumbnail_url = serializers.URLField(allow_null=True)
    youtube_url = serializers.URLField(allow_null=True)
    duration_sec = serializers.FloatField(allow_null=True)
    subtitles = SubtitleSerializer(many=True)


class QueueStatusSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CompatQueueJobStatus"

    job_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=LEGACY_STATE_NAMES)
    progress = serializers.FloatField(min_value=0, max_value=1)
    message = serializers.CharField(allow_blank=True)
    result = QueueResultSerializer(allow_null=True)


class LegacySceneSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CompatScene"

    prompt = serializers.CharField()
    narration = serializers.CharField(allow_blank=True, allow_null=True)
    duration = serializers.FloatField(required=False)
    narration_alt = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class LegacyPlanSerializer(serializers.Serializer):
    """A plan in the older shape; any setting of /api/v1's plan (style, aspect, …) may be added."""

    class Meta:
        ref_name = "CompatPlan"

    title = serializers.CharField(required=False)
    topic = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    language = serializers.CharField(required=False, help_text="`en`, `hi`, or a tag like `en-US`.")
    voice = serializers.ChoiceField(choices=LEGACY_VOICE_NAMES, required=False)
    scenes = LegacySceneSerializer(many=True, required=False)
    images = serializers.ListField(child=serializers.CharField(), required=False, help_text="The smoke form.")
    duration = serializers.FloatField(required=False, help_text="The smoke form: total seconds.")
