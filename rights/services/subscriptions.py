"""Writes of subscriptions (spec §4): create, suspend, reactivate, cancel, and renew (the
periodic generation of each period's rights, up front and exactly once)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.audit import Actor, audit_record
from accounts.models import User
from accounts.services import Precondition
from rights.errors import (
    RightsSpecInvalid,
    SubscriptionExpired,
    SubscriptionNotFound,
    TimeSpecInvalid,
)
from rights.models import Right, Subscription
from rights.services.rights import right_granted, right_update
from rights.validators.timespec import (
    Duration,
    Repeating,
    format_duration,
    parse_duration,
    parse_repeating,
    utc_now,
)

ANY = Precondition()
MAX_RIGHTS_SPEC = 20
SKU_MAX, PROVIDER_MAX, PAYLOAD_MAX = 100, 200, 4000


def renewal_lead() -> dt.timedelta:
    """How long before a period starts its rights are generated (settings.RIGHTS_RENEWAL_LEAD
    in seconds; an hour by default, so a job running every few minutes is always early)."""
    return dt.timedelta(seconds=settings.RIGHTS_RENEWAL_LEAD)


@dataclass(frozen=True)
class SpecItem:
    sku: str
    duration: Duration | None
    service_provider_id: str
    payload: str


def rights_spec_parse(raw: object) -> list[dict[str, Any]]:
    """The normalised rightsSpec: [{sku, timeSpec?, serviceProviderId?, payload?}], distinct
    SKUs; raise RightsSpecInvalid (or TimeSpecInvalid for an element's timeSpec)."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_RIGHTS_SPEC:
        raise RightsSpecInvalid(field="rightsSpec")
    out: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict) or set(item) - {
            "sku",
            "timeSpec",
            "serviceProviderId",
            "payload",
        }:
            raise RightsSpecInvalid(field="rightsSpec")
        sku = item.get("sku")
        if not isinstance(sku, str) or not 0 < len(sku.strip()) <= SKU_MAX or "\x00" in sku:
            raise RightsSpecInvalid(field="rightsSpec")
        clean: dict[str, Any] = {"sku": sku.strip()}
        if item.get("timeSpec") not in (None, ""):
            clean["timeSpec"] = format_duration(parse_duration(item["timeSpec"]))
        for key, limit in (("serviceProviderId", PROVIDER_MAX), ("payload", PAYLOAD_MAX)):
            value = item.get(key)
            if value in (None, ""):
                continue
            if not isinstance(value, str) or len(value) > limit or "\x00" in value:
                raise RightsSpecInvalid(field="rightsSpec")
            clean[key] = value
        out.append(clean)
    if len({item["sku"] for item in out}) != len(out):
        raise RightsSpecInvalid("rightsSpec names a SKU twice.", field="rightsSpec")
    return out


def _items(subscription: Subscription) -> list[SpecItem]:
    return [
        SpecItem(
            sku=item["sku"],
            duration=parse_duration(item["timeSpec"]) if item.get("timeSpec") else None,
            service_provider_id=item.get("serviceProviderId", ""),
            payload=item.get("payload", ""),
        )
        for item in subscription.rights_spec
    ]


def repeating_of(subscription: Subscription) -> Repeating:
    return Repeating(
        start=subscription.period_anchor,
        period=parse_duration(subscription.period),
        repetitions=subscription.repetitions,
    )


def _period_start(spec: Repeating, index: int) -> dt.datetime | None:
    if spec.repetitions is not None and index >= spec.repetitions:
        return None
    try:
        return spec.period_start(index)
    except (OverflowError, ValueError):
        return None  # past year 9999: no more periods


