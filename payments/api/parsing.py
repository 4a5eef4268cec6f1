"""The payment API's request bodies (spec §5.2, §5.3) checked for shape and translated into the
services' inputs. Money, VAT and products go through payments.validators; the services check the
rules (products adding up, time specs, orderId once per merchant)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from payments.errors import FieldInvalid
from payments.models import Agreement
from payments.services import NewAgreement, NewTransaction
from payments.services.transactions import METHODS
from payments.validators import Money, Product, parse_money, parse_vat_rate

# spec §5.2 field limits.
ORDER_ID_MAX = 100
DESCRIPTION_MAX = 1023
REDIRECT_MAX = 145
PRODUCT_TEXT_MAX = 145
MERCHANT_NAME_MAX = 145
CLIENT_CORRELATOR_MAX = 100
TIME_SPEC_MAX = 200
TRIAL_MAX = 40
REFUND_ISSUER_MAX = 145
REFUND_REASON_MAX = 1023
PRODUCTS_MAX = 100
ATTRIBUTES_MAX = 4096  # characters of the attributes object as JSON
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_USER_ID = re.compile(r"[0-9]{19}")
_AGREEMENT_STATES = tuple(Agreement.State.values)


class _Body:
    """A JSON object read field by field; every failure names the field (with its path)."""

    def __init__(self, data: Any, prefix: str = "") -> None:
        if not isinstance(data, dict) or hasattr(data, "getlist"):
            what = f"{prefix.rstrip('.')} must be" if prefix else "The request body must be"
            raise FieldInvalid(f"{what} a JSON object.", field=prefix.rstrip(".") or None)
        self.data = data
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def text(self, key: str, limit: int, *, required: bool = False, multiline: bool = False) -> str:
        value = self.data.get(key)
        name = self.name(key)
        if value is None or value == "":
            if required:
                raise FieldInvalid(f"{name} is required.", field=name)
            return ""
        if not isinstance(value, str):
            raise FieldInvalid(f"{name} must be a string.", field=name)
        if len(value) > limit:
            raise FieldInvalid(f"{name} is longer than {limit} characters.", field=name)
        if "\x00" in value or (not multiline and _CONTROL.search(value)):
            raise FieldInvalid(f"{name} holds control characters.", field=name)
        if required and not value.strip():
            raise FieldInvalid(f"{name} is required.", field=name)
        return value

    def url(self, key: str) -> str:
        value = self.text(key, REDIRECT_MAX, required=True)
        name = self.name(key)
        try:
            parts = urlsplit(value)
            scheme, host = parts.scheme, parts.hostname
        except ValueError:  # e.g. an unclosed IPv6 bracket
            scheme, host = "", None
        # The payer's browser is sent there (a 303 from the payment page): absolute http(s) only,
        # never javascript: or a relative path on our own host.
        if scheme not in ("http", "https") or not host or " " in value:
            raise FieldInvalid(f"{name} must be an absolute http(s) URL.", field=name)
        return value

    def money(self, key: str, *, required: bool = True) -> Money | None:
        if not self.has(key):
            if required:
                raise FieldInvalid(f"{self.name(key)} is required.", field=self.name(key))
            return None
        return parse_money(self.data[key], field=self.name(key))


def user_id(raw: Any, field: str) -> str:
    """A connectId's shape (a user id); whether the user exists is the view's question."""
    if not isinstance(raw, str) or not _USER_ID.fullmatch(raw):
        raise FieldInvalid(f"{field} is not a CONNECT ID.", field=field)
    return raw


@dataclass(frozen=True)
class TransactionRequest:
    new: NewTransaction
    connect_id: str | None


def _products(body: _Body) -> list[Product]:
    raw = body.raw("products")
    name = body.name("products")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise FieldInvalid(f"{name} must be a list.", field=name)
    if len(raw) > PRODUCTS_MAX:
        raise FieldInvalid(f"{name} holds more than {PRODUCTS_MAX} products.", field=name)
    products = []
    for index, item in enumerate(raw):
        product = _Body(item, f"{name}[{index}].")
        sku = product.text("sku", PRODUCT_TEXT_MAX)
        time_spec = product.text("timeSpec", TIME_SPEC_MAX, required=bool(sku))
        vat_key = "vatRate" if product.has("vatRate") else "vatPercentage"
        if not product.has(vat_key):
            raise FieldInvalid(
                f"{product.name('vatRate')} is required.", field=product.name("vatRate")
            )
        price = product.money("price")
        assert price is not None
        products.append(
            Product(
                product_id=product.text("productId", PRODUCT_TEXT_MAX, required=True),
                name=product.text("name", PRODUCT_TEXT_MAX, required=True),
                price=price,
                vat_rate=parse_vat_rate(product.raw(vat_key), field=product.name(vat_key)),
                sku=sku,
                time_spec=time_spec,
            )
        )
    return products


def _methods(body: _Body) -> list[str]:
    raw = body.raw("allowedPaymentMethods")
    name = body.name("allowedPaymentMethods")
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(m, str) and m in METHODS for m in raw):
        raise FieldInvalid(f"{name} is a list of {', '.join(METHODS)}.", field=name)
    return [m for m in METHODS if m in raw]


def _attributes(body: _Body) -> dict[str, Any] | None:
    raw = body.raw("attributes")
    name = body.name("attributes")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise FieldInvalid(f"{name} must be a JSON object.", field=name)
    text = json.dumps(raw)
    if len(text) > ATTRIBUTES_MAX:
        raise FieldInvalid(f"{name} is larger than {ATTRIBUTES_MAX} characters.", field=name)
    if "\\u0000" in text:  # PostgreSQL's jsonb cannot hold a NUL
        raise FieldInvalid(f"{name} holds a NUL character.", field=name)
    return raw


def new_transaction(data: Any, prefix: str = "") -> TransactionRequest:
    """A NewTransaction (spec §5.2); raise FieldInvalid, AmountInvalid or VatRateInvalid."""
    body = _Body(data, prefix)
    order_id = body.text("orderId", ORDER_ID_MAX, required=True)
    description = body.text("purchaseDescription", DESCRIPTION_MAX, required=True, multiline=True)
    amount = body.money("amount")
    assert amount is not None
    # The payment sequence diagram calls it vatPercentage (a fraction all the same).
    vat_key = "vatRate" if body.has("vatRate") else "vatPercentage"
    if not body.has(vat_key):
        raise FieldInvalid(f"{body.name('vatRate')} is required.", field=body.name("vatRate"))
    vat_rate = parse_vat_rate(body.raw(vat_key), field=body.name(vat_key))
    connect_id = body.raw("connectId")
    new = NewTransaction(
        order_id=order_id,
        purchase_description=description,
        amount=amount,
        vat_rate=vat_rate,
        success_redirect=body.url("successRedirect"),
        cancel_redirect=body.url("cancelRedirect"),
        products=_products(body),
        allowed_methods=_methods(body),
        merchant_name=body.text("merchantName", MERCHANT_NAME_MAX),
        client_correlator=body.text("clientCorrelator", CLIENT_CORRELATOR_MAX),
        attributes=_attributes(body),
    )
    return TransactionRequest(
        new=new,
        connect_id=None if connect_id is None else user_id(connect_id, body.name("connectId")),
    )


@dataclass(frozen=True)
class AgreementRequest:
    new: NewAgreement
    connect_id: str | None


def _trial(body: _Body) -> str:
    # spec §5.3 writes the field "trial.period"; a nested {"trial": {"period"}} means the same.
    if body.has("trial.period"):
        return body.text("trial.period", TRIAL_MAX)
    if body.has("trial"):
        return _Body(body.raw("trial"), body.name("trial.")).text("period", TRIAL_MAX)
    return ""


def new_agreement(data: Any) -> AgreementRequest:
    """A new charging agreement (spec §5.3); `confirmationTransaction` is the diagram's name of
    `verificationTransaction`."""
    body = _Body(data)
    key = "verificationTransaction"
    if not body.has(key) and body.has("confirmationTransaction"):
        key = "confirmationTransaction"
    if not body.has(key):
        raise FieldInvalid(f"{key} is required.", field=key)
    connect_id = body.raw("connectId")
    merchant_name = body.text("merchantName", MERCHANT_NAME_MAX, required=True)
    recurrence = body.text("recurrenceTimeSpec", TIME_SPEC_MAX, required=True)
    trial = _trial(body)
    first = new_transaction(body.raw(key), f"{key}.")
    if connect_id is not None:
        connect_id = user_id(connect_id, "connectId")
    if first.connect_id is not None and first.connect_id != (connect_id or first.connect_id):
        raise FieldInvalid(
            f"{key}.connectId differs from the agreement's connectId.", field=f"{key}.connectId"
        )
    return AgreementRequest(
        new=NewAgreement(
            recurrence_time_spec=recurrence,
            verification=first.new,
            trial_period=trial,
            merchant_name=merchant_name,
        ),
        connect_id=connect_id or first.connect_id,
    )


@dataclass(frozen=True)
class RefundRequest:
    issuer: str
    reason: str
    amount: Money | None


def refund(data: Any) -> RefundRequest:
    """`{refundIssuer, refundReason, amount?}` (spec §5.2); no amount: all that is left."""
    body = _Body(data)
    return RefundRequest(
        issuer=body.text("refundIssuer", REFUND_ISSUER_MAX, required=True),
        reason=body.text("refundReason", REFUND_REASON_MAX, required=True, multiline=True),
        amount=body.money("amount", required=False),
    )


def agreement_state(raw: str | None) -> str | None:
    if raw in (None, ""):
        return None
    if raw not in _AGREEMENT_STATES:
        raise FieldInvalid(f"state is one of {', '.join(_AGREEMENT_STATES)}.", field="state")
    return raw
