"""The subscriptions screen: what I have access to now, my subscriptions, and stopping one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rights.models import Right, Subscription
from rights.services import RightGrant, right_create, subscription_create
from rights.validators.timespec import Interval
from tests.factories import TEST_ACTOR

pytestmark = pytest.mark.django_db


def subscribe(user, sku="CMO-STO-5-M", grantor="shop"):
    return subscription_create(
        user=user,
        grantor_id=grantor,
        time_spec="R//P1M",
        rights_spec=[{"sku": sku, "serviceProviderId": "svc.example"}],
        actor=TEST_ACTOR,
    )


def grant(user, sku, *, start, end):
    return right_create(
        user=user,
        grantor_id="shop",
        grant=RightGrant(sku=sku, interval=Interval(start, end), service_provider_id="svc.example"),
        actor=TEST_ACTOR,
    )


def test_the_screen_lists_my_current_rights_and_subscriptions(alice, alice_portal):
    now = timezone.now()
    subscribe(alice)
    grant(alice, "MOVIE-2D", start=now - dt.timedelta(hours=1), end=now + dt.timedelta(days=2))
    grant(alice, "OLD-RENTAL", start=now - dt.timedelta(days=3), end=now - dt.timedelta(days=1))
    page = alice_portal.get("/gui/mypage/subscriptions").content.decode()
    assert "MOVIE-2D" in page and "CMO-STO-5-M" in page
    assert "OLD-RENTAL" not in page  # expired: not something I have access to
    assert "Stop subscription" in page


def test_nothing_yet_says_so(alice_portal):
    page = alice_portal.get("/gui/mypage/subscriptions").content.decode()
    assert "You have no subscriptions through CONNECT ID." in page
    assert "You have no access to any service through CONNECT ID right now." in page


def test_stopping_keeps_the_paid_periods_right(alice, alice_portal):
    sub = subscribe(alice)
    answer = alice_portal.post(f"/gui/mypage/subscriptions/{sub.pk}/stop")
    assert answer.status_code == 302
    sub.refresh_from_db()
    assert sub.state_at(timezone.now()) == Subscription.State.EXPIRED
    right = Right.objects.get(subscription=sub)
    assert right.active_at(timezone.now())  # the period already paid stays
    page = alice_portal.get("/gui/mypage/subscriptions").content.decode()
    assert "Ended" in page and "Stop subscription" not in page
    # Stopping again: nothing left to stop.
    assert alice_portal.post(f"/gui/mypage/subscriptions/{sub.pk}/stop").status_code == 404


def test_bob_cannot_stop_alices_subscription(alice, bob_portal):
    sub = subscribe(alice)
    assert bob_portal.post(f"/gui/mypage/subscriptions/{sub.pk}/stop").status_code == 404
    sub.refresh_from_db()
    assert sub.state_at(timezone.now()) == Subscription.State.ACTIVE
    assert "CMO-STO-5-M" not in bob_portal.get("/gui/mypage/subscriptions").content.decode()


def test_stopping_needs_a_post(alice, alice_portal):
    sub = subscribe(alice)
    assert alice_portal.get(f"/gui/mypage/subscriptions/{sub.pk}/stop").status_code == 405


def test_the_query_count_does_not_grow_with_rights_and_subscriptions(
    alice, alice_portal, django_assert_max_num_queries
):
    now = timezone.now()
    subscribe(alice)
    grant(alice, "A", start=now - dt.timedelta(hours=1), end=now + dt.timedelta(days=1))
    with django_assert_max_num_queries(20) as few:
        alice_portal.get("/gui/mypage/subscriptions")
    for n in range(5):
        subscribe(alice, sku=f"S{n}")
        grant(alice, f"R{n}", start=now - dt.timedelta(hours=1), end=now + dt.timedelta(days=1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        alice_portal.get("/gui/mypage/subscriptions")
