"""Model rows read with SQL written once per process, for the hot paths.

The ORM rebuilds a statement on every call; for a lookup that runs hundreds of times a second
that cost more than the query itself. These helpers select every concrete column of a model,
apply the fields' converters, and build the instance with Model.from_db, as the ORM would.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Columns:
    """The concrete columns of a model under a table alias."""

    model: type[models.Model]
    alias: str
    fields: tuple[models.Field, ...]

    @classmethod
    def of(
        cls, model: type[models.Model], alias: str, only: tuple[str, ...] | None = None
    ) -> Columns:
        """Every concrete column, or those of the fields named in *only* (the primary key
        among them), in the model's order, which Model.from_db needs: the instance then defers
        the others, and reading one costs a query."""
        fields = tuple(model._meta.concrete_fields)
        if only is not None:
            if model._meta.pk.name not in only:
                raise ValueError("the primary key is needed: build() tells an empty row by it")
            fields = tuple(field for field in fields if field.name in only)
            if len(fields) != len(set(only)):
                raise ValueError(f"not concrete fields of {model.__name__}: {only}")
        return cls(model, alias, fields)

    @functools.cached_property
    def pk_position(self) -> int:
        return self.fields.index(self.model._meta.pk)

    @property
    def sql(self) -> list[str]:
        return [f'{self.alias}."{field.column}"' for field in self.fields]

    @functools.cached_property
    def attnames(self) -> list[str]:
        return [field.attname for field in self.fields]

    @functools.cached_property
    def converters(self) -> tuple[tuple[int, models.Field, tuple[Any, ...]], ...]:
        """(position, field, converters) of the fields that have any: asked of each field once
        per process instead of once per row (a User row has ~20 fields, most without one)."""
        out = []
        for position, field in enumerate(self.fields):
            found = tuple(field.get_db_converters(connection))
            if found:
                out.append((position, field, found))
        return tuple(out)

    def build(self, values: tuple[Any, ...]) -> Any:
        """The instance for these column values, or None for an empty (outer-joined) row."""
        if values[self.pk_position] is None:
            return None
        if len(values) != len(self.fields):
            raise ValueError("one value per column")
        converted = list(values)
        for position, field, converters in self.converters:
            value = converted[position]
            for converter in converters:
                value = converter(value, field, connection)
            converted[position] = value
        return self.model.from_db("default", self.attnames, converted)


def fetch_joined(
    sql: str, params: list[Any], parts: tuple[Columns, ...]
) -> tuple[list[Any], tuple[Any, ...]] | None:
    """Run a one-row SELECT whose columns are *parts* in order, then any extra columns; return
    the instances (None for an empty outer join) and the extra values, or None without a row."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    objects, offset = [], 0
    for part in parts:
        objects.append(part.build(row[offset : offset + len(part.fields)]))
        offset += len(part.fields)
    return objects, row[offset:]


@functools.cache
def _select_by(model: type[models.Model], column: str) -> tuple[str, Columns]:
    columns = Columns.of(model, "m")
    # Identifiers come from model metadata; the looked-up value is a bound parameter.
    sql = f'SELECT {", ".join(columns.sql)} FROM "{model._meta.db_table}" m WHERE m."{column}" = %s'  # noqa: S608
    return sql, columns


def get_by(model: type[M], column: str, value: Any) -> M | None:
    """The row of *model* whose unique *column* equals *value*, in one prepared statement."""
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL text cannot hold NUL
        return None
    sql, columns = _select_by(model, column)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    return None if row is None else columns.build(row)


@functools.cache
def _select_all_by(model: type[models.Model], column: str) -> tuple[str, Columns]:
    columns = Columns.of(model, "m")
    order = []
    for name in model._meta.ordering or ():
        if not isinstance(name, str):
            raise TypeError("filter_by reads field names in Meta.ordering, not expressions")
        field = model._meta.get_field(name.lstrip("-"))
        if not isinstance(field, models.Field):
            raise TypeError("filter_by orders by concrete fields only")
        order.append(f'm."{field.column}"{" DESC" if name.startswith("-") else ""}')
    sql, _ = _select_by(model, column)
    return sql + (f" ORDER BY {', '.join(order)}" if order else ""), columns


def filter_by(model: type[M], column: str, value: Any) -> list[M]:
    """The rows of *model* whose *column* equals *value*, in the model's Meta.ordering, in one
    prepared statement (what `model.objects.filter(column=value)` returns, without compiling
    the query on every call)."""
    if isinstance(value, str) and "\x00" in value:
        return []
    sql, columns = _select_all_by(model, column)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        return [columns.build(row) for row in cursor.fetchall()]


@functools.cache
def _insert_statement(model: type[models.Model]) -> tuple[str, tuple[models.Field, ...]]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    pk = model._meta.pk.column
    # Identifiers come from model metadata; every value is a bound parameter.
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({placeholders}) RETURNING "{pk}"'  # noqa: S608
    )
    return sql, fields


def insert(instance: M) -> M:
    """Save a new instance (auto primary key) with one prepared INSERT.

    Each field's pre_save and get_db_prep_save run as in Model.save(force_insert=True), so
    computed columns (token checksums, auto_now timestamps) are filled the same way; no signals
    are sent.
    """
    sql, fields = _insert_statement(type(instance))
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = "default"
    return instance
