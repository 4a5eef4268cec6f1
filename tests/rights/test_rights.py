"""Rights: states at any moment, suspend / reactivate / extend / terminate, `used`, events."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from accounts.services import Precondition
from events.models import Event
from rights import selectors
from rights.errors import (
    GrantorMismatch,
    GrantorRequired,
    RightAlreadyUsed,
    RightExpired,
    RightNotActive,
    RightNotFound,
)
from rights.models import Right
from rights.services import grantor_resolve, right_terminate, right_update, right_use
from rights.validators.timespec import Interval
from tests.factories import TEST_ACTOR
from tests.rights.conftest import DAY, HOUR, T0, event_names, grant


def test_state_is_computed_at_read_time(alice):
    right = grant(alice)
    assert right.state_at(T0 - HOUR) == "CREATED"
    assert right.state_at(T0) == "ACTIVE"
    assert right.state_at(T0 + DAY - dt_second()) == "ACTIVE"
    assert right.state_at(T0 + DAY) == "EXPIRED"


def dt_second():
    import datetime as dt

    return dt.timedelta(seconds=1)


def test_active_at_edges_start_inclusive_end_exclusive(alice):
    right = grant(alice)

    def active(at):
        return [r.pk for r in selectors.rights_of_user(user_id=alice.pk, active_at=at)]

    assert active(T0 - dt_second()) == []
    assert active(T0) == [right.pk]
    assert active(T0 + DAY - dt_second()) == [right.pk]
    assert active(T0 + DAY) == []


def test_grant_publishes_right_granted_to_grantor_and_provider(alice):
    right = grant(alice)
    event = Event.objects.get()
    assert event.name == "com.comoyo.events.right.RightGranted"
    assert event.user_id == alice.pk
    assert event.owners == ["shop", "svc.example"]
    body = event.payload
    assert body["rightId"] == right.pk and body["sku"] == "SKU-1"
    assert body["grantorId"] == "shop" and body["grantorContext"] == "c1"
    assert body["consistencyLevel"] == "NONE" and body["externalRef"] == ""
    assert AuditEvent.objects.filter(action="right.granted", subject=alice.pk).exists()


def test_owners_are_distinct_and_non_empty(alice):
    grant(alice, provider="")
    grant(alice, provider="shop")
    assert [e.owners for e in Event.objects.order_by("created_at")] == [["shop"], ["shop"]]


def test_suspend_then_reactivate_bumps_generation_and_emits(alice):
    right = grant(alice)
    right = right_update(
        right=right, actor=TEST_ACTOR, as_grantor="shop", state="SUSPENDED", now=T0
    )
    assert right.generation == 2 and right.state_at(T0) == "SUSPENDED"
    assert not selectors.rights_of_user(user_id=alice.pk, active_at=T0)
    right = right_update(right=right, actor=TEST_ACTOR, as_grantor="shop", state="ACTIVE", now=T0)
    assert right.generation == 3 and right.state_at(T0) == "ACTIVE"
    assert event_names() == ["RightGranted", "RightSuspended", "RightActive"]


def test_setting_the_same_state_changes_nothing(alice):
    right = grant(alice)
    right = right_update(right=right, actor=TEST_ACTOR, as_grantor="shop", state="ACTIVE", now=T0)
    assert right.generation == 1 and event_names() == ["RightGranted"]


def test_extend_moves_the_end_and_regrants(alice):
    right = grant(alice)
    right = right_update(
        right=right,
        actor=TEST_ACTOR,
        as_grantor="shop",
        interval=Interval(T0, T0 + 3 * DAY),
        now=T0,
    )
    assert right.end == T0 + 3 * DAY and right.generation == 2
    assert right.state_at(T0 + 2 * DAY) == "ACTIVE"
    assert event_names() == ["RightGranted", "RightGranted"]


def test_expired_is_terminal(alice):
    right = grant(alice)
    later = T0 + 2 * DAY
    with pytest.raises(RightExpired):
        right_update(right=right, actor=TEST_ACTOR, as_grantor="shop", state="SUSPENDED", now=later)
    with pytest.raises(RightExpired):
        right_update(
            right=right,
            actor=TEST_ACTOR,
            as_grantor="shop",
            interval=Interval(T0, T0 + 9 * DAY),
            now=later,
        )


def test_another_grantor_cannot_change_or_terminate(alice):
    right = grant(alice)
    with pytest.raises(GrantorMismatch):
        right_update(right=right, actor=TEST_ACTOR, as_grantor="other", state="SUSPENDED", now=T0)
    with pytest.raises(GrantorMismatch):
        right_terminate(right=right, actor=TEST_ACTOR, as_grantor="other", now=T0)
    with pytest.raises(GrantorRequired):
        right_terminate(right=right, actor=TEST_ACTOR, as_grantor="", now=T0)
    assert Right.objects.get(pk=right.pk).generation == 1


def test_grantor_resolution():
    assert grantor_resolve(credential_grantor="shop", requested=None) == "shop"
    assert grantor_resolve(credential_grantor="shop", requested="shop") == "shop"
    with pytest.raises(GrantorMismatch):
        grantor_resolve(credential_grantor="shop", requested="other")
    with pytest.raises(GrantorRequired):
        grantor_resolve(credential_grantor="", requested="shop")


def test_terminate_hides_the_right_and_emits_deleted(alice):
    right = grant(alice)
    right_terminate(right=right, actor=TEST_ACTOR, as_grantor="shop", now=T0)
    assert selectors.rights_of_user(user_id=alice.pk) == []
    assert selectors.right_of_user(user_id=alice.pk, right_id=right.pk) is None
    assert event_names() == ["RightGranted", "RightDeleted"]
    with pytest.raises(RightNotFound):
        right_terminate(right=right, actor=TEST_ACTOR, as_grantor="shop", now=T0)


def test_used_goes_true_once_and_only_while_active(alice):
    right = grant(alice)
    with pytest.raises(RightNotActive):
        right_use(right=right, actor=TEST_ACTOR, as_party=None, now=T0 - HOUR)
    right = right_use(right=right, actor=TEST_ACTOR, as_party="svc.example", now=T0)
    assert right.used and right.generation == 2
    with pytest.raises(RightAlreadyUsed):
        right_use(right=right, actor=TEST_ACTOR, as_party=None, now=T0)
    assert event_names() == ["RightGranted", "RightUsed"]
    assert Right.objects.get(pk=right.pk).used


def test_a_suspended_or_expired_right_cannot_be_used(alice):
    right = grant(alice)
    with pytest.raises(RightExpired):
        right_use(right=right, actor=TEST_ACTOR, as_party=None, now=T0 + DAY)
    right_update(right=right, actor=TEST_ACTOR, as_grantor="shop", state="SUSPENDED", now=T0)
    with pytest.raises(RightNotActive):
        right_use(right=right, actor=TEST_ACTOR, as_party=None, now=T0)


def test_only_the_grantor_or_provider_records_use(alice):
    right = grant(alice)
    with pytest.raises(GrantorMismatch):
        right_use(right=right, actor=TEST_ACTOR, as_party="other", now=T0)


def test_a_stale_generation_changes_nothing(alice):
    from accounts.errors import GenerationMismatch, PreconditionFailed

    right = grant(alice)
    with pytest.raises(PreconditionFailed):
        right_update(
            right=right,
            actor=TEST_ACTOR,
            as_grantor="shop",
            state="SUSPENDED",
            precondition=Precondition(if_match=("7",)),
            now=T0,
        )
    with pytest.raises(GenerationMismatch):
        right_use(
            right=right,
            actor=TEST_ACTOR,
            as_party=None,
            precondition=Precondition(generation="7"),
            now=T0,
        )


def test_filters_by_sku_and_provider(alice, bob):
    a = grant(alice, sku="A", provider="p1")
    b = grant(alice, sku="B", provider="p2")
    grant(bob, sku="A", provider="p1")
    assert [r.pk for r in selectors.rights_of_user(user_id=alice.pk, sku="A")] == [a.pk]
    found = selectors.rights_of_user(user_id=alice.pk, service_provider_id="p2")
    assert [r.pk for r in found] == [b.pk]
    assert selectors.rights_of_user(user_id=alice.pk, sku="A\x00") == []
