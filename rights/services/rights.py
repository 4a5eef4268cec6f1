"""Writes of rights: grant (one or many), extend, suspend, reactivate, terminate, use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from accounts.audit import Actor, audit_record
from accounts.models import User
from accounts.services import Precondition
from rights.errors import (
    GrantorMismatch,
    GrantorRequired,
    RightAlreadyUsed,
    RightExpired,
    RightNotActive,
    RightNotFound,
    StateChangeInvalid,
)
from rights.models import Right
from rights.services import _events
from rights.validators.timespec import Interval, utc_now

ANY = Precondition()


@dataclass(frozen=True)
class RightGrant:
    """What a grantor asks for when it grants one right."""

    sku: str
    interval: Interval
    grantor_context: str = ""
    service_provider_id: str = ""
    payload: str = ""


def grantor_resolve(*, credential_grantor: str, requested: str | None) -> str:
    """The grantor a credential grants as: its own (spec §4).

    Raise GrantorRequired when it is bound to none, GrantorMismatch when *requested* (a body's
    grantorId) names another.
    """
    if not credential_grantor:
        raise GrantorRequired()
    if requested not in (None, "", credential_grantor):
        raise GrantorMismatch(field="grantorId")
    return credential_grantor


def _check_grantor(right: Right, as_grantor: str | None) -> None:
    # None: an actor above grantors (the admin, a system job); "" : a credential bound to none.
    if as_grantor is None:
        return
    if not as_grantor:
        raise GrantorRequired()
    if as_grantor != right.grantor_id:
        raise GrantorMismatch()


def _lock(right: Right) -> Right:
    locked = Right.objects.select_for_update().filter(pk=right.pk, deleted_at__isnull=True).first()
    if locked is None:
        raise RightNotFound()
    return locked


def _bump(right: Right, now: dt.datetime, fields: list[str]) -> None:
    right.generation += 1
    right.updated_at = now
    right.save(update_fields=[*fields, "generation", "updated_at"])


def _insert(*, user_id: str, grantor_id: str, grant: RightGrant, state: str) -> Right:
    right = Right(
        user_id=user_id,
        grantor_id=grantor_id,
        grantor_context=grant.grantor_context,
        service_provider_id=grant.service_provider_id,
        sku=grant.sku,
        payload=grant.payload,
        start=grant.interval.start,
        end=grant.interval.end,
        state=state,
    )
    right.save(force_insert=True)
    return right


def right_granted(right: Right, *, actor: Actor) -> None:
    """Audit and announce a right just inserted (also used by subscription renewal)."""
    audit_record(
        actor=actor,
        action="right.granted",
        subject=right.user_id,
        target=right,
        details={"sku": right.sku, "grantor_id": right.grantor_id, "state": right.state},
    )
    _events.right_event(right, _events.GRANTED)


@transaction.atomic
def right_create(*, user: User, grantor_id: str, grant: RightGrant, actor: Actor) -> Right:
    """Grant *user* one ACTIVE right as *grantor_id*; audit it and publish RightGranted."""
    right = _insert(user_id=user.pk, grantor_id=grantor_id, grant=grant, state=Right.State.ACTIVE)
    right_granted(right, actor=actor)
    return right


@transaction.atomic
def right_create_many(
    *, user: User, grantor_id: str, grants: list[RightGrant], actor: Actor
) -> list[Right]:
    """Grant several rights at once: all of them or, on any error, none."""
    return [right_create(user=user, grantor_id=grantor_id, grant=g, actor=actor) for g in grants]


@transaction.atomic
def right_update(
    *,
    right: Right,
    actor: Actor,
    as_grantor: str | None,
    interval: Interval | None = None,
    state: str | None = None,
    precondition: Precondition = ANY,
    now: dt.datetime | None = None,
) -> Right:
    """Extend (a new interval), suspend (state SUSPENDED) or reactivate (state ACTIVE) a right.

    Raise RightNotFound, GrantorRequired/GrantorMismatch (another grantor's right),
    PreconditionFailed/GenerationMismatch, RightExpired (expiry is terminal) or
    StateChangeInvalid. Publishes RightSuspended or RightActive on a state change and
    RightGranted on a new interval (a re-grant: consumers read the right again).
    """
    now = now or utc_now()
    locked = _lock(right)
    _check_grantor(locked, as_grantor)
    precondition.check(locked.generation)
    if locked.state_at(now) == Right.State.EXPIRED:
        raise RightExpired()
    if state is not None and state not in (Right.State.ACTIVE, Right.State.SUSPENDED):
        raise StateChangeInvalid(field="state")
    fields: list[str] = []
    events: list[str] = []
    if interval is not None and (interval.start, interval.end) != (locked.start, locked.end):
        locked.start, locked.end = interval.start, interval.end
        fields += ["start", "end"]
        events.append(_events.GRANTED)
    if state is not None and state != locked.state:
        locked.state = state
        fields.append("state")
        events.append(_events.ACTIVE if state == Right.State.ACTIVE else _events.SUSPENDED)
    if not fields:
        return locked
    _bump(locked, now, fields)
    audit_record(
        actor=actor,
        action="right.updated",
        subject=locked.user_id,
        target=locked,
        details={"changed": fields, "state": locked.state},
    )
    for name in events:
        _events.right_event(locked, name)
    return locked


def right_suspend(*, right: Right, actor: Actor, as_grantor: str | None = None) -> Right:
    return right_update(right=right, actor=actor, as_grantor=as_grantor, state="SUSPENDED")


def right_reactivate(*, right: Right, actor: Actor, as_grantor: str | None = None) -> Right:
    return right_update(right=right, actor=actor, as_grantor=as_grantor, state="ACTIVE")


@transaction.atomic
def right_terminate(
    *,
    right: Right,
    actor: Actor,
    as_grantor: str | None,
    precondition: Precondition = ANY,
    now: dt.datetime | None = None,
) -> None:
    """Terminate a right: it is gone for every reader. The row stays (deleted_at) so that its
    subscription never generates that period again. Publishes RightDeleted.

    Raise RightNotFound, GrantorRequired/GrantorMismatch, PreconditionFailed/GenerationMismatch.
    """
    now = now or utc_now()
    locked = _lock(right)
    _check_grantor(locked, as_grantor)
    precondition.check(locked.generation)
    locked.deleted_at = now
    _bump(locked, now, ["deleted_at"])
    audit_record(actor=actor, action="right.terminated", subject=locked.user_id, target=locked)
    _events.right_event(locked, _events.DELETED)


@transaction.atomic
def right_use(
    *,
    right: Right,
    actor: Actor,
    as_party: str | None,
    precondition: Precondition = ANY,
    now: dt.datetime | None = None,
) -> Right:
    """Record that the right was used: `used` goes from false to true, once, while the right
    is ACTIVE and inside its interval (spec §4). Publishes RightUsed.

    *as_party*: the grantor id of the calling credential, which must be the right's grantor or
    its service provider (None: no such restriction: the user's own client, an operator).
    Raise RightNotFound, GrantorMismatch, RightAlreadyUsed, RightExpired or RightNotActive.
    """
    now = now or utc_now()
    locked = _lock(right)
    if as_party is not None and as_party not in (locked.grantor_id, locked.service_provider_id):
        raise GrantorMismatch()
    precondition.check(locked.generation)
    if locked.used:
        raise RightAlreadyUsed()
    state = locked.state_at(now)
    if state == Right.State.EXPIRED:
        raise RightExpired()
    if not locked.active_at(now):
        raise RightNotActive()
    locked.used = True
    _bump(locked, now, ["used"])
    audit_record(actor=actor, action="right.used", subject=locked.user_id, target=locked)
    _events.right_event(locked, _events.USED)
    return locked
