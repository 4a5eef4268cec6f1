"""Optimistic concurrency on PostgreSQL: of two PUTs sent with the same If-Match, one wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client as HttpClient

from accounts.models import User
from tests.factories import ApiCredentialFactory, UserFactory
from tests.userdata.conftest import basic_header


@pytest.mark.django_db(transaction=True)
def test_racing_puts_with_the_same_if_match_apply_exactly_one():
    user = UserFactory(email="race@example.com", phone="4797777777")
    credential = ApiCredentialFactory(operations=["users:write"])
    auth = basic_header(credential.username, credential.secret)
    generation = User.objects.get(pk=user.pk).generation
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def put(name: str) -> None:
        try:
            http = HttpClient(HTTP_AUTHORIZATION=auth)
            barrier.wait()
            response = http.put(
                f"/id/users/{user.pk}",
                {"realname": name},
                content_type="application/json",
                HTTP_IF_MATCH=f'"{generation}"',
            )
            statuses[name] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=put, args=(name,)) for name in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(statuses.values()) == [200, 412], statuses
    winner = next(name for name, status in statuses.items() if status == 200)
    user = User.objects.get(pk=user.pk)
    assert user.realname == winner
    assert user.generation == generation + 1