def _materialise(
    subscription: Subscription, *, now: dt.datetime, actor: Actor, first: bool = False
) -> list[Right]:
    """Generate the rights of every period that starts before now + the renewal lead (with
    *first*: at least the next one), skipping periods already over. The caller holds the
    subscription's row lock; the unique constraint makes a concurrent generation a no-op."""
    spec = repeating_of(subscription)
    items = _items(subscription)
    horizon = now + renewal_lead()
    created: list[Right] = []
    # Periods that ended while nobody ran the job are not granted after the fact.
    index = max(subscription.next_period, spec.index_at(now))
    while True:
        start = _period_start(spec, index)
        if start is None or (subscription.ends_at is not None and start >= subscription.ends_at):
            break
        if start > horizon and not first:
            break
        end_of_period = spec.period_start(index + 1)
        state = (
            Right.State.ACTIVE
            if subscription.state == Subscription.State.ACTIVE
            else Right.State.SUSPENDED
        )
        for item in items:
            end = start + item.duration if item.duration is not None else end_of_period
            right = Right(
                user_id=subscription.user_id,
                grantor_id=subscription.grantor_id,
                grantor_context=subscription.grantor_context,
                service_provider_id=item.service_provider_id,
                sku=item.sku,
                payload=item.payload,
                start=start,
                end=end,
                state=state,
                subscription=subscription,
                period_start=start,
            )
            try:
                with transaction.atomic():  # a savepoint: a duplicate leaves the rest intact
                    right.save(force_insert=True)
            except IntegrityError:
                continue  # generated already (another worker, or an earlier run)
            right_granted(right, actor=actor)
            created.append(right)
        index += 1
        first = False
    subscription.next_period = index
    subscription.renews_at = _period_start(spec, index)
    ends = subscription.ends_at
    if subscription.renews_at is not None and ends is not None and subscription.renews_at >= ends:
        subscription.renews_at = None
    return created


def _save(subscription: Subscription, now: dt.datetime, fields: list[str], bump: bool) -> None:
    if bump:
        subscription.generation += 1
        fields = [*fields, "generation"]
    subscription.updated_at = now
    subscription.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def subscription_create(
    *,
    user: User,
    grantor_id: str,
    time_spec: str,
    rights_spec: object,
    actor: Actor,
    grantor_context: str = "",
    now: dt.datetime | None = None,
) -> Subscription:
    """Subscribe *user* as *grantor_id* on a repeating *time_spec* and generate the rights of
    its current (or first) period at once.

    Raise TimeSpecInvalid, TimeSpecNotRepeating or RightsSpecInvalid. Publishes RightGranted
    for each generated right.
    """
    now = now or utc_now()
    spec = parse_repeating(time_spec, now=now)
    if spec.end is not None and spec.end <= now:
        raise TimeSpecInvalid("Every period of this time spec is over.", field="timeSpec")
    clean_spec = rights_spec_parse(rights_spec)
    subscription = Subscription(
        user=user,
        grantor_id=grantor_id,
        grantor_context=grantor_context,
        orig_time_spec=time_spec.strip(),
        effective_time_spec=spec.isoformat(),
        rights_spec=clean_spec,
        period_anchor=spec.start,
        period=format_duration(spec.period),
        repetitions=spec.repetitions,
        ends_at=spec.end,
        next_period=spec.index_at(now),
        created_at=now,
        updated_at=now,
    )
    subscription.save(force_insert=True)
    audit_record(
        actor=actor,
        action="subscription.created",
        subject=user,
        target=subscription,
        details={"grantor_id": grantor_id, "time_spec": subscription.effective_time_spec},
    )
    _materialise(subscription, now=now, actor=actor, first=True)
    subscription.save(update_fields=["next_period", "renews_at"])
    return subscription


def _lock(subscription: Subscription, as_grantor: str | None) -> Subscription:
    locked = Subscription.objects.select_for_update().filter(pk=subscription.pk).first()
    # A grantor sees only the subscriptions it created (spec §4): others' are not found.
    if locked is None or (as_grantor is not None and locked.grantor_id != as_grantor):
        raise SubscriptionNotFound()
    return locked


def _live(subscription: Subscription, now: dt.datetime) -> None:
    if subscription.state_at(now) == Subscription.State.EXPIRED:
        raise SubscriptionExpired()


