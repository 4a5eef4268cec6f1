"""Payment providers, chosen by dotted path like the mail and SMS backends.

PAYMENT_PROVIDER: `payments.providers.test.TestCardProvider` (the embedded default; test card
numbers in that module) or `payments.providers.stripe.StripeProvider` (the official SDK).
PAYMENT_CARRIER_BILLING: `payments.providers.test.TestCarrierBilling` or
`payments.providers.carrier.HttpCarrierBilling` (an HTTP gateway like the SMS one).
"""

from __future__ import annotations

from functools import cache
from typing import cast

from django.conf import settings
from django.utils.module_loading import import_string

from payments.providers.base import CardProvider, CarrierBilling


@cache
def _load(path: str) -> object:
    return import_string(path)()


def card_provider() -> CardProvider:
    return cast(CardProvider, _load(settings.PAYMENT_PROVIDER))


def carrier_billing() -> CarrierBilling:
    return cast(CarrierBilling, _load(settings.PAYMENT_CARRIER_BILLING))


def reset() -> None:
    """Forget the loaded providers (tests that change the settings)."""
    _load.cache_clear()
