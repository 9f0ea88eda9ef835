"""The API's JSON parser: refuses, with a 400 naming the field, what would otherwise be a 500.

Python's decoder recurses once per nesting level (50,000 `[` raise RecursionError); a NUL is
refused by PostgreSQL's text columns (DataError); a lone surrogate (`"\\ud800"`) cannot be
encoded as UTF-8 when it is stored or logged. None of these has a use in a plan or a form, so
they are refused at the edge, before any view sees the data.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32  # a plan is three levels deep; no request of this API needs more than a few

# A JSON string (with its escapes) or one bracket; brackets inside strings are skipped whole.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether any array or object in `text` nests deeper than `limit`; no recursion, one pass."""
    depth = 0
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return "must not contain the NUL character (\\u0000)"
    if _SURROGATE.search(value):
        return "must not contain a lone UTF-16 surrogate (\\ud800–\\udfff); send valid Unicode"
    return None


def unsafe_text_errors(data: Any) -> dict[str, str]:
    """Field path → message for every key or string value holding a NUL or a lone surrogate."""
    errors: dict[str, str] = {}
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                errors[path or "body"] = problem
        elif isinstance(value, dict):
            for key, item in value.items():
                child = _join(path, str(key))
                problem = _text_problem(str(key))
                if problem:
                    errors[child] = f"its name {problem}"
                pending.append((child, item))
        elif isinstance(value, list):
            pending.extend((_join(path, index), item) for index, item in enumerate(value))
    return dict(sorted(errors.items()))


class SafeJSONParser(JSONParser):
    """DRF's JSONParser with a depth limit and no NUL or lone surrogate in any string."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as error:
            raise exceptions.ParseError(f"The body is not valid {encoding} text ({error.reason}).") from error
        if json_depth_exceeds(text, MAX_JSON_DEPTH):
            raise exceptions.ParseError(f"The JSON nests deeper than {MAX_JSON_DEPTH} levels.")
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from error
        errors = unsafe_text_errors(data)
        if errors:
            raise exceptions.ValidationError(errors)
        return data


def _refuse_constant(name: str) -> float:
    # NaN and Infinity are not JSON (DRF's own parser refuses them too, in strict mode).
    raise ValueError(f"{name} is not valid JSON")
