"""What a payment provider is to us: charge a card or a saved method, refund, forget a method.

Card data (`Card`) only ever lives in memory for the one request that hands it to the provider:
we store and log the provider's references, the brand and the last four digits, nothing else (PCI
DSS: keep the card number and the CVC out of our systems).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Status = Literal["succeeded", "declined", "failed"]


@dataclass(frozen=True)
class Card:
    """What the payer typed on the payment page. Never stored, never logged."""

    number: str = field(repr=False)
    exp_month: int = field(repr=False)
    exp_year: int = field(repr=False)
    cvc: str = field(repr=False)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:  # a traceback or a log line shows no more than this
        return f"Card(****{self.last4})"


@dataclass(frozen=True)
class Charge:
    """One charge the provider is asked to make.

    `idempotency_key` is the same on every retry of the same attempt (transaction id and attempt
    number), so a retried call never charges twice (Stripe's Idempotency-Key, the gateway's
    reference).
    """

    idempotency_key: str
    amount_minor: int  # in the currency's ISO 4217 minor units
    currency: str  # ISO 4217 code, upper case
    description: str
    user_id: str
    email: str = ""
    # The provider's customer of this user, when an earlier payment saved one ("" otherwise).
    customer_ref: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SavedMethod:
    """A payment method the provider keeps for later charges (references only)."""

    provider: str  # the provider's `name`
    method_ref: str  # e.g. Stripe pm_…, or the msisdn reference of a carrier
    customer_ref: str = ""  # e.g. Stripe cus_…
    brand: str = ""  # "visa", "mastercard", … (lower case) or the carrier's name
    last4: str = ""
    exp_month: int | None = None
    exp_year: int | None = None


@dataclass(frozen=True)
class ChargeResult:
    status: Status
    # The provider's id of the charge (Stripe pi_…); "" when nothing was created.
    reference: str = ""
    # The method charged, as it can be shown and (when `save` was asked) charged again.
    method: SavedMethod | None = None
    # A stable code for a decline or failure ("card_declined", "insufficient_funds",
    # "processing_error", …) and a message safe to show the payer.
    code: str = ""
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class RefundResult:
    status: Literal["succeeded", "failed"]
    reference: str = ""
    code: str = ""
    message: str = ""


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered 5xx: nothing is known to have happened; the
    same call with the same idempotency key may be retried."""


class CardProvider(Protocol):
    """The PAYMENT_PROVIDER: cards and saved cards."""

    name: str

    def charge_card(self, *, charge: Charge, card: Card, save: bool) -> ChargeResult:
        """Charge *card* now. With *save*, keep the method for later off-session charges and
        return it in `ChargeResult.method` with its `customer_ref`."""
        ...

    def charge_saved(self, *, charge: Charge, method: SavedMethod) -> ChargeResult:
        """Charge a saved method without the payer present (a renewal, a saved card)."""
        ...

    def save_card(self, *, charge: Charge, card: Card) -> ChargeResult:
        """Verify and keep *card* for later charges without charging it now (an agreement with a
        trial: nothing is due until the trial ends). `charge.amount_minor` is what later
        charges will be; the result carries the method and no charge reference."""
        ...

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult:
        """Give back *amount_minor* of the charge *reference* (partial refunds allowed)."""
        ...

    def detach(self, *, method: SavedMethod) -> None:
        """Forget a saved method at the provider (the user removed it)."""
        ...


class CarrierBilling(Protocol):
    """The PAYMENT_CARRIER_BILLING backend: charge to the phone bill of a verified number."""

    name: str

    def charge_phone(self, *, charge: Charge, msisdn: str) -> ChargeResult:
        """Charge the bill of *msisdn* (E.164 digits without "+")."""
        ...

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult: ...
