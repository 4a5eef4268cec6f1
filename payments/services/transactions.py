"""Writes of transactions: create, bind the payer, pay (card, carrier billing, a saved method),
cancel, refund. Rights from SKUs and the BillableEvent are written in the completing transaction."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import Actor, audit_record
from accounts.models import Phone, User
from events.services import event_publish
from payments import providers
from payments.errors import (
    MethodNotAllowed,
    OrderIdTaken,
    PaymentMethodNotFound,
    PhoneNotVerified,
    ProviderDown,
    RefundNotAllowed,
    RefundTooLarge,
    TransactionNotFound,
    TransactionNotPayable,
    WrongPayer,
)
from payments.models import PaymentMethod, Transaction
from payments.providers.base import Card, Charge, ChargeResult, ProviderUnavailable, SavedMethod
from payments.validators import Money, Product, products_check, vat_of
from rights.models import Right
from rights.services.rights import RightGrant, right_create, right_terminate
from rights.validators.timespec import parse_interval

logger = logging.getLogger(__name__)

BILLABLE_EVENT = "com.comoyo.events.payment.BillableEvent"
CARD = "CARD"
CARRIER_BILLING = "CARRIER_BILLING"
METHODS = (CARD, CARRIER_BILLING)


@dataclass(frozen=True)
class NewTransaction:
    """A merchant's NewTransaction (spec §5.2), already checked for shape by the edge."""

    order_id: str
    purchase_description: str
    amount: Money
    vat_rate: Decimal
    success_redirect: str
    cancel_redirect: str
    products: list[Product] = field(default_factory=list)
    allowed_methods: list[str] = field(default_factory=list)
    merchant_name: str = ""
    client_correlator: str = ""
    attributes: dict[str, Any] | None = None


@dataclass(frozen=True)
class PayChoice:
    """What the payer picked on the payment page."""

    kind: Literal["CARD", "CARRIER_BILLING", "SAVED"]
    card: Card | None = None
    phone_id: str = ""
    method_id: str = ""
    # Keep the card for later purchases (always kept for an agreement).
    save: bool = False


@dataclass(frozen=True)
class PayOutcome:
    transaction: Transaction
    # "" when paid; else the decline or failure code, and a message the payer may see.
    code: str = ""
    message: str = ""

    @property
    def paid(self) -> bool:
        return not self.code


def _lock(transaction_id: str) -> Transaction:
    locked = Transaction.objects.select_for_update().filter(pk=transaction_id).first()
    if locked is None:
        raise TransactionNotFound()
    return locked


def _save(tx: Transaction, now: dt.datetime, fields: list[str]) -> None:
    tx.generation += 1
    tx.updated_at = now
    tx.save(update_fields=[*fields, "generation", "updated_at"])


def check_products_rights(products: list[Product]) -> None:
    """A product with a SKU grants a right, so its timeSpec must be an interval we can grant."""
    for product in products:
        if product.sku:
            parse_interval(product.time_spec)  # raises TimeSpecInvalid


