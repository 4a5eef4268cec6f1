"""CONNECT Payment's JSON objects (spec §5.2 "Transaction response", §5.3 "Agreement object"),
built as plain dicts. Fields we have nothing for are null, as in the swagger's examples."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse

from payments.models import Agreement, Transaction
from payments.validators import Money

PAYMENT_REL = "PAYMENT"


def _time(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def payment_page_url(transaction_id: str) -> str:
    """The absolute URL of the payment page (`payment:page`) of a transaction."""
    return f"{settings.SITE_URL}{reverse('payment:page', args=[transaction_id])}"


def _payment_links(tx: Transaction) -> list[dict[str, str]]:
    # spec §5.2: the PAYMENT link (upper case) while the payer still has something to do.
    if tx.state != Transaction.State.STARTED or tx.type == Transaction.Type.REFUND:
        return []
    return [{"rel": PAYMENT_REL, "href": payment_page_url(tx.pk)}]


def transaction_json(
    tx: Transaction, *, agreement_id: str | None = None, verification_id: str | None = None
) -> dict[str, Any]:
    """The transaction object. *agreement_id*: the agreement it charges or verifies;
    *verification_id*: that agreement's first transaction (for its later charges)."""
    return {
        "id": tx.pk,
        "generation": str(tx.generation),
        "state": tx.state,
        "orderId": tx.order_id,
        "purchaseDescription": tx.purchase_description,
        "amount": str(tx.amount),
        "vatRate": str(tx.vat_rate.normalize()) if tx.vat_rate else "0",
        "vatAmount": str(tx.vat_amount),
        "refundedAmount": str(Money(tx.currency, tx.refunded_minor)),
        "successRedirect": tx.success_redirect or None,
        "cancelRedirect": tx.cancel_redirect or None,
        "merchantName": tx.merchant_name or None,
        "connectId": tx.user_id,
        "creationTime": _time(tx.created_at),
        "startTime": _time(tx.started_at),
        "completedTime": _time(tx.completed_at),
        "links": _payment_links(tx),
        "chargingAgreementId": tx.agreement_id or agreement_id,
        "verificationTransactionId": verification_id,
        "previousTransactionId": tx.previous_transaction_id,
        "chargedPaymentMethod": tx.charged_method or None,
        "paymentInstrument": tx.payment_instrument or None,
        "sourceOfFundsId": None,
        "sourceOfFundsCode": None,
        "returnCode": tx.return_code or None,
        "type": tx.type,
        "vatModel": None,
        "attributes": tx.attributes,
        "refundForTransactionId": tx.refund_for_id,
        "refundIssuer": tx.refund_issuer or None,
        "refundReason": tx.refund_reason or None,
        "markedAsFraud": False,
        "markedAsFraudTime": None,
        "chargeToken": None,
        "clientCorrelator": tx.client_correlator or None,
        "allowedPaymentMethods": list(tx.allowed_methods or []),
        "products": list(tx.products or []),
    }


def agreement_json(agreement: Agreement) -> dict[str, Any]:
    """The agreement object; *agreement* comes with its verification transaction and method
    (payments.selectors select them)."""
    first = agreement.verification_transaction
    method = agreement.payment_method
    links = _payment_links(first) if agreement.state == Agreement.State.CREATED else []
    return {
        "id": agreement.pk,
        "generation": str(agreement.generation),
        "state": agreement.state,
        "links": links,
        "creationTime": _time(agreement.created_at),
        "merchantName": agreement.merchant_name,
        "connectId": agreement.user_id,
        "recurrenceTimeSpec": agreement.recurrence_time_spec,
        "trial": {"period": agreement.trial_period} if agreement.trial_period else None,
        "verificationTransaction": transaction_json(first, agreement_id=agreement.pk),
        "verificationTransactionId": first.pk,
        "paymentMethod": method.kind if method else None,
        "paymentMethodId": method.pk if method else None,
        "paymentInstrument": method.label if method else None,
        "subscriptionId": agreement.subscription_id,
        "activationTime": _time(agreement.activated_at),
        "nextChargeTime": _time(agreement.next_charge_at),
        "stopTime": _time(agreement.stopped_at),
    }
