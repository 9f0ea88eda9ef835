"""POST /api/v1/scripts/draft: a plan drafted from a topic, a product (with pictures) or a story."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bhakti.json_input import JsonInputSerializer
from renders import rate_limits
from renders.api.errors import ErrorSerializer
from renders.api.throttles import RenderStartRateThrottle
from renders.pipeline.plan import ASPECTS, LANGUAGES, STYLES, VOICES
from renders.script_service import ScriptUnavailable, draft_plan, pictures_from_uploads

ERROR = ErrorSerializer  # the API's one error shape: {code, message[, errors]}


class ScriptDraftRateThrottle(RenderStartRateThrottle):
    """Drafting calls a paid chat model: the same per-user rate as starting renders, in its own bucket."""

    scope = rate_limits.SCRIPT_DRAFT


class ScriptDraftApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScriptDraftRateThrottle]

    class ScriptDraftInput(JsonInputSerializer):
        topic = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
        story = serializers.CharField(required=False, allow_blank=True, max_length=30_000, default="")
        product_description = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
        pictures = serializers.ListField(
            child=serializers.CharField(max_length=300), required=False, default=list,
            help_text="Storage names of product pictures you uploaded in the studio (uploads/<your id>/<file>)",
        )  # fmt: skip
        language = serializers.ChoiceField(choices=LANGUAGES, required=False, default="en")
        scene_count = serializers.IntegerField(required=False, default=5, min_value=1, max_value=20)
        style = serializers.ChoiceField(choices=STYLES, required=False, default="temple-painting")
        voice = serializers.ChoiceField(choices=VOICES, required=False, default="female")
        aspect = serializers.ChoiceField(choices=ASPECTS, required=False, default="16:9")
        translate = serializers.BooleanField(required=False, default=True)

    class ScriptDraftOutput(serializers.Serializer):
        plan = serializers.DictField()
        provider = serializers.CharField()
        cost = serializers.DecimalField(max_digits=10, decimal_places=4)
        notes = serializers.ListField(child=serializers.CharField())

    @extend_schema(request=ScriptDraftInput, responses={200: ScriptDraftOutput, 400: ERROR, 409: ERROR})
    def post(self, request: Request) -> Response:
        given = self.ScriptDraftInput(data=request.data)
        given.is_valid(raise_exception=True)  # the API's exception handler shapes it as {code, message, errors}
        data = dict(given.validated_data)
        try:
            pictures = pictures_from_uploads(owner=request.user, names=data.pop("pictures"))
            draft = draft_plan(pictures=pictures, **data)
        except ScriptUnavailable as error:
            code = status.HTTP_400_BAD_REQUEST if error.code == "invalid" else status.HTTP_409_CONFLICT
            body = {"code": error.code, "message": error.message}
            if error.field:
                body["errors"] = {error.field: error.message}
            return Response(body, status=code)
        return Response(self.ScriptDraftOutput(draft).data)
