"""The payment page in a real browser (Debian's Chromium): a shop's `POST /transactions` (the real
API, a merchant credential), its PAYMENT link, the sign-in pages, the payment, successRedirect and
`GET /transactions/{id}` = COMPLETED, with the built-in test provider and with the Stripe
provider against localstripe; a declined card, a cancel, carrier billing; axe-core, the page's
language and direction, and no sideways scrolling at 1280 and 360 px (with SCREENSHOTS_DIR set,
screenshots `payment-*-<lang>-<width>.png`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import User
from payments import providers
from payments.models import Agreement, Transaction
from payments.services import NewAgreement, NewTransaction, agreement_create, transaction_create
from rights.models import Right
from tests.browser.conftest import RelyingParty, sign_in
from tests.browser.test_pages import LANGUAGES, Pages
from tests.factories import TEST_ACTOR, ApiCredentialFactory, UserFactory
from tests.payments.conftest import MERCHANT_OPERATIONS, new_transaction, sku_product
from tests.payments.stripe_server import localstripe, stripe_provider  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"


@pytest.fixture(autouse=True)
def _builtin_providers(settings) -> Iterator[None]:
    settings.PAYMENT_PROVIDER = "payments.providers.test.TestCardProvider"
    settings.PAYMENT_CARRIER_BILLING = "payments.providers.test.TestCarrierBilling"
    providers.reset()
    yield
    providers.reset()


@pytest.fixture
def kari(transactional_db: None) -> User:
    return UserFactory(email="kari@example.com", phone="4798765432", realname="Kari Nordmann")


def shop_new(live: str, **extra) -> NewTransaction:
    """A NewTransaction whose redirects come back to this live server (so that the browser can
    follow them)."""
    return replace(
        new_transaction(**extra),
        success_redirect=f"{live}/?paid=1",
        cancel_redirect=f"{live}/?cancelled=1",
    )


def shop_transaction(live: str, user: User | None = None, **extra) -> Transaction:
    """A transaction as the shop prepares it (POST /transactions)."""
    return transaction_create(
        merchant_id="SHOP",
        merchant_name="Test Shop",
        new=shop_new(live, **extra),
        user=user,
        actor=TEST_ACTOR,
    )


@dataclass
class Shop:
    """A merchant calling the real payment API over HTTP with its API credential."""

    live: str
    auth: tuple[str, str]

    def create(self, **changes: Any) -> dict[str, Any]:
        """POST /transactions (spec §5.2); the answer, with its PAYMENT link."""
        body = {
            "orderId": "order-1",
            "purchaseDescription": "A month of news",
            "amount": "NOK 100.00",
            "vatRate": "0.25",
            "successRedirect": f"{self.live}/?paid=1",
            "cancelRedirect": f"{self.live}/?cancelled=1",
            **changes,
        }
        response = requests.post(f"{self.live}/transactions", json=body, auth=self.auth, timeout=10)
        assert response.status_code == 201, response.text
        return response.json()

    def read(self, tx_id: str) -> dict[str, Any]:
        response = requests.get(f"{self.live}/transactions/{tx_id}", auth=self.auth, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def shop(live: str, transactional_db: None) -> Shop:
    credential = ApiCredentialFactory(grantor_id="SHOP", operations=MERCHANT_OPERATIONS)
    return Shop(live, (credential.username, credential.secret))  # type: ignore[attr-defined]


def payment_link(created: dict[str, Any]) -> str:
    (link,) = [link["href"] for link in created["links"] if link["rel"] == "PAYMENT"]
    return link


def open_payment(page: Page, live: str, rp_site: RelyingParty, tx: Transaction | str) -> None:
    """The shop links to the PAYMENT link (or the page of *tx*); signed out, the sign-in pages
    come first, then the payment page."""
    link = tx if isinstance(tx, str) else f"{live}/gui/payment/{tx.pk}"
    rp_site.send(page, link)
    sign_in(page, "kari@example.com")
    page.wait_for_url(link)


def fill_card(page: Page, number: str = GOOD) -> None:
    page.locator("#method-card").check()
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YYYY)").fill("2040")
    page.get_by_label("Security code (CVC)").fill("123")


def pay(page: Page) -> None:
    page.locator("button.primary[form=pay-form]").click()


def test_from_post_transactions_through_the_page_to_success_redirect(
    page: Page, live: str, rp_site: RelyingParty, kari: User, shop: Shop
):
    sku = {"productId": "p1", "name": "News, a month", "price": "NOK 100.00", "vatRate": "0.25"}
    created = shop.create(products=[{**sku, "sku": "NEWS-MONTH", "timeSpec": "P30D"}])
    link = payment_link(created)
    assert link == f"{live}/gui/payment/{created['id']}"
    open_payment(page, live, rp_site, link)
    expect(page.locator("h1")).to_have_text("A month of news")
    expect(page.locator(".merchant")).to_contain_text("Payment to")
    expect(page.locator(".summary")).to_contain_text("NOK 100.00")
    expect(page.locator(".summary")).to_contain_text("NOK 20.00")
    expect(page.locator(".products")).to_contain_text("News, a month")
    fill_card(page)
    pay(page)
    page.wait_for_url(f"{live}/?paid=1")
    read = shop.read(created["id"])
    assert (read["state"], read["connectId"]) == ("COMPLETED", kari.pk)
    assert Right.objects.get(user=kari, sku="NEWS-MONTH").state_at(timezone.now()) == "ACTIVE"
    # Back on the page: it says it is paid, links back, and charges nothing more.
    page.goto(link)
    expect(page.locator("#back")).to_have_attribute("href", f"{live}/?paid=1")


@pytest.mark.usefixtures("stripe_provider")
def test_paying_with_stripe_against_localstripe(
    page: Page, live: str, rp_site: RelyingParty, kari: User, shop: Shop
):
    created = shop.create()
    open_payment(page, live, rp_site, payment_link(created))
    fill_card(page)
    pay(page)
    page.wait_for_url(f"{live}/?paid=1")
    assert shop.read(created["id"])["state"] == "COMPLETED"
    tx = Transaction.objects.get(pk=created["id"])
    assert (tx.provider, providers.card_provider().name) == ("stripe", "stripe")
    assert tx.provider_reference.startswith("pi_")
    assert tx.payment_instrument.endswith("****4242")


def test_a_declined_card_stays_on_the_page_then_another_pays(
    page: Page, live: str, rp_site: RelyingParty, kari: User
):
    tx = shop_transaction(live)
    open_payment(page, live, rp_site, tx)
    fill_card(page, DECLINED)
    pay(page)
    expect(page.locator("#error-summary")).to_contain_text("The card was declined.")
    # No card digits typed back in; the month and year stay.
    expect(page.get_by_label("Card number")).to_have_value("")
    expect(page.get_by_label("Security code (CVC)")).to_have_value("")
    tx.refresh_from_db()
    assert tx.state == "STARTED"
    fill_card(page)
    pay(page)
    page.wait_for_url(f"{live}/?paid=1")
    tx.refresh_from_db()
    assert tx.state == "COMPLETED"


def test_an_invalid_card_number_is_shown_inline(
    page: Page, live: str, rp_site: RelyingParty, kari: User
):
    tx = shop_transaction(live)
    open_payment(page, live, rp_site, tx)
    fill_card(page, "4242 4242 4242 4241")
    pay(page)
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Card number")).to_be_focused()
    expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    tx.refresh_from_db()
    assert tx.attempts == 0


def test_cancel_goes_back_to_cancel_redirect(
    page: Page, live: str, rp_site: RelyingParty, kari: User, shop: Shop
):
    created = shop.create()
    open_payment(page, live, rp_site, payment_link(created))
    page.locator("#cancel").click()
    page.wait_for_url(f"{live}/?cancelled=1")
    assert shop.read(created["id"])["state"] == "CANCELLED"


def test_carrier_billing_to_the_verified_phone(
    page: Page, live: str, rp_site: RelyingParty, kari: User
):
    tx = shop_transaction(live)
    open_payment(page, live, rp_site, tx)
    page.get_by_label(re.compile(r"^Phone bill of \+47 98 76 54 32$")).check()
    pay(page)
    page.wait_for_url(f"{live}/?paid=1")
    tx.refresh_from_db()
    assert (tx.state, tx.charged_method) == ("COMPLETED", "CARRIER_BILLING")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_payment_pages_pass_axe_at_both_widths(
    context: BrowserContext,
    page: Page,
    live: str,
    rp_site: RelyingParty,
    kari: User,
    language: str,
):
    context.add_cookies([{"name": "connect_language", "value": language, "url": live}])
    pages = Pages(page, language)
    agreement = agreement_create(
        merchant_id="SHOP",
        merchant_name="Nordic News",
        user=kari,
        new=NewAgreement(
            recurrence_time_spec="R//P1M",
            trial_period="P14D",
            verification=shop_new(live, order_id="ag-1", products=[sku_product()]),
        ),
        actor=TEST_ACTOR,
    )
    first = agreement.verification_transaction
    rp_site.send(page, f"{live}/gui/payment/{first.pk}")
    page.locator("#id_identifier").fill("kari@example.com")
    page.locator("main form button.primary").first.click()
    page.locator("#id_password").fill("correct horse battery")
    page.locator("main form button.primary").first.click()
    page.wait_for_url(f"{live}/gui/payment/{first.pk}")
    pages.check("payment-agreement")

    tx = shop_transaction(live, kari, order_id="order-2", products=[sku_product()])
    page.goto(f"/gui/payment/{tx.pk}")
    pages.check("payment")
    page.locator("#method-card").check()
    page.locator("#id_number").fill("1234")
    page.locator("#id_cvc").fill("1")
    pay(page)
    expect(page.locator("#error-summary")).to_be_visible()
    pages.check("payment-error")
    page.locator("#method-card").check()
    page.locator("#id_number").fill(DECLINED)
    page.locator("#id_exp_month").fill("12")
    page.locator("#id_exp_year").fill("2040")
    page.locator("#id_cvc").fill("123")
    pay(page)
    expect(page.locator("#error-summary p[data-code=card_declined]")).to_be_visible()
    pages.check("payment-declined")
    page.locator("#cancel").click()
    page.wait_for_url(f"{live}/?cancelled=1")
    page.goto(f"/gui/payment/{tx.pk}")
    pages.check("payment-cancelled")

    other = UserFactory(email="other@example.com", phone="4798760000")
    theirs = shop_transaction(live, other, order_id="order-3")
    response = page.goto(f"/gui/payment/{theirs.pk}")
    assert response is not None and response.status == 403
    pages.check("payment-not-yours")
    assert Agreement.objects.get(pk=agreement.pk).state == "CREATED"
    assert urlsplit(page.url).path == f"/gui/payment/{theirs.pk}"
    pages.assert_clean()
