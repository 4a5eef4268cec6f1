"""The Stripe card provider, through the official `stripe` SDK (PAYMENT_PROVIDER
`payments.providers.stripe.StripeProvider`; STRIPE_API_KEY, and STRIPE_API_BASE for a
Stripe-compatible server such as localstripe).

How a charge goes: a Customer (`charge.customer_ref`, or a new one when the method is to be saved),
a PaymentMethod made from the card, attached to the Customer when it is saved (Stripe checks the
card then), and a PaymentIntent created and confirmed in one call. Every request carries an
idempotency key derived from `charge.idempotency_key` (the PaymentIntent gets exactly that key,
the steps before it `<key>:customer`, `<key>:pm`, `<key>:attach`), so a retried attempt replays
the same objects instead of charging twice.

Card data. The PaymentMethod is created from the raw number, expiry and CVC on our server. That
works against localstripe and Stripe test mode with raw-card-data access; in live mode Stripe
only allows it to accounts approved for raw card data (PCI DSS SAQ D). Otherwise the payment page
must tokenise the card in the browser (Stripe.js / Elements) and hand us a `pm_…` id instead of a
`Card`. Card data never reaches a log line: the SDK logs each request body (the card number and the
CVC included) at DEBUG on the "stripe" logger, so this module drops that logger's DEBUG records
and never lets `stripe.log`/STRIPE_LOG print them to stderr; errors raised while the card is
in flight are re-raised `from None`, so no traceback carries the SDK frames that hold the body.

What we found about localstripe 1.15 with stripe 16.1 (API version 2026-10-28.endive):
- The paths (`/v1/customers`, `/v1/payment_methods`, `…/attach`, `…/detach`,
  `/v1/payment_intents`, `/v1/refunds`) and the fields we read (`id`, `status`, `card.brand`,
  `card.last4`, `card.exp_*`, `last_payment_error`) are the same. localstripe ignores the
  `Stripe-Version` header and answers in an old shape; but the SDK's own version renames the
  PaymentIntent's `payment_method_types` to `allowed_payment_method_types`, which localstripe
  refuses, so STRIPE_VERSION pins 2024-06-20, which both understand (and which an SDK upgrade
  then cannot change under us).
- It rejects parameters it does not know with 400, among them `description` and
  `setup_future_usage` on a PaymentIntent: the description goes into the metadata, and a saved
  card is attached explicitly before the charge instead of through `setup_future_usage`.
  `payment_method_types=["card"]` is sent so that real Stripe needs no `return_url`.
- Declines: 4000 0000 0000 0002 and …9995 (and the other "declined" test cards) are declined
  when they are attached to a Customer, not when charged unattached (a charge without saving
  succeeds there, unlike Stripe); 4000 0000 0000 0341 attaches and every charge of it is declined.
  It answers `code: card_declined` only, never a `decline_code` (Stripe sends e.g.
  `insufficient_funds` there; we report `decline_code or code`), and omits the PaymentIntent from
  a card error, so a declined charge has no reference there.
- It ignores `Idempotency-Key`, takes only 16-digit numbers and 3-digit CVCs, always says
  `visa`, and writes its whole store to /tmp/localstripe.pickle on every write (reloaded at start
  unless `--from-scratch`). tests/payments/stripe_server.py runs it with Stripe's idempotency
  replay and decline codes added and the pickle switched off.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, NoReturn, cast

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from stripe.params import CustomerCreateParams, PaymentIntentCreateParams

from payments.providers.base import (
    Card,
    Charge,
    ChargeResult,
    ProviderUnavailable,
    RefundResult,
    SavedMethod,
    Status,
)

if TYPE_CHECKING:
    from stripe._base_address import BaseAddresses

logger = logging.getLogger(__name__)

# The API version we speak, pinned so that an SDK upgrade does not change it under us, and old
# enough that localstripe understands it (`payment_method_types`, renamed
# `allowed_payment_method_types` in the SDK's own 2026-10-28.endive).
STRIPE_VERSION = "2024-06-20"
# Seconds per HTTP request to Stripe (the SDK's default is 80, and its urllib client has none).
TIMEOUT = 30.0
# The SDK retries connection errors, 409 and 5xx itself, with the same idempotency key.
NETWORK_RETRIES = 2
# Stripe's metadata values are at most 500 characters.
METADATA_VALUE_MAX = 500

DECLINED_MESSAGE = "The card was declined."
FAILED_MESSAGE = "The card could not be charged. Try again later."
INVALID_CARD_MESSAGE = "Check the card number, the expiry date and the security code."
# Card error codes that mean "try again", not "this card says no".
FAILED_CODES = {"processing_error"}


class _NoDebugBodies(logging.Filter):
    """Drop the SDK's DEBUG records: they carry request bodies (the card number and the CVC)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_SDK_LOGGER = logging.getLogger("stripe")
