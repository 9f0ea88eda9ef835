"""A read on a hot path, compiled to SQL once and then run with new values.

Building a queryset and compiling it to SQL is most of what a small ORM read costs in Python (about
two thirds of a primary-key read here); a status poll that ends in 304 is little more than one such
read. `LeanQuery` lets the ORM write the SQL and convert the values once per connection, from a
queryset built with placeholder values, and then only swaps the values in. The SQL is the ORM's
own (same quoting, same vendor differences), and rows come back through the ORM's own converters
(dates from SQLite text, UUIDs, …), so what it returns is what the queryset would have returned.

Only for queries whose parameters are exactly the values given (plain `field=value` filters);
each placeholder must be a value that appears nowhere else in the query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    positions: Mapping[str, int]
    compiler: SQLCompiler


class LeanQuery:
    """`build(**placeholders)` returns a `values_list` queryset; `fields` says which model field
    prepares each named value for the database (as the ORM would for `field=value`)."""

    def __init__(
        self,
        build: Callable[..., QuerySet[Any, Any]],
        *,
        fields: Mapping[str, Field[Any, Any]],
        placeholders: Mapping[str, Any],
    ):
        self._build = build
        self._fields = dict(fields)
        self._placeholders = dict(placeholders)
        self._compiled: WeakKeyDictionary[BaseDatabaseWrapper, _Compiled] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def _compile(self, connection: BaseDatabaseWrapper, using: str) -> _Compiled:
        compiler = self._build(**self._placeholders).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        positions = {}
        for name, placeholder in self._placeholders.items():
            prepared = self._fields[name].get_db_prep_value(placeholder, connection, prepared=False)
            matches = [index for index, param in enumerate(params) if param == prepared]
            if len(matches) != 1:
                raise ValueError(f"placeholder {name}={placeholder!r} is not exactly one parameter of {sql}")
            positions[name] = matches[0]
        if len(positions) != len(params):
            raise ValueError(f"{sql} has parameters that are not placeholders: {params}")
        compiled = _Compiled(sql, tuple(params), positions, compiler)
        with self._lock:
            self._compiled[connection] = compiled
        return compiled

    def all(self, using: str = "default", **values: Any) -> list[tuple[Any, ...]]:
        """The rows for these values, converted as the queryset would convert them."""
        connection = connections[using]
        compiled = self._compiled.get(connection) or self._compile(connection, using)
        params = list(compiled.params)
        for name, value in values.items():
            params[compiled.positions[name]] = self._fields[name].get_db_prep_value(value, connection, prepared=False)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not rows:
            return []
        return [tuple(row) for row in compiled.compiler.results_iter(results=[rows])]

    def first(self, using: str = "default", **values: Any) -> tuple[Any, ...] | None:
        """The first row for these values, or None (the queryset should be sliced `[:1]`)."""
        rows = self.all(using, **values)
        return rows[0] if rows else None


def instances(model: type[M], rows: list[tuple[Any, ...]], using: str = "default") -> list[M]:
    """Model instances from rows of `values_list(*concrete_attnames(model))`, as the ORM makes them."""
    names = concrete_attnames(model)
    return [model.from_db(using, names, row) for row in rows]


def concrete_attnames(model: type[Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]
