"""The Stripe card provider through the provider interface, against a real localstripe server."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from payments import providers
from payments.providers.base import Card, Charge, ProviderUnavailable, SavedMethod
from payments.providers.stripe import StripeProvider

# The localstripe and stripe_provider fixtures come from tests/payments/stripe_server.py
# through tests/payments/conftest.py.
from tests.payments.stripe_server import TEST_API_KEY

VISA = "4242424242424242"


def card(number: str = VISA, *, cvc: str = "737") -> Card:
    return Card(number=number, exp_month=12, exp_year=2034, cvc=cvc)


def a_charge(amount: int = 12900, **fields: str) -> Charge:
    return Charge(
        idempotency_key=f"tx_{secrets.token_hex(6)}:1",
        amount_minor=amount,
        currency="NOK",
        description="CONNECT Plus, one month",
        user_id="u_alice",
        email="alice@example.com",
        metadata={"transaction": "tx_test"},
        **fields,
    )


@pytest.fixture
def stripe_api(localstripe: str) -> stripe.StripeClient:
    """Our own look at the server, to see what the provider made there."""
    return stripe.StripeClient(
        api_key=TEST_API_KEY, base_addresses={"api": localstripe}, max_network_retries=0
    )


def intents_of(api: stripe.StripeClient, customer: str) -> list[stripe.PaymentIntent]:
    # localstripe lists payment intents unfiltered only.
    return [
        pi for pi in api.v1.payment_intents.list({"limit": 100}).data if pi.customer == customer
    ]


def test_a_card_charge_succeeds_with_brand_last4_and_a_payment_intent(stripe_provider, stripe_api):
    result = stripe_provider.charge_card(charge=a_charge(), card=card(), save=False)

    assert result.status == "succeeded" and result.succeeded
    assert result.reference.startswith("pi_")
    assert result.method is not None
    assert (result.method.provider, result.method.brand, result.method.last4) == (
        "stripe",
        "visa",
        "4242",
    )
    assert (result.method.exp_month, result.method.exp_year) == (12, 2034)
    intent = stripe_api.v1.payment_intents.retrieve(result.reference)
    assert (intent.amount, intent.currency, intent.status) == (12900, "nok", "succeeded")
    assert intent.metadata["description"] == "CONNECT Plus, one month"
    assert intent.metadata["transaction"] == "tx_test"
    assert intent.metadata["user_id"] == "u_alice"


def test_a_saved_card_is_charged_again_off_session(stripe_provider, stripe_api):
    first = stripe_provider.charge_card(charge=a_charge(), card=card(), save=True)
    assert first.succeeded and first.method is not None
    saved = first.method
    assert saved.method_ref.startswith("pm_") and saved.customer_ref.startswith("cus_")
    assert stripe_api.v1.customers.retrieve(saved.customer_ref).email == "alice@example.com"

    again = stripe_provider.charge_saved(charge=a_charge(4900), method=saved)

    assert again.succeeded and again.reference.startswith("pi_")
    assert again.reference != first.reference and again.method == saved
    assert [pi.amount for pi in intents_of(stripe_api, saved.customer_ref)] == [12900, 4900]


def test_a_second_saved_card_goes_to_the_same_customer(stripe_provider, stripe_api):
    first = stripe_provider.charge_card(charge=a_charge(), card=card(), save=True)
    assert first.method is not None
    customer = first.method.customer_ref

    second = stripe_provider.charge_card(
        charge=a_charge(customer_ref=customer), card=card("5555555555554444"), save=True
    )

    assert second.succeeded and second.method is not None
    assert second.method.customer_ref == customer and second.method.last4 == "4444"
    attached = stripe_api.v1.payment_methods.list({"customer": customer, "type": "card"}).data
    assert {pm.id for pm in attached} == {first.method.method_ref, second.method.method_ref}


@pytest.mark.parametrize(
    ("number", "code"),
    [("4000000000000002", "generic_decline"), ("4000000000009995", "insufficient_funds")],
)
def test_a_declined_card_is_declined_with_the_decline_code(stripe_provider, number, code):
    result = stripe_provider.charge_card(charge=a_charge(), card=card(number), save=True)

    assert result.status == "declined" and not result.succeeded
    assert result.code == code
    assert result.message == "Your card was declined."
    assert result.method is None


def test_a_saved_card_declined_later_is_declined_off_session(stripe_provider, stripe_api):
    first = stripe_provider.charge_card(charge=a_charge(), card=card(), save=True)
    assert first.method is not None
    # 4000 0000 0000 0341 attaches, and every charge of it is declined.
    pm = stripe_api.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": "4000000000000341", "exp_month": 1, "exp_year": 2034, "cvc": "123"},
        }
    )
    stripe_api.v1.payment_methods.attach(pm.id, {"customer": first.method.customer_ref})
    saved = SavedMethod(
        provider="stripe", method_ref=pm.id, customer_ref=first.method.customer_ref, last4="0341"
    )

    result = stripe_provider.charge_saved(charge=a_charge(), method=saved)

    assert (result.status, result.code) == ("declined", "card_declined")


def test_a_card_that_asks_for_3d_secure_is_declined_as_authentication_required(
    stripe_provider, stripe_api
):
    result = stripe_provider.charge_card(
        charge=a_charge(), card=card("4000002500003155"), save=False
    )

    assert (result.status, result.code) == ("declined", "authentication_required")
    assert stripe_api.v1.payment_intents.retrieve(result.reference).status == "canceled"


def test_a_processing_error_is_a_failure_not_a_decline(stripe_provider):
    result = stripe_provider.charge_card(
        charge=a_charge(), card=card("4000000000000119"), save=True
    )

    assert (result.status, result.code) == ("failed", "processing_error")


def test_a_card_that_attaches_but_cannot_be_charged_is_declined_and_not_kept(
    stripe_provider, stripe_api
):
    first = stripe_provider.charge_card(charge=a_charge(), card=card(), save=True)
    assert first.method is not None
    customer = first.method.customer_ref

    result = stripe_provider.charge_card(
        charge=a_charge(customer_ref=customer), card=card("4000000000000341"), save=True
    )

    assert (result.status, result.code) == ("declined", "card_declined")
    attached = stripe_api.v1.payment_methods.list({"customer": customer, "type": "card"}).data
    assert [pm.id for pm in attached] == [first.method.method_ref]


def test_card_details_stripe_refuses_are_a_decline(stripe_provider):
    # localstripe answers 400 to an expiry year before 2019 (Stripe: 402 invalid_expiry_year).
    old = Card(number=VISA, exp_month=1, exp_year=2018, cvc="737")

    result = stripe_provider.charge_card(charge=a_charge(), card=old, save=False)

    assert (result.status, result.code) == ("declined", "invalid_expiry_year")


def test_a_partial_then_the_remaining_refund(stripe_provider, stripe_api):
    paid = stripe_provider.charge_card(charge=a_charge(10000), card=card(), save=False)

    partial = stripe_provider.refund(
        reference=paid.reference, amount_minor=2500, currency="NOK", idempotency_key="rf_1"
    )
    rest = stripe_provider.refund(
        reference=paid.reference, amount_minor=7500, currency="NOK", idempotency_key="rf_2"
    )

    assert partial.status == "succeeded" and partial.reference.startswith("re_")
    assert rest.status == "succeeded" and rest.reference != partial.reference
    refunds = stripe_api.v1.refunds.list({"payment_intent": paid.reference}).data
    assert sorted(r.amount for r in refunds) == [2500, 7500]


def test_a_full_refund_retried_with_its_key_refunds_once(stripe_provider, stripe_api):
    paid = stripe_provider.charge_card(charge=a_charge(10000), card=card(), save=False)

    refunds = [
        stripe_provider.refund(
            reference=paid.reference, amount_minor=10000, currency="NOK", idempotency_key="rf_x"
        )
        for _ in range(2)
    ]

    assert refunds[0] == refunds[1] and refunds[0].status == "succeeded"
    listed = stripe_api.v1.refunds.list({"payment_intent": paid.reference}).data
    assert [r.amount for r in listed] == [10000]


def test_a_refund_of_a_declined_payment_fails(stripe_provider, stripe_api):
    first = stripe_provider.charge_card(charge=a_charge(), card=card(), save=True)
    assert first.method is not None
    # A payment intent whose charge failed: 0341 attached, then charged.
    pm = stripe_api.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": "4000000000000341", "exp_month": 1, "exp_year": 2034, "cvc": "123"},
        }
    )
    stripe_api.v1.payment_methods.attach(pm.id, {"customer": first.method.customer_ref})
    intent = stripe_api.v1.payment_intents.create(
        {
            "amount": 100,
            "currency": "nok",
            "customer": first.method.customer_ref,
            "payment_method": pm.id,
        }
    )
    with pytest.raises(stripe.CardError):
        stripe_api.v1.payment_intents.confirm(intent.id)

    result = stripe_provider.refund(
        reference=intent.id, amount_minor=100, currency="NOK", idempotency_key="rf_bad"
    )

    assert result.status == "failed"


def test_a_retried_charge_with_the_same_key_makes_one_payment_intent(stripe_provider, stripe_api):
    charge = a_charge()

    results = [stripe_provider.charge_card(charge=charge, card=card(), save=True) for _ in range(3)]

    assert results[0].succeeded and results[0].method is not None
    assert results[1] == results[0] and results[2] == results[0]
    customer = results[0].method.customer_ref
    assert [pi.id for pi in intents_of(stripe_api, customer)] == [results[0].reference]
    customers = stripe_api.v1.customers.list({"email": "alice@example.com", "limit": 100}).data
    assert sum(1 for c in customers if c.id == customer) == 1


def test_a_new_attempt_with_a_new_key_is_a_new_payment_intent(stripe_provider, stripe_api):
    first = stripe_provider.charge_card(charge=a_charge(), card=card(), save=True)
    assert first.method is not None
    second = stripe_provider.charge_saved(charge=a_charge(), method=first.method)
    third = stripe_provider.charge_saved(charge=a_charge(), method=first.method)

    assert len({first.reference, second.reference, third.reference}) == 3
    assert len(intents_of(stripe_api, first.method.customer_ref)) == 3


def test_a_detached_card_is_no_longer_the_customers(stripe_provider, stripe_api):
    first = stripe_provider.charge_card(charge=a_charge(), card=card(), save=True)
    assert first.method is not None

    stripe_provider.detach(method=first.method)
    stripe_provider.detach(method=first.method)  # forgetting it twice is fine

    assert stripe_api.v1.payment_methods.retrieve(first.method.method_ref).customer is None
    assert (
        stripe_api.v1.payment_methods.list(
            {"customer": first.method.customer_ref, "type": "card"}
        ).data
        == []
    )


def test_detaching_an_unknown_method_is_not_an_error(stripe_provider):
    stripe_provider.detach(
        method=SavedMethod(provider="stripe", method_ref="pm_gone", customer_ref="cus_gone")
    )


def test_a_card_repr_never_shows_the_number_or_the_cvc():
    shown = repr(card(cvc="737")) + str(card(cvc="737"))

    assert VISA not in shown and "737" not in shown and "2034" not in shown
    assert "4242" in shown


def test_the_stripe_logger_never_sees_the_card_number_or_the_cvc(stripe_provider, caplog):
    with caplog.at_level(logging.DEBUG):
        result = stripe_provider.charge_card(charge=a_charge(), card=card(cvc="919"), save=True)

    assert result.succeeded
    sdk_lines = [r for r in caplog.records if r.name == "stripe"]
    assert sdk_lines, "the SDK logged nothing: the test would prove nothing"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert VISA not in logged and "919" not in logged
    assert "card[number]" not in logged and "card%5Bnumber%5D" not in logged


def test_the_sdk_console_log_at_debug_never_prints_the_card(
    stripe_provider,
    settings,
    localstripe,
    monkeypatch,
    capsys,
):
    monkeypatch.setattr(stripe, "log", "debug")
    providers.reset()
    provider = providers.card_provider()

    result = provider.charge_card(charge=a_charge(), card=card(cvc="919"), save=False)

    assert result.succeeded
    printed = capsys.readouterr()
    assert "Request to Stripe api" in printed.err  # the SDK still prints, at info
    assert VISA not in printed.err + printed.out and "919" not in printed.err + printed.out


@pytest.fixture
def unreachable_stripe(settings) -> Iterator[StripeProvider]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.STRIPE_API_KEY, settings.STRIPE_API_BASE = TEST_API_KEY, f"http://127.0.0.1:{port}"
    yield StripeProvider()


def test_an_unreachable_stripe_raises_provider_unavailable_without_the_card(
    unreachable_stripe, caplog
):
    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderUnavailable) as raised:
        unreachable_stripe.charge_card(charge=a_charge(), card=card(cvc="919"), save=False)

    assert "APIConnectionError" in str(raised.value)
    assert raised.value.__suppress_context__ and raised.value.__cause__ is None
    assert VISA not in caplog.text and "919" not in caplog.text


class _Failing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"error": {"type": "api_error", "message": "Something went wrong"}}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Stripe-Should-Retry", "false")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing_stripe(settings) -> Iterator[StripeProvider]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.STRIPE_API_KEY = TEST_API_KEY
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield StripeProvider()
    server.shutdown()
    server.server_close()


def test_a_5xx_from_stripe_raises_provider_unavailable(failing_stripe):
    saved = SavedMethod(provider="stripe", method_ref="pm_1", customer_ref="cus_1")

    with pytest.raises(ProviderUnavailable, match="HTTP 503"):
        failing_stripe.charge_card(charge=a_charge(), card=card(), save=True)
    with pytest.raises(ProviderUnavailable):
        failing_stripe.charge_saved(charge=a_charge(), method=saved)
    with pytest.raises(ProviderUnavailable):
        failing_stripe.refund(reference="pi_1", amount_minor=1, currency="NOK", idempotency_key="k")
    with pytest.raises(ProviderUnavailable):
        failing_stripe.detach(method=saved)


def test_a_wrong_api_key_is_unavailable_not_a_decline(stripe_provider, settings):
    settings.STRIPE_API_KEY = "not-a-secret-key"
    providers.reset()

    with pytest.raises(ProviderUnavailable, match="AuthenticationError"):
        providers.card_provider().charge_card(charge=a_charge(), card=card(), save=False)


def test_no_api_key_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.STRIPE_API_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        StripeProvider()


def test_a_card_saved_for_a_trial_is_attached_and_not_charged(stripe_provider, stripe_api):
    result = stripe_provider.save_card(charge=a_charge(), card=card())
    assert result.succeeded and result.reference == ""
    assert result.method is not None and result.method.customer_ref.startswith("cus_")
    assert intents_of(stripe_api, result.method.customer_ref) == []
    later = stripe_provider.charge_saved(charge=a_charge(), method=result.method)
    assert later.succeeded


def test_a_declined_card_is_not_saved_for_a_trial(stripe_provider):
    result = stripe_provider.save_card(charge=a_charge(), card=card("4000000000000002"))
    assert result.status == "declined" and result.method is None
