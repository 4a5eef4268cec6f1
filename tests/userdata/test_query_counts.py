"""The hot read paths run a small, constant number of queries whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import account_link_add, email_add, phone_add
from tests.factories import TEST_ACTOR


def _grow(user, n: int) -> None:
    for i in range(n):
        email_add(user=user, address=f"extra{i}@example.com", actor=TEST_ACTOR)
        phone_add(user=user, number=f"47955{i:05d}", actor=TEST_ACTOR)
        account_link_add(user=user, type="bu", external_user_id=f"c{user.id}{i}", actor=TEST_ACTOR)


def _count(http, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_get_me_with_a_bearer_token_takes_two_queries(
    alice, bearer_client, django_assert_max_num_queries
):
    http = bearer_client(alice, "id.user.read")
    with django_assert_max_num_queries(2):
        assert http.get("/id/users/me").status_code == 200


def test_get_user_with_basic_takes_two_queries(alice, basic_client, django_assert_max_num_queries):
    http = basic_client("users:read")
    http.get(f"/id/users/{alice.id}")  # records the credential's last use (once a minute)
    with django_assert_max_num_queries(2):
        assert http.get(f"/id/users/{alice.id}").status_code == 200


@pytest.mark.parametrize(
    ("collection", "scope", "bearer_max", "basic_max"),
    [
        ("mails", "id.user.email.read", 2, 2),
        ("phones", "id.user.phone.read", 2, 2),
        ("accounts", "id.user.account.read", 2, 3),
    ],
)
def test_lists_run_a_constant_number_of_queries(
    alice,
    bob,
    bearer_client,
    basic_client,
    collection,
    scope,
    bearer_max,
    basic_max,
    django_assert_max_num_queries,
):
    _grow(bob, 1)
    _grow(alice, 20)
    bearer_alice, bearer_bob = bearer_client(alice, scope), bearer_client(bob, scope)
    basic = basic_client()
    basic.get(f"/id/users/{bob.id}/{collection}")  # warm the credential's last use
    few = _count(bearer_bob, f"/id/users/me/{collection}")
    many = _count(bearer_alice, f"/id/users/me/{collection}")
    assert few == many <= bearer_max
    few = _count(basic, f"/id/users/{bob.id}/{collection}")
    many = _count(basic, f"/id/users/{alice.id}/{collection}")
    assert few == many <= basic_max
    with django_assert_max_num_queries(basic_max):
        body = basic.get(f"/id/users/{alice.id}/{collection}").json()
    assert len(next(iter(body.values()))) >= 20
