"""Page-number pagination for the list endpoints: `page`, `page_size` in, a page object out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

ModelT = TypeVar("ModelT", bound=Model)


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=100, default=20)


class PageSerializer(serializers.Serializer):
    """Fields every page has; a view's page serializer adds `results`."""

    count = serializers.IntegerField(help_text="Items over all pages.")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


def paginate(
    request: Request,
    queryset: QuerySet[ModelT],
    *,
    page: int,
    page_size: int,
    represent: Callable[[ModelT], dict[str, Any]],
) -> dict[str, Any]:
    """One page of `queryset`. A page past the end is empty, not an error (the count says why)."""
    count = queryset.count()
    start = (page - 1) * page_size
    items = list(queryset[start : start + page_size]) if start < count else []
    here = request.build_absolute_uri()
    has_next = start + page_size < count
    has_previous = page > 1 and count > 0
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "next": replace_query_param(here, "page", page + 1) if has_next else None,
        "previous": replace_query_param(here, "page", min(page - 1, max(1, -(-count // page_size))))
        if has_previous
        else None,
        "results": [represent(item) for item in items],
    }
