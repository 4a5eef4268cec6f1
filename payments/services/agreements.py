"""Writes of charging agreements (spec §5.3): create, activate on the first payment, stop."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.audit import Actor, audit_record
from accounts.models import User
from payments.errors import AgreementNotFound
from payments.models import Agreement, PaymentMethod, Transaction
from payments.services.transactions import NewTransaction, transaction_create
from rights.models import Subscription
from rights.services.rights import RightGrant, right_create
from rights.services.subscriptions import subscription_cancel, subscription_create
from rights.validators.timespec import (
    Interval,
    format_duration,
    format_instant,
    parse_duration,
    parse_repeating,
)


@dataclass(frozen=True)
class NewAgreement:
    recurrence_time_spec: str
    verification: NewTransaction
    trial_period: str = ""
    merchant_name: str = ""


def agreement_of_verification(tx: Transaction) -> Agreement | None:
    """The agreement whose first payment *tx* is, locked, or None."""
    return Agreement.objects.select_for_update().filter(verification_transaction=tx).first()


def _check_schedule(new: NewAgreement, now: dt.datetime) -> None:
    # spec §5.3: recurrenceTimeSpec is an ISO 8601 repeat ("R//P1M"); trial.period a duration.
    parse_repeating(new.recurrence_time_spec, now=now)
    if new.trial_period:
        parse_duration(new.trial_period)


@transaction.atomic
def agreement_create(
    *, merchant_id: str, merchant_name: str, user: User, new: NewAgreement, actor: Actor
) -> Agreement:
    """Prepare an agreement for *user* with its verification transaction (the first payment,
    made on the payment page). CREATED until that payment succeeds.

    Raise TimeSpecInvalid/TimeSpecNotRepeating, and what transaction_create raises.
    """
    now = timezone.now()
    _check_schedule(new, now)
    name = new.merchant_name or merchant_name
    first = transaction_create(
        merchant_id=merchant_id,
        merchant_name=name,
        new=new.verification,
        user=user,
        actor=actor,
    )
    agreement = Agreement.objects.create(
        merchant_id=merchant_id,
        merchant_name=first.merchant_name,
        user=user,
        recurrence_time_spec=new.recurrence_time_spec.strip(),
        trial_period=new.trial_period.strip(),
        verification_transaction=first,
        created_at=now,
        updated_at=now,
    )
    audit_record(
        actor=actor,
        action="agreement.created",
        subject=user,
        target=agreement,
        details={"merchant_id": merchant_id, "recurrence": agreement.recurrence_time_spec},
    )
    return agreement


def _sku_items(tx: Transaction) -> list[dict[str, str]]:
    return [{"sku": p["sku"]} for p in tx.products if p.get("sku")]


def agreement_activate(
    *, agreement: Agreement, method: PaymentMethod, actor: Actor, now: dt.datetime
) -> Agreement:
    """The first payment succeeded (called by transaction_pay, in its transaction): ACTIVE, the
    method saved, the schedule fixed, and, when its products carry SKUs, a rights subscription
    whose periods follow the charges.

    Without a trial the first payment paid period 0: charge 1 is due one period later. With a
    trial, nothing was charged: the trial is period 0 and charge 1 is due when it ends.
    """
    spec = parse_repeating(agreement.recurrence_time_spec, now=now)
    period = spec.period
    first_end = now + (parse_duration(agreement.trial_period) if agreement.trial_period else period)
    # Periods ≥ 1 are the charged ones; the repetitions count the page's payment as the first.
    repetitions = None if spec.repetitions is None else spec.repetitions - 1
    agreement.state = Agreement.State.ACTIVE
    agreement.payment_method = method
    agreement.activated_at = now
    agreement.anchor = first_end
    agreement.period = format_duration(period)
    agreement.repetitions = repetitions
    agreement.next_charge_index = 1
    agreement.next_charge_at = first_end if repetitions != 0 else None
    tx = agreement.verification_transaction
    items = _sku_items(tx)
    if items:
        user = agreement.user
        # Period 0 (paid on the page, or the trial) as one-time rights; the subscription
        # generates the rights of the charged periods from first_end on.
        tx.right_ids = [
            right_create(
                user=user,
                grantor_id=agreement.merchant_id,
                grant=RightGrant(
                    sku=item["sku"], interval=Interval(now, first_end), grantor_context=agreement.pk
                ),
                actor=actor,
            ).pk
            for item in items
        ]
        tx.save(update_fields=["right_ids"])
        if repetitions != 0:
            count = "" if repetitions is None else str(repetitions)
            subscription = subscription_create(
                user=user,
                grantor_id=agreement.merchant_id,
                time_spec=f"R{count}/{format_instant(first_end)}/{agreement.period}",
                rights_spec=items,
                actor=actor,
                grantor_context=agreement.pk,
                now=now,
            )
            agreement.subscription = subscription
    agreement.generation += 1
    agreement.updated_at = now
    agreement.save()
    audit_record(
        actor=actor,
        action="agreement.activated",
        subject=agreement.user_id,
        target=agreement,
        details={"next_charge_at": str(agreement.next_charge_at)},
    )
    return agreement


@transaction.atomic
def agreement_stop(
    *, agreement_id: str, actor: Actor, merchant_id: str | None = None, user: User | None = None
) -> Agreement:
    """Stop future charges. The paid period's rights stay; the subscription ends. Stopping a
    stopped agreement is a no-op. *merchant_id* or *user*, when given, must own it.

    Raise AgreementNotFound.
    """
    agreement = Agreement.objects.select_for_update().filter(pk=agreement_id).first()
    if (
        agreement is None
        or (merchant_id is not None and agreement.merchant_id != merchant_id)
        or (user is not None and agreement.user_id != user.pk)
    ):
        raise AgreementNotFound()
    if agreement.state in (Agreement.State.STOPPED, Agreement.State.CANCELLED):
        return agreement
    now = timezone.now()
    was_created = agreement.state == Agreement.State.CREATED
    agreement.state = Agreement.State.CANCELLED if was_created else Agreement.State.STOPPED
    agreement.stopped_at = now
    agreement.next_charge_at = None
    agreement.generation += 1
    agreement.updated_at = now
    agreement.save()
    if agreement.subscription_id is not None:
        subscription = Subscription.objects.get(pk=agreement.subscription_id)
        if subscription.state_at(now) != Subscription.State.EXPIRED:
            subscription_cancel(subscription=subscription, actor=actor, as_grantor=None, now=now)
    audit_record(
        actor=actor, action="agreement.stopped", subject=agreement.user_id, target=agreement
    )
    return agreement
