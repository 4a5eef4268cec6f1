"""The payment page with Django's test client: signing in and back, the payer check, paying by
card, carrier billing and a saved method, declines, cancel, double submits, SKUs, agreements."""

from __future__ import annotations

import re
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from django.views.debug import ExceptionReporter

from accounts.models import AuditEvent, Phone, User
from accounts.services.selfservice import PORTAL_CLIENT_ID
from payments.checkout.views import every
from payments.models import Agreement, PaymentMethod, Transaction
from payments.providers.base import ProviderUnavailable
from payments.providers.test import TestCardProvider
from payments.services import (
    NewAgreement,
    agreement_create,
    transaction_cancel,
    transaction_refund,
)
from rights.models import Right
from tests.factories import TEST_ACTOR
from tests.mypage.conftest import enter_portal
from tests.payments.conftest import new_transaction, prepared, sku_product
from tests.signin import password_sign_in

pytestmark = pytest.mark.django_db

GOOD = {"number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": "2040", "cvc": "123"}
DECLINED = {**GOOD, "number": "4000 0000 0000 0002"}


def url(tx: Transaction) -> str:
    return f"/gui/payment/{tx.pk}"


def signed_in(user: User) -> HttpClient:
    """A browser signed in to CONNECT ID as *user* (through the portal's sign-in)."""
    http = HttpClient()
    address = user.emails.filter(verified=True).first()
    assert address is not None
    assert enter_portal(http, address.address).status_code == 200
    return http


@pytest.fixture
def alice_browser(alice: User) -> HttpClient:
    return signed_in(alice)


@pytest.fixture
def bob_browser(bob: User) -> HttpClient:
    return signed_in(bob)


def pay(http: HttpClient, tx: Transaction, **fields: str):
    return http.post(url(tx), {"method": "card", **GOOD, **fields})


def refreshed(tx: Transaction) -> Transaction:
    return Transaction.objects.get(pk=tx.pk)


def charges() -> int:
    return AuditEvent.objects.filter(action="transaction.completed").count()


# --- Signing in --------------------------------------------------------------------------------


def test_anonymous_is_sent_through_sign_in_and_comes_back_to_the_payment(alice, anon):
    tx = prepared()
    first = anon.get(url(tx))
    assert first.status_code == 302
    query = parse_qs(urlsplit(first["Location"]).query)
    assert first["Location"].startswith("/oauth/authorize?")
    assert query["client_id"] == [PORTAL_CLIENT_ID]
    assert query["redirect_uri"][0].endswith("/gui/mypage/callback")
    login = anon.get(first["Location"])["Location"]
    assert login.startswith("/gui/signin?next=")
    next_url = parse_qs(urlsplit(login).query)["next"][0]
    answer = password_sign_in(anon, "alice@example.com", "correct horse battery", next_url=next_url)
    assert answer.status_code == 302
    final = anon.get(answer["Location"], follow=True)
    assert final.redirect_chain[-1][0] == url(tx)
    assert final.status_code == 200
    assert "A month of news" in final.content.decode()
    assert refreshed(tx).user_id == alice.pk  # the first signed-in user to open it pays it


def test_an_anonymous_post_charges_nothing_and_goes_to_sign_in(alice, anon):
    tx = prepared()
    response = pay(anon, tx)
    assert response.status_code == 302 and response["Location"].startswith("/oauth/authorize?")
    assert refreshed(tx).state == "STARTED" and charges() == 0


def test_the_sign_in_never_returns_outside_the_portal_and_the_payment_page():
    from mypage.auth import _portal_path

    assert _portal_path("/gui/payment/tx_1") == "/gui/payment/tx_1"
    assert _portal_path("/gui/mypage/sessions") == "/gui/mypage/sessions"
    for elsewhere in ("/oauth/token", "/gui/payment//evil.example", "https://evil.example/"):
        assert _portal_path(elsewhere) == "/gui/mypage/overview"


# --- What the page shows -----------------------------------------------------------------------


def test_the_page_shows_merchant_description_amount_vat_and_products(alice, alice_browser):
    tx = prepared(user=alice, products=[sku_product()])
    response = alice_browser.get(url(tx))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Payment to Test Shop" in body
    assert re.search(r"<h1>A month of news</h1>", body)
    assert "NOK 100.00" in body and "NOK 20.00" in body and "VAT (25&nbsp;%)" in body
    assert "News, a month" in body
    assert re.search(r"nonce-[\w+/=-]+", response["Content-Security-Policy"])
    assert "<script" not in body


