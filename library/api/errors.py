"""How the library's own exceptions answer over the API (registered with bhakti.api.errors)."""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response

from bhakti.api.errors import error_body, translates
from library.stories import UnknownTemplate


@translates(UnknownTemplate)
def _unknown_template(exc: UnknownTemplate) -> Response:
    return Response(error_body("unknown_template", str(exc)), status=status.HTTP_404_NOT_FOUND)