@transaction.atomic
def subscription_suspend(
    *,
    subscription: Subscription,
    actor: Actor,
    as_grantor: str | None,
    precondition: Precondition = ANY,
    now: dt.datetime | None = None,
) -> Subscription:
    """Suspend a subscription and its current rights; it keeps generating rights, SUSPENDED.

    Raise SubscriptionNotFound (another grantor's), PreconditionFailed/GenerationMismatch or
    SubscriptionExpired. Publishes RightSuspended for each right it suspends.
    """
    now = now or utc_now()
    locked = _lock(subscription, as_grantor)
    precondition.check(locked.generation)
    _live(locked, now)
    if locked.state == Subscription.State.SUSPENDED:
        return locked
    locked.state = Subscription.State.SUSPENDED
    _save(locked, now, ["state"], bump=True)
    audit_record(
        actor=actor, action="subscription.suspended", subject=locked.user_id, target=locked
    )
    current = Right.objects.filter(
        subscription=locked, deleted_at__isnull=True, state=Right.State.ACTIVE, end__gt=now
    )
    for right in current:
        right_update(right=right, actor=actor, as_grantor=None, state="SUSPENDED", now=now)
    return locked


@transaction.atomic
def subscription_reactivate(
    *,
    subscription: Subscription,
    actor: Actor,
    as_grantor: str | None,
    precondition: Precondition = ANY,
    now: dt.datetime | None = None,
) -> Subscription:
    """Reactivate a suspended subscription: the rights of later periods are ACTIVE; the rights
    already generated stay as they are (spec §4: the user gets access at the next renewal).

    Raise SubscriptionNotFound, PreconditionFailed/GenerationMismatch or SubscriptionExpired.
    """
    now = now or utc_now()
    locked = _lock(subscription, as_grantor)
    precondition.check(locked.generation)
    _live(locked, now)
    if locked.state == Subscription.State.ACTIVE:
        return locked
    locked.state = Subscription.State.ACTIVE
    _save(locked, now, ["state"], bump=True)
    audit_record(
        actor=actor, action="subscription.reactivated", subject=locked.user_id, target=locked
    )
    return locked


@transaction.atomic
def subscription_cancel(
    *,
    subscription: Subscription,
    actor: Actor,
    as_grantor: str | None,
    precondition: Precondition = ANY,
    now: dt.datetime | None = None,
) -> Subscription:
    """Cancel (terminate) a subscription: EXPIRED at once, no more rights; the rights already
    generated (the paid periods) stay. Its effectiveTimeSpec then counts the periods it had.

    Raise SubscriptionNotFound, PreconditionFailed/GenerationMismatch or SubscriptionExpired.
    """
    now = now or utc_now()
    locked = _lock(subscription, as_grantor)
    precondition.check(locked.generation)
    _live(locked, now)
    # Periods count from the anchor: the spec now ends with the last period generated.
    locked.effective_time_spec = repeating_of(locked).isoformat(max(locked.next_period, 1))
    locked.state = Subscription.State.EXPIRED
    locked.ends_at = now
    locked.renews_at = None
    _save(locked, now, ["state", "ends_at", "renews_at", "effective_time_spec"], bump=True)
    audit_record(
        actor=actor, action="subscription.cancelled", subject=locked.user_id, target=locked
    )
    return locked


@transaction.atomic
def subscription_renew(
    *, subscription: Subscription, actor: Actor, now: dt.datetime | None = None
) -> list[Right]:
    """Generate the rights now due (idempotent: run twice, or on two workers, each period's
    rights are generated once); store EXPIRED once the subscription has ended."""
    now = now or utc_now()
    locked = _lock(subscription, None)
    if locked.state == Subscription.State.EXPIRED:
        return []
    if locked.state_at(now) == Subscription.State.EXPIRED:
        locked.state = Subscription.State.EXPIRED
        locked.renews_at = None
        # What readers see does not change (they computed EXPIRED already): no new generation.
        _save(locked, now, ["state", "renews_at"], bump=False)
        audit_record(
            actor=actor, action="subscription.expired", subject=locked.user_id, target=locked
        )
        return []
    created = _materialise(locked, now=now, actor=actor)
    _save(locked, now, ["next_period", "renews_at"], bump=False)
    return created


def subscriptions_renew_due(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Renew every live subscription whose next period is due, or whose end has passed, each
    in its own transaction; return the number of rights generated."""
    from django.db.models import Q

    now = now or utc_now()
    due = (
        Subscription.objects.exclude(state=Subscription.State.EXPIRED)
        .filter(Q(renews_at__lte=now + renewal_lead()) | Q(ends_at__lte=now))
        .values_list("pk", flat=True)
    )
    total = 0
    for pk in list(due):
        total += len(subscription_renew(subscription=Subscription(pk=pk), actor=actor, now=now))
    return total
