"""Writes of an agreement's later charges (spec §5.3): charge each due period once, with its
retries, and suspend the agreement when the last retry fails."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import Actor, audit_record
from payments.models import Agreement, PaymentMethod, Transaction
from payments.providers.base import Charge, ChargeResult, ProviderUnavailable
from payments.services.transactions import charge_saved_method, transaction_complete
from rights.models import Right, Subscription
from rights.services.rights import right_update
from rights.services.subscriptions import (
    repeating_of,
    subscription_reactivate,
    subscription_suspend,
)
from rights.validators.timespec import Repeating, parse_duration

logger = logging.getLogger(__name__)


def retry_delays() -> list[dt.timedelta]:
    """The pauses after the 1st, 2nd, … declined attempt of a period
    (settings.PAYMENT_RENEWAL_RETRY_SECONDS); the attempt after the last pause is the last."""
    return [dt.timedelta(seconds=int(s)) for s in settings.PAYMENT_RENEWAL_RETRY_SECONDS]


def charge_due_at(agreement: Agreement, index: int) -> dt.datetime | None:
    """When charge *index* (≥ 1) is due: anchor + (index-1)·period, computed from the anchor each
    time (Jan 31 + 1 month is Feb 28, + 2 months Mar 31); None past the repetitions."""
    assert agreement.anchor is not None
    if agreement.repetitions is not None and index > agreement.repetitions:
        return None
    schedule = Repeating(start=agreement.anchor, period=parse_duration(agreement.period))
    try:
        return schedule.period_start(index - 1)
    except (OverflowError, ValueError):
        return None  # past year 9999


def _period_end(agreement: Agreement, index: int) -> dt.datetime | None:
    """The end of the period charge *index* pays (the start of the next one), or None."""
    assert agreement.anchor is not None
    schedule = Repeating(start=agreement.anchor, period=parse_duration(agreement.period))
    try:
        return schedule.period_start(index)
    except (OverflowError, ValueError):
        return None


def _charge_transaction(
    agreement: Agreement, index: int, actor: Actor, now: dt.datetime
) -> Transaction:
    """The RECURRING transaction of period *index*, created on its first attempt. The caller
    holds the agreement's row lock; payments_one_charge_per_period backs it up."""
    existing = Transaction.objects.filter(agreement=agreement, period_index=index).first()
    if existing is not None:
        return existing
    first = agreement.verification_transaction
    previous = (
        Transaction.objects.filter(agreement=agreement, period_index__lt=index)
        .exclude(type=Transaction.Type.REFUND)
        .order_by("-period_index")
        .first()
        or first
    )
    tx = Transaction(
        merchant_id=agreement.merchant_id,
        merchant_name=agreement.merchant_name,
        order_id=first.order_id,
        client_correlator=first.client_correlator,
        type=Transaction.Type.RECURRING,
        user_id=agreement.user_id,
        purchase_description=first.purchase_description,
        currency=first.currency,
        amount_minor=first.amount_minor,
        vat_rate=first.vat_rate,
        vat_minor=first.vat_minor,
        products=first.products,
        allowed_methods=first.allowed_methods,
        attributes=first.attributes,
        agreement=agreement,
        period_index=index,
        previous_transaction=previous,
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves the caller's work intact
            tx.save(force_insert=True)
    except IntegrityError as exc:
        if "payments_one_charge_per_period" not in str(exc):
            raise
        return Transaction.objects.get(agreement=agreement, period_index=index)
    audit_record(
        actor=actor,
        action="transaction.created",
        subject=agreement.user_id,
        target=tx,
        details={"agreement_id": agreement.pk, "period": index, "amount": str(tx.amount)},
    )
    return tx


def _charge(agreement: Agreement, method: PaymentMethod, tx: Transaction) -> ChargeResult:
    """Ask the provider of *method* to charge period *tx.period_index*. The key is the same for
    a crashed attempt run again (its failed_attempts increment rolled back with it), so the
    provider charges it once; a new attempt after a decline gets a new key."""
    attempt = agreement.failed_attempts + 1
    charge = Charge(
        idempotency_key=f"{agreement.pk}:{tx.period_index}:{attempt}",
        amount_minor=tx.amount_minor,
        currency=tx.currency,
        description=tx.purchase_description[:200],
        user_id=agreement.user_id,
        customer_ref=method.customer_ref,
        # Nothing that changes when a crashed attempt runs again (the transaction's id does: its
        # row rolled back too): a provider refuses a known key with a different body.
        metadata={
            "order_id": tx.order_id,
            "merchant": tx.merchant_id,
            "agreement_id": agreement.pk,
            "period": str(tx.period_index),
        },
    )
    return charge_saved_method(charge=charge, method=method)


def _save_agreement(agreement: Agreement, now: dt.datetime, fields: list[str]) -> None:
    agreement.generation += 1
    agreement.updated_at = now
    agreement.save(update_fields=[*fields, "generation", "updated_at"])


def _subscription(agreement: Agreement) -> Subscription | None:
    if agreement.subscription_id is None:
        return None
    return Subscription.objects.filter(pk=agreement.subscription_id).first()


def _paid(
    agreement: Agreement,
    tx: Transaction,
    method: PaymentMethod,
    result: ChargeResult,
    actor: Actor,
    now: dt.datetime,
) -> None:
    index = tx.period_index
    assert index is not None and agreement.user is not None
    transaction_complete(
        tx=tx,
        user=agreement.user,
        result=result,
        kind=method.kind,
        method=method,
        provider=method.provider,
        actor=actor,
        now=now,
        # The rights of a charged period are the subscription's (rights.services.subscriptions).
        for_agreement=True,
    )
    agreement.next_charge_index = index + 1
    agreement.next_charge_at = charge_due_at(agreement, index + 1)
    agreement.failed_attempts = 0
    _save_agreement(agreement, now, ["next_charge_index", "next_charge_at", "failed_attempts"])
    audit_record(
        actor=actor,
        action="agreement.charged",
        subject=agreement.user_id,
        target=agreement,
        details={
            "period": index,
            "transaction_id": tx.pk,
            "next_charge_at": str(agreement.next_charge_at),
        },
    )
    subscription = _subscription(agreement)
    if subscription is not None and subscription.state_at(now) == Subscription.State.SUSPENDED:
        subscription_reactivate(subscription=subscription, actor=actor, as_grantor=None, now=now)
        # Paid: the period's rights, generated SUSPENDED meanwhile, are given back.
        start = repeating_of(subscription).period_start(index - 1)
        for right in Right.objects.filter(
            subscription=subscription,
            period_start=start,
            state=Right.State.SUSPENDED,
            deleted_at__isnull=True,
            end__gt=now,
        ):
            right_update(right=right, actor=actor, as_grantor=None, state="ACTIVE", now=now)


def _declined(
    agreement: Agreement, tx: Transaction, code: str, actor: Actor, now: dt.datetime
) -> None:
    agreement.failed_attempts += 1
    tx.return_code = code[:64]
    delays = retry_delays()
    last = agreement.failed_attempts > len(delays)
    if last:
        tx.state = Transaction.State.FAILED
    tx.generation += 1
    tx.updated_at = now
    tx.save(
        update_fields=[
            "attempts",
            "started_at",
            "return_code",
            "state",
            "generation",
            "updated_at",
        ]
    )
    if not last:
        agreement.next_charge_at = now + delays[agreement.failed_attempts - 1]
        _save_agreement(agreement, now, ["failed_attempts", "next_charge_at"])
        audit_record(
            actor=actor,
            action="agreement.charge_declined",
            subject=agreement.user_id,
            target=agreement,
            details={
                "period": tx.period_index,
                "code": tx.return_code,
                "attempt": agreement.failed_attempts,
                "retry_at": str(agreement.next_charge_at),
            },
        )
        return
    agreement.state = Agreement.State.SUSPENDED
    agreement.next_charge_at = None
    _save_agreement(agreement, now, ["state", "failed_attempts", "next_charge_at"])
    audit_record(
        actor=actor,
        action="transaction.failed",
        subject=agreement.user_id,
        target=tx,
        details={"code": tx.return_code, "attempts": tx.attempts},
    )
    audit_record(
        actor=actor,
        action="agreement.suspended",
        subject=agreement.user_id,
        target=agreement,
        details={"period": tx.period_index, "code": tx.return_code},
    )
    subscription = _subscription(agreement)
    if subscription is not None and subscription.state_at(now) != Subscription.State.EXPIRED:
        subscription_suspend(subscription=subscription, actor=actor, as_grantor=None, now=now)


@transaction.atomic
def agreement_charge_due(
    *,
    agreement_id: str,
    actor: Actor,
    now: dt.datetime | None = None,
    skip_locked: bool = False,
) -> Transaction | None:
    """Charge the due period of an ACTIVE agreement with its saved method, once; return the
    period's RECURRING transaction, or None when nothing was due (not ACTIVE, not yet due, the
    repetitions done, or, with *skip_locked*, another worker holding the agreement).

    The agreement row is locked for the whole attempt, so a second run waits and then finds the
    period charged. Paid: COMPLETED with its BillableEvent, the next charge scheduled, a
    subscription suspended earlier reactivated. Declined or failed: retried after each pause of
    PAYMENT_RENEWAL_RETRY_SECONDS; when the last retry fails the transaction is FAILED, the
    agreement SUSPENDED and its subscription (with its current rights) suspended.

    A provider that cannot be reached (ProviderUnavailable) is not counted as a failed attempt:
    nothing is known to have happened, so the next run repeats the same call with the same
    idempotency key (a new key could charge twice), and the payer is not suspended for our
    provider's outage. The job runs every five minutes, which paces those repeats.
    """
    now = now or timezone.now()
    # Only the agreement's row is locked (of=self), not its user's or first transaction's.
    agreement = (
        Agreement.objects.select_for_update(skip_locked=skip_locked, of=("self",))
        .select_related("verification_transaction", "user", "payment_method")
        .filter(pk=agreement_id)
        .first()
    )
    if (
        agreement is None
        or agreement.state != Agreement.State.ACTIVE
        or agreement.next_charge_at is None
        or agreement.next_charge_at > now
    ):
        return None
    index = agreement.next_charge_index
    if agreement.failed_attempts == 0:
        # Periods that ended while no job ran are not charged after the fact: the subscription
        # grants no right for them either (rights.services.subscriptions._materialise).
        while (end := _period_end(agreement, index)) is not None and end <= now:
            index += 1
        if index != agreement.next_charge_index:
            audit_record(
                actor=actor,
                action="agreement.periods_skipped",
                subject=agreement.user_id,
                target=agreement,
                details={"from": agreement.next_charge_index, "to": index},
            )
            agreement.next_charge_index = index
            _save_agreement(agreement, now, ["next_charge_index"])
    if charge_due_at(agreement, index) is None:  # the repetitions are done
        agreement.next_charge_at = None
        _save_agreement(agreement, now, ["next_charge_index", "next_charge_at"])
        return None
    tx = _charge_transaction(agreement, index, actor, now)
    if tx.state == Transaction.State.COMPLETED:
        # Charged already (the schedule was not advanced by whoever charged it): advance it.
        agreement.next_charge_index = index + 1
        agreement.next_charge_at = charge_due_at(agreement, index + 1)
        agreement.failed_attempts = 0
        _save_agreement(agreement, now, ["next_charge_index", "next_charge_at", "failed_attempts"])
        return tx
    method = agreement.payment_method
    if method is None or method.removed_at is not None:
        tx.attempts += 1
        tx.started_at = tx.started_at or now
        _declined(agreement, tx, "payment_method_missing", actor, now)
        return tx
    try:
        result = _charge(agreement, method, tx)
    except ProviderUnavailable as exc:
        logger.warning(
            "Payment provider unavailable for agreement %s period %d: %s",
            agreement.pk,
            index,
            type(exc).__name__,
        )
        audit_record(
            actor=actor,
            action="agreement.charge_unavailable",
            subject=agreement.user_id,
            target=agreement,
            details={"period": index, "attempt": agreement.failed_attempts + 1},
        )
        return tx
    tx.attempts += 1
    tx.started_at = tx.started_at or now
    if result.succeeded:
        _paid(agreement, tx, method, result, actor, now)
    else:
        _declined(agreement, tx, result.code or result.status, actor, now)
    return tx


def agreements_charge_due(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Charge every due ACTIVE agreement, each in its own transaction; return how many periods
    were paid. Two runs at once charge each period once: an agreement another worker holds is
    skipped (it is being charged), and one charged meanwhile is no longer due."""
    now = now or timezone.now()
    due = list(
        Agreement.objects.filter(state=Agreement.State.ACTIVE, next_charge_at__lte=now)
        .order_by("next_charge_at")
        .values_list("pk", flat=True)
    )
    paid = 0
    for pk in due:
        try:
            tx = agreement_charge_due(agreement_id=pk, actor=actor, now=now, skip_locked=True)
        except Exception:
            # One agreement's unexpected error must not hold up everyone else's renewal.
            logger.exception("Charging agreement %s failed", pk)
            continue
        if tx is not None and tx.state == Transaction.State.COMPLETED:
            paid += 1
    return paid
