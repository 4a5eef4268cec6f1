"""The payment page's form: which method, and a card's details (shape only; the payment services
and the provider decide). Card details live in this request's memory only, never stored."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.providers.base import Card

CARD = "card"
PHONE_PREFIX = "phone-"
SAVED_PREFIX = "saved-"
_CARD_TEXT = re.compile(r"[0-9 ]+")
_DIGITS = re.compile(r"[0-9]+")
YEARS_AHEAD = 25


def luhn_ok(digits: str) -> bool:
    """ISO/IEC 7812-1 Annex B: the Luhn check digit of a card number."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


class PayForm(forms.Form):
    """`method` is "card", "phone-<phone id>" or "saved-<method id>", among those offered."""

    method = forms.ChoiceField(
        label=_("How do you want to pay?"),
        choices=(),
        error_messages={
            "required": _("Choose how you want to pay."),
            "invalid_choice": _("Choose one of the payment methods shown."),
        },
    )
    number = forms.CharField(label=_("Card number"), required=False, max_length=40, strip=True)
    exp_month = forms.CharField(
        label=_("Expiry month (MM)"), required=False, max_length=2, strip=True
    )
    exp_year = forms.CharField(label=_("Expiry year (YYYY)"), required=False, max_length=4)
    cvc = forms.CharField(label=_("Security code (CVC)"), required=False, max_length=4, strip=True)
    save = forms.BooleanField(label=_("Save this card for later purchases"), required=False)

    def __init__(self, *args: Any, methods: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        method = self.fields["method"]
        assert isinstance(method, forms.ChoiceField)
        method.choices = methods

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("method") != CARD:
            return data
        self._card_number(data)
        month = self._number_in(data, "exp_month", 1, 12, _("Enter the month as 1 to 12."))
        year_text = (data.get("exp_year") or "").strip()
        year: int | None = None
        today = dt.date.today()
        if not year_text:
            self.add_error("exp_year", _("Enter the card's expiry year."))
        elif not _DIGITS.fullmatch(year_text) or len(year_text) not in (2, 4):
            self.add_error("exp_year", _("Enter the year with four digits, e.g. 2030."))
        else:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            if not today.year <= year <= today.year + YEARS_AHEAD:
                self.add_error("exp_year", _("Enter the expiry year printed on the card."))
                year = None
        if month is not None and year is not None and (year, month) < (today.year, today.month):
            self.add_error("exp_month", _("The card has expired."))
            month = None
        cvc = (data.get("cvc") or "").strip()
        if not cvc:
            self.add_error("cvc", _("Enter the security code from the back of the card."))
        elif not _DIGITS.fullmatch(cvc) or len(cvc) not in (3, 4):
            self.add_error("cvc", _("The security code is 3 or 4 digits."))
        data["exp_month"], data["exp_year"] = month, year
        return data

    def _card_number(self, data: dict[str, Any]) -> None:
        text = data.get("number") or ""
        digits = text.replace(" ", "")
        if not text:
            self.add_error("number", _("Enter the card number."))
        elif not _CARD_TEXT.fullmatch(text):
            self.add_error("number", _("A card number has only digits (and spaces)."))
        elif not 12 <= len(digits) <= 19:
            self.add_error("number", _("A card number has 12 to 19 digits."))
        elif not luhn_ok(digits):
            self.add_error("number", _("Check the card number: it is not a valid number."))
        else:
            data["number"] = digits

    def _number_in(
        self, data: dict[str, Any], name: str, low: int, high: int, message: Any
    ) -> int | None:
        text = (data.get(name) or "").strip()
        if not text:
            self.add_error(name, _("Enter the card's expiry month."))
            return None
        if not _DIGITS.fullmatch(text) or not low <= int(text) <= high:
            self.add_error(name, message)
            return None
        return int(text)

    def card(self) -> Card:
        """The card typed in (after is_valid(), for the "card" method)."""
        data = self.cleaned_data
        return Card(
            number=data["number"],
            exp_month=data["exp_month"],
            exp_year=data["exp_year"],
            cvc=data["cvc"],
        )