if not any(isinstance(f, _NoDebugBodies) for f in _SDK_LOGGER.filters):
    _SDK_LOGGER.addFilter(_NoDebugBodies())


def _no_debug_console() -> None:
    """`stripe.log = "debug"` or STRIPE_LOG=debug prints request bodies to stderr, past logging:
    keep the SDK's console output at "info" (method, path and status only)."""
    if stripe.log == "debug" or (not stripe.log and os.environ.get("STRIPE_LOG") == "debug"):
        stripe.log = "info"


def _unavailable(exc: stripe.StripeError) -> NoReturn:
    status = f" (HTTP {exc.http_status})" if exc.http_status else ""
    logger.warning("Stripe unavailable: %s%s", type(exc).__name__, status)
    raise ProviderUnavailable(f"Stripe: {type(exc).__name__}{status}") from None


def _card_error_result(exc: stripe.CardError, *, key: str) -> ChargeResult:
    """A declined (or, for a processing error, failed) charge, with Stripe's most specific code."""
    error = exc.error
    code = (error.decline_code if error else None) or exc.code or "card_declined"
    reference = ""
    if error is not None and error.payment_intent is not None:
        reference = str(error.payment_intent.id or "")
    status: Status = "failed" if code in FAILED_CODES else "declined"
    logger.info("Stripe charge %s %s: %s", key, status, code)
    # Stripe's card error messages are written to be shown to the payer.
    message = exc.user_message or (FAILED_MESSAGE if status == "failed" else DECLINED_MESSAGE)
    return ChargeResult(status=status, reference=reference, code=code, message=message)


def _request_error_result(exc: stripe.StripeError, *, key: str) -> ChargeResult:
    """A request Stripe refused (4xx other than a card error): our bug or bad input, not the
    payer's card; nothing was charged, and the same call would be refused again."""
    code = exc.code or type(exc).__name__
    logger.error("Stripe refused charge %s: %s (HTTP %s)", key, code, exc.http_status)
    return ChargeResult(status="failed", code=code, message=FAILED_MESSAGE)


def _is_transient(exc: stripe.StripeError) -> bool:
    """Nothing is known to have happened, and the same request may work later."""
    return isinstance(
        exc,
        stripe.APIConnectionError
        | stripe.APIError
        | stripe.RateLimitError
        | stripe.AuthenticationError
        | stripe.PermissionError,
    ) or (exc.http_status is not None and exc.http_status >= 500)


