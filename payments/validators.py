"""Money, VAT and product lists of the payment API (spec §5.2), exact to the minor unit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from payments.errors import AmountInvalid, CurrencyMismatch, ProductsInvalid, VatRateInvalid

# ISO 4217 minor units of the currencies that do not have two (the rest have two). Kept here
# rather than from a library: the list changes once in years, and nothing else needs babel.
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENTS = {
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
# The active ISO 4217 codes (2026), the swagger's list plus its successors.
_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
    JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF
    XPF YER ZAR ZMW ZWG"""
CURRENCIES = frozenset(_CODES.split())
_AMOUNT_RE = re.compile(r"([A-Z]{3}) ([0-9]{1,15})(?:\.([0-9]{1,4}))?")
_RATE_RE = re.compile(r"0(?:\.[0-9]{1,4})?|\.[0-9]{1,4}")
MAX_MINOR = 10**15


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


@dataclass(frozen=True, order=True)
class Money:
    currency: str
    minor: int  # in the currency's minor units (øre for NOK)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def __str__(self) -> str:
        """CONNECT's form: `"NOK 100.00"`, `"MMK 1500.00"`, `"JPY 500"`."""
        places = exponent(self.currency)
        if not places:
            return f"{self.currency} {self.minor}"
        whole, part = divmod(self.minor, 10**places)
        return f"{self.currency} {whole}.{part:0{places}d}"

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise CurrencyMismatch()
        return Money(self.currency, self.minor + other.minor)

    def __sub__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise CurrencyMismatch()
        return Money(self.currency, self.minor - other.minor)


def parse_money(raw: Any, *, field: str = "amount", allow_zero: bool = False) -> Money:
    """Parse `"NOK 100.00"`, `"NOK 100"` or `"MMK 1500"`: a known ISO 4217 code, a space, and at
    most as many decimals as the currency has (the swagger's regex wants exactly two; the docs
    show `"MMK 1500"`, so 0 to the currency's exponent are accepted).

    Raise AmountInvalid for anything else, zero (unless *allow_zero*) and negative amounts.
    """
    match = _AMOUNT_RE.fullmatch(raw) if isinstance(raw, str) else None
    if match is None or match[1] not in CURRENCIES:
        raise AmountInvalid(field=field)
    currency, whole, part = match[1], match[2], match[3] or ""
    places = exponent(currency)
    if len(part) > places:
        raise AmountInvalid(f"{currency} has {places} decimals at most.", field=field)
    minor = int(whole) * 10**places + int(part.ljust(places, "0") or 0)
    if minor >= MAX_MINOR or (minor == 0 and not allow_zero):
        raise AmountInvalid(field=field)
    return Money(currency, minor)


def parse_vat_rate(raw: Any, *, field: str = "vatRate") -> Decimal:
    """A VAT rate as a fraction, `"0.25"` for 25 % (a JSON number is accepted too): 0 ≤ r < 1,
    at most four decimals."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise VatRateInvalid(field=field)
    text = str(raw).strip()
    if not _RATE_RE.fullmatch(text):
        raise VatRateInvalid(field=field)
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise VatRateInvalid(field=field) from exc


def vat_of(amount: Money, rate: Decimal) -> Money:
    """The VAT inside a gross (VAT-inclusive) amount, rounded half up to the minor unit:
    NOK 100.00 at 0.25 holds NOK 20.00."""
    vat = (Decimal(amount.minor) * rate / (1 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Money(amount.currency, int(vat))


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    price: Money
    vat_rate: Decimal
    sku: str = ""
    time_spec: str = ""

    def as_json(self) -> dict[str, str]:
        """The stored and rendered form, in CONNECT's field names."""
        out = {
            "productId": self.product_id,
            "name": self.name,
            "price": str(self.price),
            "vatRate": str(self.vat_rate),
        }
        if self.sku:
            out["sku"] = self.sku
            out["timeSpec"] = self.time_spec
        return out


def products_check(*, products: list[Product], amount: Money, vat_rate: Decimal) -> None:
    """spec §5.2: a products list is complete: prices add up to the amount, in its currency, and
    the price-weighted average VAT rate equals vatRate (to the rate's four decimals).

    Raise CurrencyMismatch or ProductsInvalid.
    """
    if not products:
        return
    total = Money(amount.currency, 0)
    weighted = Decimal(0)
    for product in products:
        total = total + product.price
        weighted += Decimal(product.price.minor) * product.vat_rate
    if total != amount:
        raise ProductsInvalid(f"The products add up to {total}, not {amount}.", field="products")
    average = (weighted / Decimal(amount.minor)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    if average != vat_rate.quantize(Decimal("0.0001")):
        raise ProductsInvalid(
            f"The products' average VAT rate is {average.normalize()}, not {vat_rate}.",
            field="products",
        )
