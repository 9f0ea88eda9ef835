"""Share links over the API: create one for a finished video, or revoke them all."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from bhakti.api.schema import error_responses
from bhakti.api.views import JsonApiView
from renders.api.schema import JOB_ID_PARAMETER
from renders.selectors import job_get_for_user
from renders.sharing import share_link_create, share_links_revoke

TAG = ["renders"]


class RenderShareApi(JsonApiView):
    class OutputSerializer(serializers.Serializer):
        url = serializers.URLField(help_text="The public page that plays the video; no login needed.")
        token = serializers.CharField(help_text="The link's secret part; anyone holding it can watch.")
        created_at = serializers.DateTimeField()

    @extend_schema(
        tags=TAG,
        summary="Create a share link",
        operation_id="renders_share_create",
        description="A new unguessable link that plays the finished video without logging in. "
        "Only a succeeded video can be shared (409 otherwise).",
        parameters=[JOB_ID_PARAMETER],
        request=None,
        responses={201: OutputSerializer, **error_responses(404, 409)},
    )
    def post(self, request: Request, job_id: str) -> Response:
        link = share_link_create(job=job_get_for_user(user=request.user, job_id=job_id))
        data = {
            "url": request.build_absolute_uri(reverse("renders:share_page", args=[link.token])),
            "token": link.token,
            "created_at": link.created_at,
        }
        return Response(self.OutputSerializer(data).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAG,
        summary="Revoke the share links",
        operation_id="renders_share_revoke",
        description="Every live link of the video stops playing at once. Idempotent.",
        parameters=[JOB_ID_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Revoked (or none were live)."), **error_responses(404)},
    )
    def delete(self, request: Request, job_id: str) -> Response:
        share_links_revoke(job=job_get_for_user(user=request.user, job_id=job_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