class StripeProvider:
    """PAYMENT_PROVIDER on Stripe. One client per process (the provider is loaded once)."""

    name = "stripe"

    def __init__(self) -> None:
        if not settings.STRIPE_API_KEY:
            raise ImproperlyConfigured("STRIPE_API_KEY is not set.")
        _no_debug_console()
        base: BaseAddresses | None = (
            {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
        )
        self.client = stripe.StripeClient(
            api_key=settings.STRIPE_API_KEY,
            base_addresses=base,
            stripe_version=STRIPE_VERSION,
            max_network_retries=NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=TIMEOUT),
        )

    # --- CardProvider ---------------------------------------------------------------------

    def charge_card(self, *, charge: Charge, card: Card, save: bool) -> ChargeResult:
        key = charge.idempotency_key
        pm = self._payment_method(card, key=key)
        if isinstance(pm, ChargeResult):
            return pm
        customer = charge.customer_ref
        attached = ""
        try:
            if save and not customer:
                params: CustomerCreateParams = {"metadata": {"user_id": charge.user_id}}
                if charge.email:
                    params["email"] = charge.email
                customer = self.client.v1.customers.create(
                    params, {"idempotency_key": f"{key}:customer"}
                ).id
            if save:
                # Stripe checks the card when it is attached (a declined card stops here).
                self.client.v1.payment_methods.attach(
                    pm.id, {"customer": customer}, {"idempotency_key": f"{key}:attach"}
                )
                attached = pm.id
            intent = self.client.v1.payment_intents.create(
                self._intent_params(charge, payment_method=pm.id, customer=customer),
                {"idempotency_key": key},
            )
        except stripe.CardError as exc:
            self._forget(attached)
            return _card_error_result(exc, key=key)
        except stripe.StripeError as exc:
            if _is_transient(exc):
                # Left attached if it was: the retry (same keys) replays the same attach.
                _unavailable(exc)
            self._forget(attached)
            return _request_error_result(exc, key=key)
        result = self._intent_result(intent, method=self._method(pm, customer), key=key)
        if not result.succeeded:
            self._forget(attached)
        return result

    def save_card(self, *, charge: Charge, card: Card) -> ChargeResult:
        """Keep the card for later charges without charging it (an agreement's trial): attach
        it to the user's customer, which makes Stripe check the card (a declined card stops
        here). Real Stripe would do the same through a SetupIntent; localstripe has none."""
        key = charge.idempotency_key
        pm = self._payment_method(card, key=key)
        if isinstance(pm, ChargeResult):
            return pm
        customer = charge.customer_ref
        try:
            if not customer:
                params: CustomerCreateParams = {"metadata": {"user_id": charge.user_id}}
                customer = self.client.v1.customers.create(
                    params, {"idempotency_key": f"{key}:customer"}
                ).id
            self.client.v1.payment_methods.attach(
                pm.id, {"customer": customer}, {"idempotency_key": f"{key}:attach"}
            )
        except stripe.CardError as exc:
            return _card_error_result(exc, key=key)
        except stripe.StripeError as exc:
            if _is_transient(exc):
                _unavailable(exc)
            return _request_error_result(exc, key=key)
        return ChargeResult(status="succeeded", method=self._method(pm, customer))

    def charge_saved(self, *, charge: Charge, method: SavedMethod) -> ChargeResult:
        key = charge.idempotency_key
        try:
            intent = self.client.v1.payment_intents.create(
                self._intent_params(
                    charge,
                    payment_method=method.method_ref,
                    customer=method.customer_ref,
                    off_session=True,
                ),
                {"idempotency_key": key},
            )
        except stripe.CardError as exc:  # authentication_required included: the payer is away
            return _card_error_result(exc, key=key)
        except stripe.StripeError as exc:
            if _is_transient(exc):
                _unavailable(exc)
            return _request_error_result(exc, key=key)
        return self._intent_result(intent, method=method, key=key)

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult:
        # Stripe refunds in the charge's own currency; `currency` is what our row says it is.
        try:
            refund = self.client.v1.refunds.create(
                {"payment_intent": reference, "amount": amount_minor},
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            if _is_transient(exc):
                _unavailable(exc)
            code = exc.code or type(exc).__name__
            logger.error("Stripe refund %s of %s refused: %s", idempotency_key, reference, code)
            return RefundResult(status="failed", code=code, message=exc.user_message or "")
        # "pending": accepted, the money is on its way back (a failure later is rare for cards).
        if refund.status in ("succeeded", "pending"):
            return RefundResult(status="succeeded", reference=refund.id)
        logger.error("Stripe refund %s of %s is %s", refund.id, reference, refund.status)
        return RefundResult(
            status="failed", reference=refund.id, code=str(refund.failure_reason or refund.status)
        )

    def detach(self, *, method: SavedMethod) -> None:
        try:
            self.client.v1.payment_methods.detach(method.method_ref)
        except stripe.InvalidRequestError as exc:
            # Unknown or not attached (any more): it is forgotten either way.
            logger.info("Stripe detach of %s: %s", method.method_ref, exc.code or exc.http_status)
        except stripe.StripeError as exc:
            if _is_transient(exc):
                _unavailable(exc)
            raise

    # --- helpers --------------------------------------------------------------------------

    def _payment_method(self, card: Card, *, key: str) -> stripe.PaymentMethod | ChargeResult:
        """Hand the card to Stripe: the PaymentMethod, or the result of a refused card. No SDK
        exception leaves this function (their frames hold the request body, the card in it):
        ProviderUnavailable is raised without its context."""
        try:
            return self.client.v1.payment_methods.create(
                {
                    "type": "card",
                    "card": {
                        "number": card.number,
                        "exp_month": card.exp_month,
                        "exp_year": card.exp_year,
                        "cvc": card.cvc,
                    },
                },
                {"idempotency_key": f"{key}:pm"},
            )
        except stripe.CardError as exc:  # Stripe: incorrect_number, invalid_cvc, expired_card, …
            return _card_error_result(exc, key=key)
        except stripe.StripeError as exc:
            if _is_transient(exc):
                _unavailable(exc)
            # A 400 here is about the card details (localstripe answers 400 where Stripe says 402).
            code = exc.code or "invalid_card"
            logger.info("Stripe refused the card of charge %s: %s", key, code)
            return ChargeResult(status="declined", code=code, message=INVALID_CARD_MESSAGE)

    def _forget(self, pm_id: str) -> None:
        """Detach a method attached for a charge that did not go through (best effort)."""
        if not pm_id:
            return
        try:
            self.client.v1.payment_methods.detach(pm_id)
        except stripe.StripeError as exc:
            logger.warning("Stripe detach of %s failed: %s", pm_id, type(exc).__name__)

    @staticmethod
    def _intent_params(
        charge: Charge, *, payment_method: str, customer: str, off_session: bool = False
    ) -> PaymentIntentCreateParams:
        """A PaymentIntent confirmed at once. `payment_method_types` (of STRIPE_VERSION) keeps
        Stripe from enabling redirecting methods that would need a `return_url`; the description
        goes in the metadata, since localstripe refuses `description`."""
        params: dict[str, Any] = {
            "amount": charge.amount_minor,
            "currency": charge.currency.lower(),
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": {
                **charge.metadata,
                "user_id": charge.user_id,
                "idempotency_key": charge.idempotency_key,
                "description": charge.description[:METADATA_VALUE_MAX],
            },
        }
        if customer:
            params["customer"] = customer
        if off_session:
            params["off_session"] = True
        return cast(PaymentIntentCreateParams, params)

    def _method(self, pm: stripe.PaymentMethod, customer: str) -> SavedMethod:
        card: Any = pm.card
        return SavedMethod(
            provider=self.name,
            method_ref=pm.id,
            customer_ref=customer,
            brand=str(card.brand or "").lower() if card else "",
            last4=str(card.last4 or "") if card else "",
            exp_month=int(card.exp_month) if card and card.exp_month else None,
            exp_year=int(card.exp_year) if card and card.exp_year else None,
        )

    def _intent_result(
        self, intent: stripe.PaymentIntent, *, method: SavedMethod, key: str
    ) -> ChargeResult:
        if intent.status == "succeeded":
            return ChargeResult(status="succeeded", reference=intent.id, method=method)
        if intent.status == "requires_action":
            # 3-D Secure asked for: this server-side flow cannot show it to the payer, so the
            # intent is cancelled rather than left waiting (best effort; nothing was charged).
            logger.info("Stripe charge %s needs authentication", key)
            try:
                self.client.v1.payment_intents.cancel(intent.id)
            except stripe.StripeError as exc:
                logger.warning("Stripe cancel of %s failed: %s", intent.id, type(exc).__name__)
            return ChargeResult(
                status="declined",
                reference=intent.id,
                code="authentication_required",
                message="The card issuer asks for authentication this payment page cannot do.",
            )
        error: Any = intent.last_payment_error
        code = str((error and (error.decline_code or error.code)) or intent.status)
        status: Status = "declined" if intent.status == "requires_payment_method" else "failed"
        logger.info("Stripe charge %s %s: %s", key, status, code)
        message = DECLINED_MESSAGE if status == "declined" else FAILED_MESSAGE
        return ChargeResult(status=status, reference=intent.id, code=code, message=message)
