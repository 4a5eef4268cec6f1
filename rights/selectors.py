"""Reads of rights and subscriptions, one statement each.

`?active=NOW` (spec §4, "how a service checks access"): a right is active at t when its stored
state is ACTIVE and start <= t < end: the start is inclusive and the end exclusive, so that
back-to-back periods of a subscription never overlap and never leave a gap.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, NamedTuple

from django.db import connection
from django.db.models.base import ModelState

from accounts.rows import Columns
from rights.models import Right, Subscription


@functools.cache
def _rights_sql(active: bool, sku: bool, provider: bool, one: bool) -> tuple[str, Columns]:
    columns = Columns.of(Right, "r")
    where = ['r."user_id" = %s', 'r."deleted_at" IS NULL']
    if one:
        where.append('r."id" = %s')
    if active:
        where += ["r.\"state\" = 'ACTIVE'", 'r."start" <= %s', 'r."end" > %s']
    if sku:
        where.append('r."sku" = %s')
    if provider:
        where.append('r."service_provider_id" = %s')
    # Identifiers come from model metadata; every value is a bound parameter.
    sql = (
        f'SELECT {", ".join(columns.sql)} FROM "{Right._meta.db_table}" r '  # noqa: S608
        f'WHERE {" AND ".join(where)} ORDER BY r."start", r."id"'
    )
    return sql, columns


@functools.cache
def _plain_attnames(columns: Columns) -> tuple[str, ...] | None:
    """The attribute names of *columns* when no field needs a converter from the database
    (then a row becomes an instance without Model.__init__), else None."""
    if any(field.get_db_converters(connection) for field in columns.fields):
        return None
    return tuple(field.attname for field in columns.fields)


def _instance(attnames: tuple[str, ...], row: tuple[Any, ...]) -> Right:
    # What Model.from_db does, without running __init__ for each of up to hundreds of rows.
    right = Right.__new__(Right)
    right.__dict__.update(zip(attnames, row, strict=True))
    right._state = ModelState()
    right._state.adding, right._state.db = False, "default"
    return right


def _fetch(sql: str, params: list[Any], columns: Columns) -> list[Right]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    attnames = _plain_attnames(columns)
    if attnames is None:
        return [columns.build(row) for row in rows]
    return [_instance(attnames, row) for row in rows]


def rights_of_user(
    *,
    user_id: str,
    active_at: dt.datetime | None = None,
    sku: str | None = None,
    service_provider_id: str | None = None,
) -> list[Right]:
    """The user's rights (not terminated), by start; with *active_at*, only those active then."""
    params = _filter_params(user_id, active_at, sku, service_provider_id)
    if params is None:
        return []
    sql, columns = _rights_sql(
        active_at is not None, sku is not None, service_provider_id is not None, False
    )
    return _fetch(sql, params, columns)


def _filter_params(
    user_id: str, active_at: dt.datetime | None, sku: str | None, provider: str | None
) -> list[Any] | None:
    """The parameters of _rights_sql's WHERE for these filters, in its order; None when no
    right can match (PostgreSQL text cannot hold NUL, so no right has one)."""
    if any("\x00" in value for value in (sku, provider) if value):
        return None
    params: list[Any] = [user_id]
    if active_at is not None:
        params += [active_at, active_at]
    params += [value for value in (sku, provider) if value is not None]
    return params


class RightRow(NamedTuple):
    """A right as the /id/ list shows it, its state at the read's instant and its interval
    already formatted by PostgreSQL (rights.validators.timespec.format_instant's format)."""

    id: str
    generation: int
    state: str
    user_id: str
    subscription_id: str | None
    grantor_id: str
    grantor_context: str
    service_provider_id: str
    time_interval: str
    sku: str
    payload: str
    used: bool


# format_instant in SQL: UTC, "Z", the fraction only when non-zero and without trailing zeros
# (stripping zeros stops at the "." when the fraction is all zeros, then the "." goes).
_INSTANT_SQL = (
    "rtrim(rtrim(to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '0'), '.') || 'Z'"
)


@functools.cache
def _right_rows_sql(active: bool, sku: bool, provider: bool) -> str:
    """The list read as one prepared statement that returns text and numbers only: with 50
    rights, parsing six timestamps per row into datetimes and formatting two back cost more
    than the rest of the request (measured with cProfile: ~60 % of its CPU)."""
    base, _ = _rights_sql(active, sku, provider, False)
    where = base.split(" WHERE ", 1)[1]
    start, end = _INSTANT_SQL.format('r."start"'), _INSTANT_SQL.format('r."end"')
    # The state at the read's instant, as Right.state_at decides it.
    state = (
        "CASE WHEN %s >= r.\"end\" THEN 'EXPIRED' "
        "WHEN %s < r.\"start\" AND r.\"state\" = 'ACTIVE' THEN 'CREATED' "
        'ELSE r."state" END'
    )
    return (
        f'SELECT r."id", r."generation", {state}, r."user_id", r."subscription_id", '  # noqa: S608
        f'r."grantor_id", r."grantor_context", r."service_provider_id", '
        f'{start} || \'/\' || {end}, r."sku", r."payload", r."used" '
        f'FROM "{Right._meta.db_table}" r WHERE {where}'
    )


def right_rows_of_user(
    *,
    user_id: str,
    now: dt.datetime,
    active_at: dt.datetime | None = None,
    sku: str | None = None,
    service_provider_id: str | None = None,
) -> list[RightRow]:
    """rights_of_user for the /id/ list: the same rights in the same order, as RightRows with
    their state at *now*."""
    params = _filter_params(user_id, active_at, sku, service_provider_id)
    if params is None:
        return []
    params = [now, now, *params]  # the CASE of the state comes first
    sql = _right_rows_sql(active_at is not None, sku is not None, service_provider_id is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [RightRow(*row) for row in cursor.fetchall()]


def right_of_user(*, user_id: str, right_id: str) -> Right | None:
    sql, columns = _rights_sql(False, False, False, True)
    found = _fetch(sql, [user_id, right_id], columns)
    return found[0] if found else None


def subscriptions_of_user(*, user_id: str, grantor_id: str | None) -> list[Subscription]:
    """The user's subscriptions; with *grantor_id*, only those that grantor created (spec §4:
    a grantor sees only its own; a blank grantor id sees none)."""
    if grantor_id == "":
        return []
    found = Subscription.objects.filter(user_id=user_id)
    if grantor_id is not None:
        found = found.filter(grantor_id=grantor_id)
    return list(found)


def subscription_of_user(
    *, user_id: str, subscription_id: str, grantor_id: str | None
) -> Subscription | None:
    if grantor_id == "":
        return None
    found = Subscription.objects.filter(pk=subscription_id, user_id=user_id)
    if grantor_id is not None:
        found = found.filter(grantor_id=grantor_id)
    return found.first()
