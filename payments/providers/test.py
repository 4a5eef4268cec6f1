"""The built-in `test` provider: no money moves, outcomes chosen by the card number or phone.

Test cards (any future expiry, any 3 or 4 digit CVC), after Stripe's test numbers:

| number              | outcome                                   |
|---------------------|-------------------------------------------|
| 4242 4242 4242 4242 | succeeds (visa)                           |
| 5555 5555 5555 4444 | succeeds (mastercard)                     |
| 4000 0000 0000 0002 | declined: `card_declined`                 |
| 4000 0000 0000 9995 | declined: `insufficient_funds`            |
| 4000 0000 0000 0119 | fails: `processing_error`                 |
| 4000 0000 0000 0341 | succeeds now; later saved charges decline |

Any other number is declined (`test_card_required`); an expiry in the past is `expired_card`.
Carrier billing succeeds for every verified number except those ending in 0002 (declined,
`carrier_declined`). Nothing is stored: a saved method's reference carries its own outcome.
"""

from __future__ import annotations

import datetime as dt
import secrets

from payments.providers.base import (
    Card,
    Charge,
    ChargeResult,
    RefundResult,
    SavedMethod,
    Status,
)

CARDS: dict[str, tuple[str, str]] = {
    # number: (brand, outcome code; "" succeeds)
    "4242424242424242": ("visa", ""),
    "5555555555554444": ("mastercard", ""),
    "4000000000000002": ("visa", "card_declined"),
    "4000000000009995": ("visa", "insufficient_funds"),
    "4000000000000119": ("visa", "processing_error"),
    "4000000000000341": ("visa", ""),
}
# Saved methods that decline when charged later (the 0341 card).
_DECLINE_LATER = {"4000000000000341"}

MESSAGES = {
    "card_declined": "The card was declined.",
    "insufficient_funds": "The card has insufficient funds.",
    "processing_error": "The card could not be charged. Try again.",
    "expired_card": "The card has expired.",
    "test_card_required": "Use one of the documented test cards.",
    "carrier_declined": "The phone operator declined the charge.",
}


def _result(code: str, reference: str = "", method: SavedMethod | None = None) -> ChargeResult:
    if not code:
        return ChargeResult(status="succeeded", reference=reference, method=method)
    status: Status = "failed" if code == "processing_error" else "declined"
    return ChargeResult(status=status, code=code, message=MESSAGES[code])


class TestCardProvider:
    """PAYMENT_PROVIDER for development and the embedded default."""

    name = "test"

    def charge_card(self, *, charge: Charge, card: Card, save: bool) -> ChargeResult:
        brand, code = CARDS.get(card.number, ("", "test_card_required"))
        today = dt.date.today()
        if not code and (card.exp_year, card.exp_month) < (today.year, today.month):
            code = "expired_card"
        if code:
            return _result(code)
        later = "decline" if card.number in _DECLINE_LATER else "ok"
        method = SavedMethod(
            provider=self.name,
            method_ref=f"testpm_{later}_{secrets.token_hex(8)}",
            customer_ref=charge.customer_ref or f"testcus_{secrets.token_hex(8)}",
            brand=brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )
        return _result("", f"testch_{secrets.token_hex(12)}", method)

    def save_card(self, *, charge: Charge, card: Card) -> ChargeResult:
        result = self.charge_card(charge=charge, card=card, save=True)
        return ChargeResult(
            status=result.status, method=result.method, code=result.code, message=result.message
        )

    def charge_saved(self, *, charge: Charge, method: SavedMethod) -> ChargeResult:
        if method.method_ref.startswith("testpm_decline_"):
            return _result("card_declined")
        return _result("", f"testch_{secrets.token_hex(12)}", method)

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult:
        return RefundResult(status="succeeded", reference=f"testre_{secrets.token_hex(12)}")

    def detach(self, *, method: SavedMethod) -> None:
        return None


class TestCarrierBilling:
    """PAYMENT_CARRIER_BILLING for development: the phone bill of any verified number."""

    name = "test-carrier"

    def charge_phone(self, *, charge: Charge, msisdn: str) -> ChargeResult:
        if msisdn.endswith("0002"):
            return _result("carrier_declined")
        method = SavedMethod(
            provider=self.name, method_ref=f"msisdn:{msisdn}", brand="carrier", last4=msisdn[-4:]
        )
        return _result("", f"testcb_{secrets.token_hex(12)}", method)

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult:
        return RefundResult(status="succeeded", reference=f"testcbre_{secrets.token_hex(12)}")
