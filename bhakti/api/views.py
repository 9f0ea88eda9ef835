"""The base view of every JSON endpoint."""

from __future__ import annotations

from rest_framework.views import APIView

from bhakti.api.parsers import SafeJSONParser


class JsonApiView(APIView):
    """Bodies are JSON only, so the schema promises (and the parser accepts) one content type."""

    parser_classes = [SafeJSONParser]