def test_the_card_inputs_have_labels_and_autocomplete(alice, alice_browser):
    body = alice_browser.get(url(prepared(user=alice))).content.decode()
    for name, autocomplete in [
        ("number", "cc-number"),
        ("exp_month", "cc-exp-month"),
        ("exp_year", "cc-exp-year"),
        ("cvc", "cc-csc"),
    ]:
        tag = re.search(rf'<input type="text" name="{name}"[^>]*>', body, re.S)
        assert tag, name
        assert f'autocomplete="{autocomplete}"' in tag.group(0)
        assert 'inputmode="numeric"' in tag.group(0)
        assert f'<label for="id_{name}">' in body
    assert "<legend>How do you want to pay?</legend>" in body
    assert 'name="save"' in body  # a single purchase may keep the card
    assert 'name="csrfmiddlewaretoken"' in body


def test_carrier_billing_is_offered_to_each_verified_phone_only(alice, alice_browser):
    Phone.objects.create(user=alice, number="4791119999", verified=False, priority=5)
    body = alice_browser.get(url(prepared(user=alice))).content.decode()
    verified = Phone.objects.get(user=alice, number="4791111111")
    assert f'value="phone-{verified.pk}"' in body
    assert "+47 91 11 99 99" not in body


def test_without_a_verified_phone_carrier_billing_explains_what_it_needs(alice, alice_browser):
    Phone.objects.filter(user=alice).update(verified=False, preferred=False)
    body = alice_browser.get(url(prepared(user=alice))).content.decode()
    assert 'value="phone-' not in body
    assert "needs a verified mobile number" in body


def test_only_the_methods_the_merchant_allows_are_offered(alice, alice_browser):
    tx = prepared(user=alice, allowed_methods=["CARRIER_BILLING"])
    body = alice_browser.get(url(tx)).content.decode()
    assert 'value="card"' not in body and 'name="number"' not in body
    response = pay(alice_browser, tx)
    assert response.status_code == 400
    assert "Choose one of the payment methods shown." in response.content.decode()
    assert refreshed(tx).attempts == 0


# --- Another user ------------------------------------------------------------------------------


def test_bob_cannot_open_or_pay_a_transaction_created_for_alice(alice, bob_browser):
    tx = prepared(user=alice)
    page = bob_browser.get(url(tx))
    assert page.status_code == 403
    assert 'name="number"' not in page.content.decode()
    assert pay(bob_browser, tx).status_code == 403
    assert bob_browser.post(f"{url(tx)}/cancel").status_code == 403
    tx = refreshed(tx)
    assert (tx.state, tx.user_id, tx.attempts) == ("STARTED", alice.pk, 0)


def test_an_unknown_transaction_is_not_found(alice_browser):
    assert alice_browser.get("/gui/payment/tx_nope").status_code == 404


# --- Paying ------------------------------------------------------------------------------------


def test_paying_with_the_good_test_card_completes_and_sees_other_to_success_redirect(
    alice, alice_browser
):
    tx = prepared()
    alice_browser.get(url(tx))
    response = pay(alice_browser, tx)
    assert response.status_code == 303
    assert response["Location"] == "https://shop.example/ok"
    tx = refreshed(tx)
    assert (tx.state, tx.user_id, tx.payment_instrument) == ("COMPLETED", alice.pk, "visa ****4242")
    assert not PaymentMethod.objects.filter(user=alice).exists()  # not asked to keep it


def test_a_declined_card_stays_with_the_message_and_no_card_digits(alice, alice_browser):
    tx = prepared(user=alice)
    response = pay(alice_browser, tx, **DECLINED)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The card was declined." in body
    assert "The payment did not go through" in body
    assert "4000" not in body and "0002" not in body and 'value="123"' not in body
    number = re.search(r'<input type="text" name="number"[^>]*>', body, re.S)
    assert number and "value=" not in number.group(0)
    assert refreshed(tx).state == "STARTED"
    # Then the right card goes through.
    assert pay(alice_browser, tx).status_code == 303


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"number": "4242 4242 4242 4241"}, "number", "not a valid number"),
        ({"number": "4242-4242-4242-4242"}, "number", "only digits"),
        ({"number": "4242 4242 42"}, "number", "12 to 19 digits"),
        ({"exp_month": "13"}, "exp_month", "1 to 12"),
        ({"exp_year": "20x0"}, "exp_year", "four digits"),
        ({"exp_year": "2001"}, "exp_year", "printed on the card"),
        ({"cvc": "12"}, "cvc", "3 or 4 digits"),
    ],
)
def test_an_invalid_card_is_answered_inline_and_the_provider_is_never_called(
    alice, alice_browser, fields, field, message
):
    tx = prepared(user=alice)
    with mock.patch.object(TestCardProvider, "charge_card") as charge:
        response = pay(alice_browser, tx, **fields)
    body = response.content.decode()
    assert response.status_code == 400
    charge.assert_not_called()
    assert 'id="error-summary"' in body
    assert f'<a href="#id_{field}">' in body
    assert f'id="id_{field}-error"' in body and message in body
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', body, re.S)
    assert "4242 4242" not in body
    assert refreshed(tx).attempts == 0


