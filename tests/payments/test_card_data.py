"""PCI DSS scope kept minimal: after card payments through the page (the test provider and Stripe
against localstripe), no table of the database and no log line holds a card number or a CVC."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from payments.models import PaymentMethod, Transaction
from tests.payments.conftest import prepared
from tests.payments.test_page import signed_in, url

NUMBERS = ("4242424242424242", "4000000000000002")
CVC = "919"


def _form(number: str) -> dict[str, str]:
    spaced = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    return {
        "method": "card",
        "number": spaced,
        "exp_month": "12",
        "exp_year": "2040",
        "cvc": CVC,
        "save": "on",
    }


def _rows_holding(needles: tuple[str, ...]) -> list[str]:
    """Every row of every table of ours, as text, that contains one of *needles*."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) "
            "FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE'"
        )
        tables = [name for (name,) in cursor.fetchall()]
        found = []
        for table in tables:
            cursor.execute(f"SELECT t::text FROM {table} t")  # noqa: S608 (names from the catalogue)
            for (row,) in cursor.fetchall():
                compact = row.replace(" ", "")
                found += [f"{table}: {needle}" for needle in needles if needle in compact]
    return found


def _pay_twice(alice) -> None:
    browser = signed_in(alice)
    declined = prepared(order_id="card-1")
    answer = browser.post(url(declined), _form(NUMBERS[1]))
    assert answer.status_code == 200  # declined: the page again, with the reason
    paid = prepared(order_id="card-2")
    assert browser.post(url(paid), _form(NUMBERS[0])).status_code == 303
    assert Transaction.objects.get(pk=paid.pk).state == "COMPLETED"
    assert PaymentMethod.objects.get(user=alice).last4 == "4242"


@pytest.mark.django_db
def test_no_card_number_or_cvc_in_the_database_or_the_logs_with_the_test_provider(
    alice, caplog, capsys
):
    with caplog.at_level(logging.DEBUG):
        _pay_twice(alice)
    assert _rows_holding((alice.pk,))  # the search does see the payment's rows
    assert _rows_holding(NUMBERS) == []
    logged = caplog.text + "".join(capsys.readouterr())
    assert not [n for n in NUMBERS if n in logged.replace(" ", "")]
    assert f"cvc={CVC}" not in logged and f'"cvc": "{CVC}"' not in logged


@pytest.mark.django_db
def test_no_card_number_or_cvc_in_the_database_or_the_logs_with_stripe(
    alice, stripe_provider, caplog, capsys
):
    with caplog.at_level(logging.DEBUG):
        _pay_twice(alice)
    method = PaymentMethod.objects.get(user=alice)
    assert method.provider == "stripe" and method.method_ref.startswith("pm_")
    assert _rows_holding(NUMBERS) == []
    logged = caplog.text + "".join(capsys.readouterr())
    assert not [n for n in NUMBERS if n in logged.replace(" ", "")]
    assert f"cvc={CVC}" not in logged and f'"cvc": "{CVC}"' not in logged
