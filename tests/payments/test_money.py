"""Money, VAT and product lists: exact to the minor unit, refused with a stable code otherwise."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.errors import AmountInvalid, CurrencyMismatch, ProductsInvalid, VatRateInvalid
from payments.validators import Money, Product, parse_money, parse_vat_rate, products_check, vat_of


@pytest.mark.parametrize(
    ("text", "currency", "minor", "shown"),
    [
        ("NOK 100.00", "NOK", 10000, "NOK 100.00"),
        ("NOK 100", "NOK", 10000, "NOK 100.00"),
        ("NOK 0.5", "NOK", 50, "NOK 0.50"),
        ("MMK 1500", "MMK", 150000, "MMK 1500.00"),
        ("JPY 500", "JPY", 500, "JPY 500"),
        ("KWD 1.234", "KWD", 1234, "KWD 1.234"),
        ("USD 18.14", "USD", 1814, "USD 18.14"),
    ],
)
def test_amounts_parse_exactly(text, currency, minor, shown):
    money = parse_money(text)
    assert (money.currency, money.minor, str(money)) == (currency, minor, shown)


@pytest.mark.parametrize(
    "text",
    [
        "NOK 1.001",
        "JPY 5.5",
        "XXX 10",
        "nok 10",
        "NOK -1",
        "NOK 0",
        "NOK 1e3",
        "NOK",
        100,
        None,
        "NOK  10",
        " NOK 10",
        "NOK 10.",
        "NOK 1000000000000000",
    ],
)
def test_malformed_amounts_are_refused(text):
    with pytest.raises(AmountInvalid):
        parse_money(text)


@pytest.mark.parametrize("raw", ["0.25", "0", "0.1", ".15", 0.25, 0])
def test_vat_rates_are_fractions(raw):
    assert parse_vat_rate(raw) == Decimal(str(raw))


@pytest.mark.parametrize("raw", ["25", "1", "1.0", "-0.1", "0.123456", "abc", True, None, [0.2]])
def test_vat_rates_out_of_range_are_refused(raw):
    with pytest.raises(VatRateInvalid):
        parse_vat_rate(raw)


def test_vat_is_inside_the_gross_amount():
    assert str(vat_of(parse_money("NOK 100.00"), Decimal("0.25"))) == "NOK 20.00"
    assert str(vat_of(parse_money("NOK 9.99"), Decimal("0.15"))) == "NOK 1.30"
    assert str(vat_of(parse_money("JPY 1100"), Decimal("0.1"))) == "JPY 100"


def _product(price: str, rate: str) -> Product:
    return Product(product_id="p", name="n", price=parse_money(price), vat_rate=Decimal(rate))


def test_products_must_add_up_to_the_amount():
    products = [_product("NOK 60.00", "0.25"), _product("NOK 40.00", "0.25")]
    products_check(products=products, amount=parse_money("NOK 100"), vat_rate=Decimal("0.25"))
    with pytest.raises(ProductsInvalid):
        products_check(products=products, amount=parse_money("NOK 101"), vat_rate=Decimal("0.25"))


def test_products_average_vat_must_match():
    mixed = [_product("NOK 50.00", "0.25"), _product("NOK 50.00", "0.15")]
    products_check(products=mixed, amount=parse_money("NOK 100"), vat_rate=Decimal("0.20"))
    with pytest.raises(ProductsInvalid):
        products_check(products=mixed, amount=parse_money("NOK 100"), vat_rate=Decimal("0.25"))


def test_products_in_another_currency_are_refused():
    with pytest.raises(CurrencyMismatch):
        products_check(
            products=[_product("SEK 100.00", "0.25")],
            amount=parse_money("NOK 100"),
            vat_rate=Decimal("0.25"),
        )


def test_money_of_different_currencies_does_not_add():
    with pytest.raises(CurrencyMismatch):
        Money("NOK", 1) + Money("SEK", 1)
