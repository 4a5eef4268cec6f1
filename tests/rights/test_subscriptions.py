"""Subscriptions generate each period's rights up front, exactly once; suspend, reactivate,
cancel and expiry follow spec §4."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from events.models import Event
from rights.errors import (
    RightsSpecInvalid,
    SubscriptionExpired,
    SubscriptionNotFound,
    TimeSpecInvalid,
    TimeSpecNotRepeating,
)
from rights.models import Right, Subscription
from rights.services import (
    subscription_cancel,
    subscription_create,
    subscription_reactivate,
    subscription_suspend,
)
from rights.tasks import renew_subscriptions
from tests.factories import TEST_ACTOR
from tests.rights.conftest import DAY, HOUR, T0, event_names

MONTHLY = "R/2026-03-01T12:00:00Z/P1M"
P1 = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)
P2 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
P3 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def subscribe(user, spec=MONTHLY, *, grantor="shop", now=T0, rights_spec=None):
    return subscription_create(
        user=user,
        grantor_id=grantor,
        time_spec=spec,
        rights_spec=rights_spec or [{"sku": "CMO-STO-5-M", "serviceProviderId": "svc.example"}],
        actor=TEST_ACTOR,
        now=now,
    )


def rights_of(subscription):
    return list(Right.objects.filter(subscription=subscription).order_by("start"))


def test_creating_generates_the_first_periods_right_at_once(alice):
    sub = subscribe(alice)
    [right] = rights_of(sub)
    assert (right.start, right.end) == (T0, P1)
    assert right.state_at(T0) == "ACTIVE" and right.grantor_id == "shop"
    assert sub.effective_time_spec == MONTHLY and sub.state_at(T0) == "ACTIVE"
    assert sub.renews_at == P1
    event = Event.objects.get()
    assert event.payload["externalRef"] == sub.pk
    assert event.payload["link"] == [
        {
            "rel": "creator",
            "type": "subscription",
            "idref": sub.pk,
            "href": f"users/{alice.pk}/subs/{sub.pk}",
        }
    ]


def test_renewal_across_three_periods_creates_each_right_once(alice):
    sub = subscribe(alice)
    for moment in (P1 - HOUR / 2, P1 + HOUR, P2 - HOUR / 2, P2, P3 - HOUR / 2, P3 + DAY):
        renew_subscriptions(now=moment)
        renew_subscriptions(now=moment)  # a second run (or worker) adds nothing
    starts = [r.start for r in rights_of(sub)]
    assert starts == [T0, P1, P2, P3]
    assert event_names() == ["RightGranted"] * 4
    sub.refresh_from_db()
    assert sub.next_period == 4 and sub.renews_at == dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)


def test_rights_are_generated_an_hour_ahead_not_earlier(alice):
    sub = subscribe(alice)
    assert renew_subscriptions(now=P1 - 2 * HOUR) == 0
    assert renew_subscriptions(now=P1 - HOUR) == 1
    assert [r.start for r in rights_of(sub)] == [T0, P1]


def test_the_unique_constraint_stops_a_regeneration(alice):
    sub = subscribe(alice)
    renew_subscriptions(now=P1)
    # As if a worker had lost its progress: the period's right exists, it is not made again.
    Subscription.objects.filter(pk=sub.pk).update(next_period=0, renews_at=T0)
    renew_subscriptions(now=P1)
    assert len(rights_of(sub)) == 2 and len(event_names()) == 2


def test_periods_missed_while_the_job_was_down_are_not_granted_late(alice):
    sub = subscribe(alice)
    renew_subscriptions(now=P3 + DAY)
    assert [r.start for r in rights_of(sub)] == [T0, P3]


def test_a_suspended_subscription_suspends_its_rights_and_generates_suspended_ones(alice):
    sub = subscribe(alice)
    sub = subscription_suspend(subscription=sub, actor=TEST_ACTOR, as_grantor="shop", now=T0 + DAY)
    assert sub.state == "SUSPENDED" and sub.generation == 2
    renew_subscriptions(now=P1)
    first, second = rights_of(sub)
    assert first.state_at(T0 + DAY) == "SUSPENDED" and second.state_at(P1) == "SUSPENDED"
    assert event_names() == ["RightGranted", "RightSuspended", "RightGranted"]


def test_reactivation_does_not_wake_old_rights_but_the_next_period_is_active(alice):
    sub = subscribe(alice)
    subscription_suspend(subscription=sub, actor=TEST_ACTOR, as_grantor="shop", now=T0)
    sub = subscription_reactivate(subscription=sub, actor=TEST_ACTOR, as_grantor="shop", now=T0)
    assert sub.state == "ACTIVE"
    [old] = rights_of(sub)
    assert old.state_at(T0) == "SUSPENDED"
    renew_subscriptions(now=P1)
    assert rights_of(sub)[1].state_at(P1) == "ACTIVE"


def test_cancel_keeps_the_paid_periods_right_and_stops_renewal(alice):
    sub = subscribe(alice)
    sub = subscription_cancel(subscription=sub, actor=TEST_ACTOR, as_grantor="shop", now=T0 + DAY)
    assert sub.state_at(T0 + DAY) == "EXPIRED"
    assert sub.effective_time_spec == "R1/2026-03-01T12:00:00Z/P1M"
    assert sub.orig_time_spec == MONTHLY
    [right] = rights_of(sub)
    assert right.state_at(T0 + DAY) == "ACTIVE"
    renew_subscriptions(now=P2)
    assert len(rights_of(sub)) == 1


def test_expired_is_terminal(alice):
    sub = subscribe(alice)
    subscription_cancel(subscription=sub, actor=TEST_ACTOR, as_grantor="shop", now=T0)
    for change in (subscription_reactivate, subscription_suspend, subscription_cancel):
        with pytest.raises(SubscriptionExpired):
            change(subscription=sub, actor=TEST_ACTOR, as_grantor="shop", now=T0)


def test_a_bounded_subscription_expires_at_its_end(alice):
    sub = subscribe(alice, "R2/2026-03-01T12:00:00Z/P1M")
    renew_subscriptions(now=P1)
    renew_subscriptions(now=P2)
    assert [r.start for r in rights_of(sub)] == [T0, P1]
    sub.refresh_from_db()
    assert sub.state == "EXPIRED"  # stored by the job; readers computed it already
    with pytest.raises(SubscriptionExpired):
        subscription_suspend(subscription=sub, actor=TEST_ACTOR, as_grantor="shop", now=P2)


def test_another_grantor_does_not_find_the_subscription(alice):
    sub = subscribe(alice)
    with pytest.raises(SubscriptionNotFound):
        subscription_suspend(subscription=sub, actor=TEST_ACTOR, as_grantor="other", now=T0)


def test_each_sku_of_the_rights_spec_gets_a_right_of_its_own_length(alice):
    sub = subscribe(
        alice,
        rights_spec=[
            {"sku": "MAIN"},
            {"sku": "BONUS", "timeSpec": "P2D", "serviceProviderId": "x"},
        ],
    )
    by_sku = {r.sku: r for r in rights_of(sub)}
    assert by_sku["MAIN"].end == P1 and by_sku["BONUS"].end == T0 + 2 * DAY
    assert sub.rights_spec[1] == {"sku": "BONUS", "timeSpec": "P2D", "serviceProviderId": "x"}


@pytest.mark.parametrize(
    ("spec", "rights_spec", "error"),
    [
        ("P1M", None, TimeSpecNotRepeating),
        ("R/2026-03-01T12:00:00/P1M", None, TimeSpecInvalid),
        ("R2/2020-01-01T00:00:00Z/P1D", None, TimeSpecInvalid),  # all over already
        (MONTHLY, [{"sku": "A"}, {"sku": "A"}], RightsSpecInvalid),
        (MONTHLY, [{"sku": ""}], RightsSpecInvalid),
        (MONTHLY, [{"sku": "A", "bogus": 1}], RightsSpecInvalid),
        (MONTHLY, [{"sku": "A", "timeSpec": "soon"}], TimeSpecInvalid),
    ],
)
def test_bad_subscriptions_are_refused(alice, spec, rights_spec, error):
    with pytest.raises(error):
        subscribe(alice, spec, rights_spec=rights_spec)
    assert not Subscription.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_generate_each_right_once(alice):
    sub = subscribe(alice)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            renew_subscriptions(now=P1)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert [r.start for r in rights_of(sub)] == [T0, P1]
    assert Event.objects.filter(name__endswith="RightGranted").count() == 2
