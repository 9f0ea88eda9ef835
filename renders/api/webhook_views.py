"""Webhook settings and delivery logs (/api/v1/webhooks, /api/v1/renders/{id}/webhooks).

An integration needs the signing secret to verify deliveries, a default URL for jobs created
without one, and the delivery log to see why a receiver got nothing.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Profile
from accounts.services import ensure_profile
from bhakti.json_input import JsonInputSerializer
from renders.api.schema import JOB_ID_PARAMETER, error_responses
from renders.api.views import JsonApiView
from renders.models import WebhookDelivery
from renders.selectors import job_get_for_user
from renders.webhooks import (
    EVENT_STATE_CHANGED,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    webhook_secret_rotate,
    webhook_settings_update,
)

TAG = ["webhooks"]
DELIVERY_LOG_ROWS = 100


class WebhookSettingsSerializer(serializers.Serializer):
    class Meta:
        ref_name = "WebhookSettings"

    default_webhook_url = serializers.CharField(help_text="Used by jobs created without a webhook_url; may be empty.")
    secret = serializers.CharField(help_text="HMAC-SHA256 key of the signatures. Keep it secret.")
    signature_header = serializers.CharField()
    timestamp_header = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())


def _settings_data(profile: Profile) -> dict[str, object]:
    return {
        "default_webhook_url": profile.default_webhook_url,
        "secret": profile.webhook_secret,
        "signature_header": SIGNATURE_HEADER,
        "timestamp_header": TIMESTAMP_HEADER,
        "events": [EVENT_STATE_CHANGED],
    }


class WebhookSettingsApi(JsonApiView):
    class InputSerializer(JsonInputSerializer):
        class Meta:
            ref_name = "WebhookSettingsUpdate"

        default_webhook_url = serializers.URLField(max_length=200, allow_blank=True)

    @extend_schema(
        tags=TAG,
        summary="Your webhook settings and signing secret",
        operation_id="webhooks_settings",
        responses={200: WebhookSettingsSerializer, **error_responses()},
    )
    def get(self, request: Request) -> Response:
        return Response(WebhookSettingsSerializer(_settings_data(ensure_profile(request.user))).data)

    @extend_schema(
        tags=TAG,
        summary="Set your default webhook URL",
        operation_id="webhooks_settings_update",
        request=InputSerializer,
        responses={200: WebhookSettingsSerializer, **error_responses(400, 415)},
    )
    def patch(self, request: Request) -> Response:
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        profile = webhook_settings_update(
            user=request.user, default_webhook_url=given.validated_data["default_webhook_url"]
        )
        return Response(WebhookSettingsSerializer(_settings_data(profile)).data)


class WebhookSecretRotateApi(JsonApiView):
    @extend_schema(
        tags=TAG,
        summary="Replace your webhook signing secret",
        description="Deliveries made from now on, retries of earlier events included, are signed with the new secret.",
        operation_id="webhooks_secret_rotate",
        request=None,
        responses={200: WebhookSettingsSerializer, **error_responses()},
    )
    def post(self, request: Request) -> Response:
        return Response(WebhookSettingsSerializer(_settings_data(webhook_secret_rotate(user=request.user))).data)


class WebhookDeliveryListApi(JsonApiView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "WebhookDeliveryLog"

        class DeliverySerializer(serializers.Serializer):
            class Meta:
                ref_name = "WebhookDelivery"

            event_id = serializers.UUIDField()
            event_state = serializers.CharField()
            url = serializers.CharField()
            attempt = serializers.IntegerField()
            outcome = serializers.ChoiceField(choices=WebhookDelivery.Outcome.choices)
            status_code = serializers.IntegerField(allow_null=True)
            error = serializers.CharField()
            duration_ms = serializers.IntegerField(allow_null=True)
            scheduled_for = serializers.DateTimeField()
            at = serializers.DateTimeField(allow_null=True, help_text="When the attempt was made; null while pending.")

        results = DeliverySerializer(many=True)

    @extend_schema(
        tags=TAG,
        summary="A job's webhook deliveries",
        description=f"Every attempt, newest first (at most {DELIVERY_LOG_ROWS}).",
        operation_id="renders_webhooks",
        parameters=[JOB_ID_PARAMETER],
        responses={200: OutputSerializer, **error_responses(404)},
    )
    def get(self, request: Request, job_id: str) -> Response:
        job = job_get_for_user(user=request.user, job_id=job_id)
        deliveries = job.webhook_deliveries.order_by("-id")[:DELIVERY_LOG_ROWS]
        return Response(self.OutputSerializer({"results": deliveries}).data)