@transaction.atomic
def transaction_create(
    *,
    merchant_id: str,
    merchant_name: str,
    new: NewTransaction,
    user: User | None,
    actor: Actor,
    type: str = Transaction.Type.PURCHASE,
) -> Transaction:
    """Prepare a transaction for *merchant_id*, STARTED, to be paid on the payment page.

    Raise ProductsInvalid/CurrencyMismatch when products[] does not add up, TimeSpecInvalid for a
    SKU's timeSpec, OrderIdTaken when the merchant used the orderId before.
    """
    products_check(products=new.products, amount=new.amount, vat_rate=new.vat_rate)
    check_products_rights(new.products)
    now = timezone.now()
    tx = Transaction(
        merchant_id=merchant_id,
        merchant_name=new.merchant_name or merchant_name,
        order_id=new.order_id,
        client_correlator=new.client_correlator,
        type=type,
        user=user,
        purchase_description=new.purchase_description,
        currency=new.amount.currency,
        amount_minor=new.amount.minor,
        vat_rate=new.vat_rate,
        vat_minor=vat_of(new.amount, new.vat_rate).minor,
        products=[p.as_json() for p in new.products],
        allowed_methods=list(new.allowed_methods) or list(METHODS),
        success_redirect=new.success_redirect,
        cancel_redirect=new.cancel_redirect,
        attributes=new.attributes,
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            tx.save(force_insert=True)
    except IntegrityError as exc:
        if "payments_order_once_per_merchant" in str(exc):
            raise OrderIdTaken(field="orderId") from exc
        raise
    audit_record(
        actor=actor,
        action="transaction.created",
        subject=user,
        target=tx,
        details={"merchant_id": merchant_id, "amount": str(tx.amount), "order_id": tx.order_id},
    )
    return tx


@transaction.atomic
def transaction_bind_payer(*, transaction_id: str, user: User, actor: Actor) -> Transaction:
    """Make *user* the payer of a transaction created without a `connectId` (the first signed-in
    user who opens its payment page). Raise WrongPayer when it is another user's."""
    tx = _lock(transaction_id)
    if tx.user_id is None:
        tx.user = user
        _save(tx, timezone.now(), ["user"])
        audit_record(actor=actor, action="transaction.payer_bound", subject=user, target=tx)
    elif tx.user_id != user.pk:
        raise WrongPayer()
    return tx


def _charge_of(tx: Transaction, user: User, customer_ref: str = "") -> Charge:
    # The attempt number makes a new key for a new try after a decline, and the same key when a
    # crashed attempt is retried (its increment rolled back with it): one charge per attempt.
    return Charge(
        idempotency_key=f"{tx.id}:{tx.attempts}",
        amount_minor=tx.amount_minor,
        currency=tx.currency,
        description=tx.purchase_description[:200],
        user_id=user.pk,
        customer_ref=customer_ref,
        metadata={"transaction_id": tx.id, "order_id": tx.order_id, "merchant": tx.merchant_id},
    )


def _customer_ref(user: User, provider: str) -> str:
    """The provider's customer of *user* from an earlier saved card, so that a user is one
    customer at Stripe."""
    known = (
        PaymentMethod.objects.filter(user=user, provider=provider)
        .exclude(customer_ref="")
        .values_list("customer_ref", flat=True)
        .first()
    )
    return known or ""


def _keep_method(user: User, kind: str, saved: SavedMethod) -> PaymentMethod:
    method, _ = PaymentMethod.objects.get_or_create(
        provider=saved.provider,
        method_ref=saved.method_ref,
        defaults={
            "user": user,
            "kind": kind,
            "customer_ref": saved.customer_ref,
            "brand": saved.brand,
            "last4": saved.last4,
            "exp_month": saved.exp_month,
            "exp_year": saved.exp_year,
        },
    )
    return method


def _grant_rights(tx: Transaction, user: User, actor: Actor, now: dt.datetime) -> list[str]:
    """spec §5.2: a product with a SKU grants the payer a right on success, through the rights
    services and in this transaction (so a payment never completes without its rights)."""
    ids = []
    for product in tx.products:
        if product.get("sku"):
            right = right_create(
                user=user,
                grantor_id=tx.merchant_id,
                grant=RightGrant(
                    sku=product["sku"],
                    interval=parse_interval(product["timeSpec"], now=now),
                    grantor_context=tx.order_id,
                ),
                actor=actor,
            )
            ids.append(right.pk)
    return ids


def charge_saved_method(*, charge: Charge, method: PaymentMethod) -> ChargeResult:
    """Charge a saved method at its provider (a card off-session, or the phone bill of the
    number it holds). The result shows the saved method, whatever the provider echoes.

    Raise ProviderUnavailable.
    """
    saved = SavedMethod(
        provider=method.provider,
        method_ref=method.method_ref,
        customer_ref=method.customer_ref,
        brand=method.brand,
        last4=method.last4,
    )
    if method.kind == CARRIER_BILLING:
        result = providers.carrier_billing().charge_phone(
            charge=charge, msisdn=method.method_ref.removeprefix("msisdn:")
        )
    else:
        result = providers.card_provider().charge_saved(charge=charge, method=saved)
    return ChargeResult(
        status=result.status,
        reference=result.reference,
        method=saved,
        code=result.code,
        message=result.message,
    )


def billable_event(tx: Transaction) -> None:
    """The BillableEvent of a completed charge, to the merchant's Event Queues and webhooks."""
    assert tx.user_id is not None
    event_publish(
        name=BILLABLE_EVENT,
        user_id=tx.user_id,
        owners=[tx.merchant_id],
        body={
            "transactionId": tx.id,
            "orderId": tx.order_id,
            "type": tx.type,
            "amount": str(tx.amount),
            "vatRate": str(tx.vat_rate),
            "vatAmount": str(tx.vat_amount),
            "merchantName": tx.merchant_name,
            "chargingAgreementId": tx.agreement_id,
            "skus": [p["sku"] for p in tx.products if p.get("sku")],
        },
    )


def transaction_complete(
    *,
    tx: Transaction,
    user: User,
    result: ChargeResult,
    kind: str,
    method: PaymentMethod | None,
    provider: str,
    actor: Actor,
    now: dt.datetime,
    for_agreement: bool = False,
) -> None:
    """Record a successful charge on a locked transaction: COMPLETED, the instrument, its rights,
    the BillableEvent and an audit row."""
    tx.state = Transaction.State.COMPLETED
    tx.completed_at = now
    tx.charged_method = kind
    tx.provider = provider
    tx.provider_reference = result.reference
    tx.return_code = ""
    tx.payment_method = method
    if result.method is not None:
        tx.payment_instrument = (
            f"{result.method.brand} ****{result.method.last4}"
            if result.method.last4
            else result.method.brand
        )
    if not for_agreement:
        tx.right_ids = _grant_rights(tx, user, actor, now)
    _save(
        tx,
        now,
        [
            "user",
            "state",
            "completed_at",
            "charged_method",
            "provider",
            "provider_reference",
            "return_code",
            "payment_method",
            "payment_instrument",
            "right_ids",
            "attempts",
            "started_at",
        ],
    )
    audit_record(
        actor=actor,
        action="transaction.completed",
        subject=user,
        target=tx,
        details={"amount": str(tx.amount), "method": kind, "provider": provider},
    )
    billable_event(tx)


@transaction.atomic
def transaction_pay(
    *, transaction_id: str, user: User, choice: PayChoice, actor: Actor
) -> PayOutcome:
    """Charge a STARTED transaction as *user* chose, once.

    The transaction row is locked for the whole attempt, so a double submit waits and then finds
    it COMPLETED (and is answered as paid, without a second charge). A decline leaves it STARTED
    with its `returnCode` so the payer can try another method. The first payment of an agreement
    also saves the method and activates the agreement.

    Raise TransactionNotFound, WrongPayer, TransactionNotPayable, MethodNotAllowed,
    PhoneNotVerified, PaymentMethodNotFound, ProviderDown (nothing recorded; safe to retry).
    """
    from payments.services.agreements import agreement_activate, agreement_of_verification

    tx = _lock(transaction_id)
    if tx.user_id is not None and tx.user_id != user.pk:
        raise WrongPayer()
    if tx.state == Transaction.State.COMPLETED:
        return PayOutcome(tx)  # a double submit: paid once, answered as paid
    if tx.state != Transaction.State.STARTED:
        raise TransactionNotPayable()
    allowed = tx.allowed_methods or list(METHODS)
    wanted = CARD if choice.kind == "SAVED" else choice.kind
    saved_method: PaymentMethod | None = None
    if choice.kind == "SAVED":
        saved_method = PaymentMethod.objects.filter(
            pk=choice.method_id, user=user, removed_at__isnull=True
        ).first()
        if saved_method is None:
            raise PaymentMethodNotFound(field="method")
        wanted = saved_method.kind
    if wanted not in allowed:
        raise MethodNotAllowed(field="method")
    agreement = agreement_of_verification(tx)
    now = timezone.now()
    tx.user = user
    tx.attempts += 1
    tx.started_at = tx.started_at or now
    keep = choice.save or agreement is not None
    trial = agreement is not None and bool(agreement.trial_period)
    try:
        if choice.kind == "CARD":
            assert choice.card is not None
            card_provider = providers.card_provider()
            charge = _charge_of(tx, user, _customer_ref(user, card_provider.name))
            if trial:
                result = card_provider.save_card(charge=charge, card=choice.card)
            else:
                result = card_provider.charge_card(charge=charge, card=choice.card, save=keep)
            provider = card_provider.name
        elif choice.kind == "CARRIER_BILLING":
            phone = Phone.objects.filter(pk=choice.phone_id, user=user, verified=True).first()
            if phone is None:
                raise PhoneNotVerified(field="phone")
            billing = providers.carrier_billing()
            if trial:
                result = ChargeResult(
                    status="succeeded",
                    method=SavedMethod(
                        provider=billing.name,
                        method_ref=f"msisdn:{phone.number}",
                        brand="carrier",
                        last4=phone.number[-4:],
                    ),
                )
            else:
                result = billing.charge_phone(charge=_charge_of(tx, user), msisdn=phone.number)
            provider = billing.name
        else:
            assert saved_method is not None
            provider = saved_method.provider
            result = charge_saved_method(
                charge=_charge_of(tx, user, saved_method.customer_ref), method=saved_method
            )
    except ProviderUnavailable as exc:
        logger.warning("Payment provider unavailable for %s: %s", tx.id, type(exc).__name__)
        raise ProviderDown() from exc
    if not result.succeeded:
        tx.return_code = result.code or result.status
        _save(tx, now, ["user", "attempts", "started_at", "return_code"])
        audit_record(
            actor=actor,
            action="transaction.declined",
            subject=user,
            target=tx,
            details={"code": tx.return_code, "method": wanted},
        )
        return PayOutcome(tx, code=tx.return_code, message=result.message)
    method = saved_method
    if method is None and keep and result.method is not None:
        method = _keep_method(user, wanted, result.method)
    transaction_complete(
        tx=tx,
        user=user,
        result=result,
        kind=wanted,
        method=method,
        provider=provider,
        actor=actor,
        now=now,
        # An agreement's first payment: its rights follow the agreement's periods instead.
        for_agreement=agreement is not None,
    )
    if agreement is not None:
        assert method is not None
        agreement_activate(agreement=agreement, method=method, actor=actor, now=now)
    return PayOutcome(tx)


@transaction.atomic
def transaction_cancel(*, transaction_id: str, user: User | None, actor: Actor) -> Transaction:
    """The payer cancelled on the payment page: STARTED → CANCELLED (an agreement waiting for this
    first payment is cancelled too). Cancelling again is a no-op; a paid one cannot be cancelled.

    Raise TransactionNotFound, WrongPayer, TransactionNotPayable.
    """
    from payments.services.agreements import agreement_of_verification

    tx = _lock(transaction_id)
    if user is not None and tx.user_id not in (None, user.pk):
        raise WrongPayer()
    if tx.state == Transaction.State.CANCELLED:
        return tx
    if tx.state != Transaction.State.STARTED:
        raise TransactionNotPayable()
    now = timezone.now()
    tx.state = Transaction.State.CANCELLED
    _save(tx, now, ["state"])
    audit_record(actor=actor, action="transaction.cancelled", subject=tx.user_id, target=tx)
    agreement = agreement_of_verification(tx)
    if agreement is not None:
        agreement.state = agreement.State.CANCELLED
        agreement.generation += 1
        agreement.updated_at = now
        agreement.save(update_fields=["state", "generation", "updated_at"])
    return tx


@transaction.atomic
def transaction_refund(
    *,
    transaction_id: str,
    merchant_id: str | None,
    actor: Actor,
    amount: Money | None = None,
    issuer: str = "",
    reason: str = "",
) -> Transaction:
    """Give back *amount* (all that is left when None) of a completed purchase or agreement
    charge, at its provider, and record it as a REFUND transaction. A purchase refunded in full
    becomes REFUNDED and the rights its SKUs granted are terminated.

    *merchant_id* None: an actor above merchants (the admin); otherwise another merchant's
    transaction is not found. Raise TransactionNotFound, RefundNotAllowed, RefundTooLarge,
    CurrencyMismatch, ProviderDown (nothing recorded; safe to retry).
    """
    tx = _lock(transaction_id)
    if merchant_id is not None and tx.merchant_id != merchant_id:
        raise TransactionNotFound()
    if tx.type == Transaction.Type.REFUND or tx.state != Transaction.State.COMPLETED:
        raise RefundNotAllowed()
    if not tx.provider_reference:
        raise RefundNotAllowed("Nothing was charged on this transaction.")
    give_back = amount if amount is not None else tx.refundable
    if give_back.currency != tx.currency:
        raise RefundTooLarge("A refund is in the currency of its transaction.", field="amount")
    if give_back.minor <= 0 or give_back.minor > tx.refundable.minor:
        raise RefundTooLarge(field="amount")
    number = tx.refunds.count() + 1
    key = f"{tx.id}:refund:{number}"
    try:
        if tx.charged_method == CARRIER_BILLING:
            result = providers.carrier_billing().refund(
                reference=tx.provider_reference,
                amount_minor=give_back.minor,
                currency=tx.currency,
                idempotency_key=key,
            )
        else:
            result = providers.card_provider().refund(
                reference=tx.provider_reference,
                amount_minor=give_back.minor,
                currency=tx.currency,
                idempotency_key=key,
            )
    except ProviderUnavailable as exc:
        raise ProviderDown() from exc
    if result.status != "succeeded":
        raise RefundNotAllowed(result.message or "The provider refused the refund.")
    now = timezone.now()
    refund = Transaction.objects.create(
        merchant_id=tx.merchant_id,
        merchant_name=tx.merchant_name,
        order_id=tx.order_id,
        type=Transaction.Type.REFUND,
        state=Transaction.State.COMPLETED,
        user_id=tx.user_id,
        purchase_description=tx.purchase_description,
        currency=tx.currency,
        amount_minor=give_back.minor,
        vat_rate=tx.vat_rate,
        vat_minor=vat_of(give_back, tx.vat_rate).minor,
        charged_method=tx.charged_method,
        payment_instrument=tx.payment_instrument,
        provider=tx.provider,
        provider_reference=result.reference,
        refund_for=tx,
        refund_issuer=issuer[:145],
        refund_reason=reason[:1023],
        completed_at=now,
        created_at=now,
        updated_at=now,
    )
    tx.refunded_minor += give_back.minor
    fields = ["refunded_minor"]
    if tx.refunded_minor == tx.amount_minor:
        tx.state = Transaction.State.REFUNDED
        fields.append("state")
        for right in Right.objects.filter(pk__in=tx.right_ids, deleted_at__isnull=True):
            right_terminate(right=right, actor=actor, as_grantor=None, now=now)
    _save(tx, now, fields)
    audit_record(
        actor=actor,
        action="transaction.refunded",
        subject=tx.user_id,
        target=tx,
        details={"amount": str(give_back), "refund_id": refund.pk, "state": tx.state},
    )
    return refund
