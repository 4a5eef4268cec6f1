"""Helpers of the rights tests: a fixed clock, grants, and the events they published."""

from __future__ import annotations

import datetime as dt

import pytest

from events.models import Event
from rights.services import RightGrant, right_create
from rights.validators.timespec import Interval

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def grant(user, *, start=T0, end=T0 + DAY, grantor="shop", sku="SKU-1", provider="svc.example"):
    from tests.factories import TEST_ACTOR

    return right_create(
        user=user,
        grantor_id=grantor,
        grant=RightGrant(
            sku=sku,
            interval=Interval(start, end),
            service_provider_id=provider,
            grantor_context="c1",
        ),
        actor=TEST_ACTOR,
    )


def event_names(user_id: str | None = None) -> list[str]:
    events = Event.objects.order_by("created_at", "id")
    if user_id:
        events = events.filter(user_id=user_id)
    return [e.name.rsplit(".", 1)[1] for e in events]


@pytest.fixture
def clock():
    return T0
