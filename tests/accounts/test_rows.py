"""accounts.rows builds model instances from hand-written SELECTs as the ORM would."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import User
from accounts.rows import Columns
from tests.factories import UserFactory


def test_a_subset_of_columns_builds_the_instance_with_the_others_deferred(db):
    user = UserFactory(realname="Kari Nordmann")
    # Named out of the model's order, where the primary key is not the first column.
    columns = Columns.of(User, "u", only=("realname", "is_active", "id"))
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {", ".join(columns.sql)} FROM "{User._meta.db_table}" u WHERE u."id" = %s',  # noqa: S608
            [user.pk],
        )
        built = columns.build(cursor.fetchone())
    assert (built.pk, built.realname, built.is_active) == (user.pk, "Kari Nordmann", True)
    assert "password" in built.get_deferred_fields()
    assert built.password == user.password  # a deferred field costs a query, and is right


def test_an_empty_outer_joined_row_is_none_and_a_subset_needs_the_primary_key(db):
    columns = Columns.of(User, "u", only=("realname", "id"))
    assert columns.build((None, None)) is None
    with pytest.raises(ValueError, match="primary key"):
        Columns.of(User, "u", only=("realname",))
    with pytest.raises(ValueError, match="not concrete fields"):
        Columns.of(User, "u", only=("id", "nonexistent"))