def test_a_provider_outage_asks_to_try_again_and_charges_nothing(alice, alice_browser):
    tx = prepared(user=alice)
    with mock.patch.object(TestCardProvider, "charge_card", side_effect=ProviderUnavailable()):
        response = pay(alice_browser, tx)
    assert response.status_code == 503
    assert "try again" in response.content.decode()
    assert refreshed(tx).state == "STARTED" and charges() == 0


def test_a_double_submit_charges_once(alice, alice_browser):
    tx = prepared(user=alice)
    first, second = pay(alice_browser, tx), pay(alice_browser, tx)
    assert (first.status_code, second.status_code) == (303, 303)
    assert second["Location"] == "https://shop.example/ok"
    assert charges() == 1
    assert refreshed(tx).attempts == 1


def test_carrier_billing_to_a_verified_phone(alice, alice_browser):
    tx = prepared(user=alice)
    phone = Phone.objects.get(user=alice, verified=True)
    response = alice_browser.post(url(tx), {"method": f"phone-{phone.pk}"})
    assert response.status_code == 303
    tx = refreshed(tx)
    assert (tx.state, tx.charged_method) == ("COMPLETED", "CARRIER_BILLING")


def test_another_users_phone_cannot_be_billed(alice, bob, alice_browser):
    tx = prepared(user=alice)
    phone = Phone.objects.get(user=bob, verified=True)
    response = alice_browser.post(url(tx), {"method": f"phone-{phone.pk}"})
    assert response.status_code == 400
    assert refreshed(tx).attempts == 0


def test_a_saved_card_pays_the_next_purchase(alice, alice_browser):
    first = prepared(user=alice)
    assert pay(alice_browser, first, save="on").status_code == 303
    method = PaymentMethod.objects.get(user=alice)
    assert (method.brand, method.last4) == ("visa", "4242")
    second = prepared(user=alice, order_id="order-2")
    body = alice_browser.get(url(second)).content.decode()
    assert f'value="saved-{method.pk}"' in body and "visa ****4242" in body
    response = alice_browser.post(url(second), {"method": f"saved-{method.pk}"})
    assert response.status_code == 303
    second = refreshed(second)
    assert (second.state, second.payment_method_id) == ("COMPLETED", method.pk)


def test_a_product_with_a_sku_leaves_an_active_right_for_the_payer(alice, alice_browser):
    tx = prepared(products=[sku_product()])
    assert pay(alice_browser, tx).status_code == 303
    right = Right.objects.get(user=alice, sku="NEWS-MONTH")
    assert right.grantor_id == "SHOP"
    assert right.state_at(timezone.now()) == "ACTIVE"


def _agreement(user: User, trial: str = "") -> Agreement:
    return agreement_create(
        merchant_id="SHOP",
        merchant_name="Test Shop",
        user=user,
        new=NewAgreement(
            recurrence_time_spec="R//P1M",
            trial_period=trial,
            verification=new_transaction(order_id="ag-1", products=[sku_product()]),
        ),
        actor=TEST_ACTOR,
    )


def test_an_agreements_first_payment_says_it_recurs_and_activates_it(alice, alice_browser):
    agreement = _agreement(alice)
    tx = agreement.verification_transaction
    body = alice_browser.get(url(tx)).content.decode()
    assert "This starts a recurring payment." in body and "every month" in body
    assert 'name="save"' not in body  # an agreement always keeps the method
    assert pay(alice_browser, tx).status_code == 303
    agreement.refresh_from_db()
    assert agreement.state == "ACTIVE"
    assert agreement.payment_method is not None
    assert PaymentMethod.objects.filter(user=alice, pk=agreement.payment_method_id).exists()


def test_an_agreement_with_a_trial_says_so(alice, alice_browser):
    body = alice_browser.get(url(_agreement(alice, trial="P14D").verification_transaction))
    text = body.content.decode()
    assert "free trial of 14 days" in text and "Start the trial" in text


