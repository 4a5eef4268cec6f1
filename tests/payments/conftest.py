"""Fixtures of the payment tests: merchants' API credentials, transactions ready to pay."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient

from payments import providers
from payments.models import Transaction
from payments.providers.base import Card
from payments.services import NewTransaction, transaction_create
from payments.validators import Money, Product, parse_money
from tests.factories import TEST_ACTOR, ApiCredentialFactory
from tests.payments.stripe_server import localstripe, stripe_provider  # noqa: F401

MERCHANT = "SHOP"
OTHER_MERCHANT = "OTHERSHOP"
GOOD_CARD = Card(number="4242424242424242", exp_month=12, exp_year=2040, cvc="123")
DECLINED_CARD = Card(number="4000000000000002", exp_month=12, exp_year=2040, cvc="123")
FAILING_CARD = Card(number="4000000000000119", exp_month=12, exp_year=2040, cvc="123")
MERCHANT_OPERATIONS = [
    "transactions:read",
    "transactions:write",
    "agreements:read",
    "agreements:write",
]


def basic_header(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


@pytest.fixture(autouse=True)
def _builtin_providers(settings):
    settings.PAYMENT_PROVIDER = "payments.providers.test.TestCardProvider"
    settings.PAYMENT_CARRIER_BILLING = "payments.providers.test.TestCarrierBilling"
    providers.reset()
    yield
    providers.reset()


@pytest.fixture
def merchant_client(db: None):
    """merchant_client("SHOP", "transactions:read", ...): a test client sending an API credential
    of that merchant (its grantor id) with these operations (default: all four payment ones)."""

    def make(merchant_id: str = MERCHANT, *operations: str) -> HttpClient:
        credential = ApiCredentialFactory(
            grantor_id=merchant_id, operations=list(operations or MERCHANT_OPERATIONS)
        )
        http = HttpClient(HTTP_AUTHORIZATION=basic_header(credential.username, credential.secret))
        http.credential = credential  # type: ignore[attr-defined]
        return http

    return make


def new_transaction(
    order_id: str = "order-1",
    amount: str = "NOK 100.00",
    vat_rate: str = "0.25",
    products: list[Product] | None = None,
    **extra: Any,
) -> NewTransaction:
    return NewTransaction(
        order_id=order_id,
        purchase_description="A month of news",
        amount=parse_money(amount),
        vat_rate=Decimal(vat_rate),
        success_redirect="https://shop.example/ok",
        cancel_redirect="https://shop.example/cancel",
        products=products or [],
        **extra,
    )


def sku_product(sku: str = "NEWS-MONTH", price: str = "NOK 100.00", spec: str = "P30D") -> Product:
    return Product(
        product_id="p1",
        name="News, a month",
        price=parse_money(price),
        vat_rate=Decimal("0.25"),
        sku=sku,
        time_spec=spec,
    )


def prepared(merchant: str = MERCHANT, user=None, **kwargs: Any) -> Transaction:
    """A STARTED transaction of *merchant*, as POST /transactions leaves it."""
    return transaction_create(
        merchant_id=merchant,
        merchant_name="Test Shop",
        new=new_transaction(**kwargs),
        user=user,
        actor=TEST_ACTOR,
    )


def nok(text: str) -> Money:
    return parse_money(f"NOK {text}")
