"""Input serializers for JSON bodies that take each value only in the JSON type the schema promises.

DRF's fields coerce: a CharField turns 5 into "5", an IntegerField takes "5", a BooleanField
takes "yes" and 1. For form data that is right (everything is text there); for a JSON body it
accepts what the published OpenAPI schema says is invalid (schemathesis reports each one), so a
client's type error goes unnoticed. Subclass JsonInputSerializer instead of Serializer for a JSON
body's input; query-string serializers keep DRF's coercion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

_KINDS: tuple[tuple[type[serializers.Field], str], ...] = (
    # ChoiceField is not listed: a value outside its choices is refused anyway.
    (serializers.BooleanField, "true or false"),
    (serializers.IntegerField, "a whole number"),
    (serializers.FloatField, "a number"),
    (serializers.DateTimeField, "a date-time as text"),
    (serializers.CharField, "text"),
    (serializers.ListField, "a list"),
    (serializers.DictField, "an object"),
)


def _matches(field: serializers.Field, value: Any) -> bool:
    if isinstance(field, serializers.BooleanField):
        return isinstance(value, bool)
    if isinstance(field, serializers.IntegerField):
        return not isinstance(value, bool) and (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        )
    if isinstance(field, serializers.FloatField):
        return not isinstance(value, bool) and isinstance(value, (int, float))
    if isinstance(field, (serializers.DateTimeField, serializers.CharField)):
        return isinstance(value, str)
    if isinstance(field, serializers.ListField):
        return isinstance(value, list)
    if isinstance(field, serializers.DictField):
        return isinstance(value, dict)
    return True


def json_type_problem(field: serializers.Field, value: Any) -> str | None:
    """Why `value` (parsed JSON) is not of `field`'s JSON type, or None when it is (or is null)."""
    if value is None:
        return None  # allow_null decides
    for kind, description in _KINDS:
        if isinstance(field, kind):
            if not _matches(field, value):
                return f"Must be {description} (got {type(value).__name__})."
            break
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        for index, item in enumerate(value):
            problem = json_type_problem(field.child, item)
            if problem:
                return f"Item {index}: {problem[0].lower()}{problem[1:]}"
    return None


class JsonInputSerializer(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors = {
                name: [problem]
                for name, field in self.fields.items()
                if not field.read_only and name in data and (problem := json_type_problem(field, data[name]))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