# --- Cancel and closed transactions ------------------------------------------------------------


def test_cancel_sees_other_to_cancel_redirect_and_cancels(alice, alice_browser):
    tx = prepared(user=alice)
    response = alice_browser.post(f"{url(tx)}/cancel")
    assert response.status_code == 303
    assert response["Location"] == "https://shop.example/cancel"
    assert refreshed(tx).state == "CANCELLED"
    page = alice_browser.get(url(tx))
    assert page.status_code == 409
    assert "This payment was cancelled" in page.content.decode()
    assert 'href="https://shop.example/cancel"' in page.content.decode()
    assert pay(alice_browser, tx).status_code == 409
    assert charges() == 0


def test_a_paid_transaction_shows_that_it_is_done_with_a_link_back(alice, alice_browser):
    tx = prepared(user=alice)
    pay(alice_browser, tx)
    page = alice_browser.get(url(tx))
    assert page.status_code == 200
    assert "This payment is done" in page.content.decode()
    assert 'href="https://shop.example/ok"' in page.content.decode()
    assert alice_browser.post(f"{url(tx)}/cancel").status_code == 409
    assert refreshed(tx).state == "COMPLETED"


def test_a_transaction_cancelled_elsewhere_cannot_be_paid(alice, alice_browser):
    tx = prepared(user=alice)
    alice_browser.get(url(tx))
    transaction_cancel(transaction_id=tx.pk, user=None, actor=TEST_ACTOR)
    response = pay(alice_browser, tx)
    assert response.status_code == 409
    assert refreshed(tx).state == "CANCELLED" and charges() == 0


def test_an_error_report_of_the_page_holds_no_card_details(alice, alice_browser, caplog):
    tx = prepared(user=alice)
    alice_browser.raise_request_exception = False
    boom = RuntimeError("unexpected")
    with (
        mock.patch("payments.checkout.views.transaction_pay", side_effect=boom),
        caplog.at_level("ERROR", logger="django.request"),
    ):
        assert pay(alice_browser, tx).status_code == 500
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    # What AdminEmailHandler would mail: the POST and the frames' variables, filtered.
    report = ExceptionReporter(record.request, *record.exc_info, is_email=True)
    text = report.get_traceback_text()
    assert "RuntimeError" in text and "method = 'card'" in text
    assert "4242424242424242" not in text and "4242 4242 4242 4242" not in text
    assert "'123'" not in text and "2040" not in text
    assert "4242" not in caplog.text


def test_a_post_without_the_csrf_token_is_refused_and_charges_nothing(alice, alice_browser):
    tx = prepared(user=alice)
    alice_browser.handler.enforce_csrf_checks = True
    assert pay(alice_browser, tx).status_code == 403
    assert alice_browser.post(f"{url(tx)}/cancel").status_code == 403
    assert refreshed(tx).state == "STARTED" and refreshed(tx).attempts == 0


def test_hostile_input_is_a_400_never_a_500(alice, alice_browser):
    tx = prepared(user=alice)
    for fields in (
        {"method": "saved-pm_nope"},
        {"method": "phone-" + "9" * 300},
        {"method": "card", "number": "4" * 500, "exp_year": "20301", "cvc": "\uff11\uff12\uff13"},
        {"method": ["card", "card"], "exp_month": "-1"},
    ):
        response = alice_browser.post(url(tx), fields)
        assert response.status_code == 400, fields
    assert refreshed(tx).attempts == 0


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        ("P1M", "every month"),
        ("P3M", "every 3 months"),
        ("P1Y", "every year"),
        ("P7D", "every week"),
        ("P14D", "every 2 weeks"),
        ("P1D", "every day"),
        ("PT12H", "every 12 hours"),
        ("P1M2D", "every period of P1M2D"),
    ],
)
def test_a_recurrence_is_said_in_words(duration, words):
    assert every(duration) == words


def test_a_refunded_transaction_says_so_and_links_back(alice, alice_browser):
    tx = prepared(user=alice)
    assert pay(alice_browser, tx).status_code == 303
    transaction_refund(transaction_id=tx.pk, merchant_id="SHOP", actor=TEST_ACTOR)
    page = alice_browser.get(url(tx))
    assert page.status_code == 409
    assert "This payment was refunded" in page.content.decode()
    assert 'href="https://shop.example/ok"' in page.content.decode()
    assert pay(alice_browser, tx).status_code == 409
    assert charges() == 1
