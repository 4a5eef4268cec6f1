"""The payment page (spec §5.2, the `PAYMENT` link): the signed-in payer sees what is bought and
from whom, picks a method the merchant allows, and pays once; or cancels. The payment services
decide everything; this edge reads the form and renders their outcome.

Card numbers and security codes are in this request's memory only: never stored, never echoed
back into the form, and hidden from Django's error reports (sensitive_post_parameters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from accounts.audit import Actor
from accounts.models import Phone, User
from accounts.selectors_selfservice import phones_of
from connect_id.pages import decorate
from payments import providers
from payments.checkout.auth import payer_page
from payments.checkout.forms import CARD, PHONE_PREFIX, SAVED_PREFIX, PayForm
from payments.errors import (
    MethodNotAllowed,
    PaymentError,
    PaymentMethodNotFound,
    PhoneNotVerified,
    ProviderDown,
    TransactionNotPayable,
    WrongPayer,
)
from payments.models import Agreement, PaymentMethod, Transaction
from payments.selectors import methods_of_user, transaction_for_page
from payments.services import (
    PayChoice,
    transaction_bind_payer,
    transaction_cancel,
    transaction_pay,
)
from rights.errors import TimeSpecInvalid
from rights.validators.timespec import format_duration, parse_duration, parse_repeating

SECRET_FIELDS = ("number", "exp_month", "exp_year", "cvc")
# The decorators of the page and its cancel action, outermost first.
page = [
    never_cache,
    sensitive_post_parameters(*SECRET_FIELDS),
    csrf_protect,
    payer_page,
]
# The payer's words for the decline codes the providers share (Stripe's, the test provider's),
# in their language; another code shows the provider's own message.
DECLINES = {
    "card_declined": gettext_lazy("The card was declined."),
    "insufficient_funds": gettext_lazy("The card has insufficient funds."),
    "expired_card": gettext_lazy("The card has expired."),
    "incorrect_cvc": gettext_lazy("The security code is not the card's."),
    "processing_error": gettext_lazy("The card could not be charged. Try again."),
    "carrier_declined": gettext_lazy("The phone operator declined the charge."),
}
_SINGLE_UNIT = re.compile(r"P(?:(\d+)([YMWD])|T(\d+)H)")


def _actor(request: HttpRequest) -> Actor:
    return Actor.of_user(_user(request))


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _redirect_target(url: str) -> str:
    """The merchant's redirect if it is a web address (or a path here), else ""."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return url
    if not parts.scheme and not parts.netloc and url.startswith("/") and "\\" not in url:
        return url
    return ""


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303  # RFC 9110 §15.4.4: the browser GETs the merchant's page
    return response


def display_number(number: str) -> str:
    try:
        parsed = phonenumbers.parse("+" + number)
    except phonenumbers.NumberParseException:
        return "+" + number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def every(duration_text: str) -> str:
    """ "every month", "every 3 months", … for an ISO 8601 duration of one unit (else the
    duration as written)."""
    match = _SINGLE_UNIT.fullmatch(duration_text)
    if match is None:
        return _("every period of %(duration)s") % {"duration": duration_text}
    count = int(match.group(1) or match.group(3))
    unit = match.group(2) or "H"
    if unit == "D" and count % 7 == 0:
        unit, count = "W", count // 7
    words = {
        "Y": ngettext("every year", "every %(count)d years", count),
        "M": ngettext("every month", "every %(count)d months", count),
        "W": ngettext("every week", "every %(count)d weeks", count),
        "D": ngettext("every day", "every %(count)d days", count),
        "H": ngettext("every hour", "every %(count)d hours", count),
    }
    return words[unit] % {"count": count}


def for_how_long(duration_text: str) -> str:
    """ "1 month", "14 days", … for a trial's ISO 8601 duration."""
    match = _SINGLE_UNIT.fullmatch(duration_text)
    if match is None:
        return duration_text
    count = int(match.group(1) or match.group(3))
    unit = match.group(2) or "H"
    words = {
        "Y": ngettext("%(count)d year", "%(count)d years", count),
        "M": ngettext("%(count)d month", "%(count)d months", count),
        "W": ngettext("%(count)d week", "%(count)d weeks", count),
        "D": ngettext("%(count)d day", "%(count)d days", count),
        "H": ngettext("%(count)d hour", "%(count)d hours", count),
    }
    return words[unit] % {"count": count}


@dataclass(frozen=True)
class Recurring:
    every: str
    trial: str
    times: int | None


def _agreement_of(tx: Transaction) -> Agreement | None:
    try:
        return tx.verified_agreement  # type: ignore[no-any-return]
    except Agreement.DoesNotExist:
        return None


def _recurring(agreement: Agreement | None) -> Recurring | None:
    if agreement is None:
        return None
    try:
        spec = parse_repeating(agreement.recurrence_time_spec)
        period = format_duration(spec.period)
        trial = (
            for_how_long(format_duration(parse_duration(agreement.trial_period)))
            if agreement.trial_period
            else ""
        )
    except TimeSpecInvalid:  # checked when created; shown plainly if it ever is not
        return Recurring(every=agreement.recurrence_time_spec, trial="", times=None)
    return Recurring(every=every(period), trial=trial, times=spec.repetitions)


def _percent(rate: Decimal) -> str:
    text = f"{(rate * 100).quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class Option:
    """One radio button of the method choice."""

    value: str
    label: str
    kind: str  # "saved", "card" or "phone"

    @property
    def id(self) -> str:
        return f"method-{self.value}"


@dataclass
class Offer:
    """What the payer can pay *tx* with: the merchant's allowed methods met with theirs."""

    card: bool
    carrier: bool
    phones: list[tuple[Phone, str]]
    saved: list[PaymentMethod]

    @property
    def options(self) -> list[Option]:
        out = []
        for method in self.saved:
            if method.kind == PaymentMethod.Kind.CARRIER_BILLING:
                label = _("Phone bill of the number ending %(last4)s") % {"last4": method.last4}
            else:
                label = _("Saved card %(card)s") % {"card": method.label}
            out.append(Option(f"{SAVED_PREFIX}{method.pk}", label, "saved"))
        if self.card:
            out.append(Option(CARD, _("A card"), "card"))
        for phone, shown in self.phones:
            out.append(Option(f"{PHONE_PREFIX}{phone.pk}", shown, "phone"))
        return out

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(option.value, option.label) for option in self.options]

    @property
    def default(self) -> str:
        choices = self.choices
        return choices[0][0] if choices else ""


def _offer(tx: Transaction, user: User) -> Offer:
    allowed = tx.allowed_methods or [PaymentMethod.Kind.CARD, PaymentMethod.Kind.CARRIER_BILLING]
    card = PaymentMethod.Kind.CARD in allowed
    carrier = PaymentMethod.Kind.CARRIER_BILLING in allowed
    phones = (
        [(p, display_number(p.number)) for p in phones_of(user) if p.verified] if carrier else []
    )
    # A saved method is charged through today's provider of its kind: one saved at another
    # provider (the deployment switched) cannot be charged, so it is not offered.
    names: dict[str, str | None] = {
        PaymentMethod.Kind.CARD: providers.card_provider().name if card else None,
        PaymentMethod.Kind.CARRIER_BILLING: (providers.carrier_billing().name if carrier else None),
    }
    saved = [m for m in methods_of_user(user_id=user.pk) if names.get(m.kind) == m.provider]
    return Offer(card=card, carrier=carrier, phones=phones, saved=saved)


def _context(tx: Transaction, offer: Offer, **extra: Any) -> dict[str, Any]:
    agreement = _agreement_of(tx)
    products = [
        {"name": p.get("name", ""), "price": p.get("price", "")}
        for p in tx.products
        if isinstance(p, dict)
    ]
    return {
        "tx": tx,
        "amount": tx.amount,
        "vat_amount": tx.vat_amount,
        "vat_percent": _percent(tx.vat_rate),
        "products": products,
        "recurring": _recurring(agreement),
        "offer": offer,
        **extra,
    }


def _render(
    request: HttpRequest,
    tx: Transaction,
    offer: Offer,
    form: PayForm,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    return render(
        request, "payments/page.html", _context(tx, offer, form=form, **extra), status=status
    )


def _closed(request: HttpRequest, tx: Transaction, *, status: int) -> HttpResponse:
    """The page of a transaction that waits for no payment any more."""
    target = (
        tx.success_redirect
        if tx.state in (Transaction.State.COMPLETED, Transaction.State.REFUNDED)
        else tx.cancel_redirect
    )
    return render(
        request,
        "payments/closed.html",
        {"tx": tx, "amount": tx.amount, "back": _redirect_target(target)},
        status=status,
    )


def _wrong_payer(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/wrong_payer.html", status=WrongPayer.status)


def _payable(tx_id: str) -> Transaction:
    tx = transaction_for_page(transaction_id=tx_id[:40])
    # Refunds and an agreement's later charges are never paid on the page.
    if tx is None or tx.type != Transaction.Type.PURCHASE:
        raise Http404()
    return tx


def _choice(form: PayForm) -> PayChoice:
    method: str = form.cleaned_data["method"]
    if method == CARD:
        return PayChoice(kind="CARD", card=form.card(), save=bool(form.cleaned_data["save"]))
    if method.startswith(PHONE_PREFIX):
        return PayChoice(kind="CARRIER_BILLING", phone_id=method.removeprefix(PHONE_PREFIX))
    return PayChoice(kind="SAVED", method_id=method.removeprefix(SAVED_PREFIX))


def _method_error(exc: PaymentError) -> str:
    if isinstance(exc, PhoneNotVerified):
        return _("Carrier billing needs a verified phone number of yours.")
    if isinstance(exc, PaymentMethodNotFound):
        return _("That saved payment method is no longer available. Choose another.")
    return _("The shop does not accept this payment method. Choose another.")


@decorate(*page)
@require_http_methods(["GET", "POST"])
@sensitive_variables("form", "choice")
def payment_page(request: HttpRequest, tx_id: str) -> HttpResponse:
    """GET: what is bought, and the methods to pay with. POST: pay with the chosen one."""
    user = _user(request)
    tx = _payable(tx_id)
    if tx.state != Transaction.State.STARTED:
        if tx.user_id not in (None, user.pk):
            return _wrong_payer(request)
        target = _redirect_target(tx.success_redirect)
        # A second submit after the payment went through: answered as the first was.
        if request.method == "POST" and tx.state == Transaction.State.COMPLETED and target:
            return _see_other(target)
        done = request.method == "GET" and tx.state == Transaction.State.COMPLETED
        return _closed(request, tx, status=200 if done else 409)
    try:
        tx = transaction_bind_payer(transaction_id=tx.pk, user=user, actor=_actor(request))
    except WrongPayer:
        return _wrong_payer(request)
    offer = _offer(tx, user)
    if request.method == "GET":
        return _render(request, tx, offer, PayForm(methods=offer.choices))
    form = PayForm(request.POST, methods=offer.choices)
    if not form.is_valid():
        return _render(request, tx, offer, form, status=400)
    try:
        outcome = transaction_pay(
            transaction_id=tx.pk, user=user, choice=_choice(form), actor=_actor(request)
        )
    except WrongPayer:
        return _wrong_payer(request)
    except TransactionNotPayable:
        tx.refresh_from_db()
        return _closed(request, tx, status=409)
    except ProviderDown:
        return _render(
            request,
            tx,
            offer,
            PayForm(methods=offer.choices, initial={"method": form.cleaned_data["method"]}),
            status=503,
            unavailable=True,
        )
    except (MethodNotAllowed, PhoneNotVerified, PaymentMethodNotFound) as exc:
        return _render(request, tx, offer, form, status=400, errors=[_method_error(exc)])
    if outcome.paid:
        target = _redirect_target(outcome.transaction.success_redirect)
        if target:
            return _see_other(target)
        return _closed(request, outcome.transaction, status=200)
    # Declined: the same page, the provider's reason, and no card details typed back in.
    return _render(
        request,
        outcome.transaction,
        offer,
        PayForm(methods=offer.choices, initial={"method": form.cleaned_data["method"]}),
        declined=DECLINES.get(outcome.code) or outcome.message or _("The payment was declined."),
    )


@decorate(*page)
@require_POST
def payment_cancel(request: HttpRequest, tx_id: str) -> HttpResponse:
    """The payer does not want to pay: CANCELLED, and back to the merchant's cancelRedirect."""
    user = _user(request)
    tx = _payable(tx_id)
    try:
        tx = transaction_cancel(transaction_id=tx.pk, user=user, actor=_actor(request))
    except WrongPayer:
        return _wrong_payer(request)
    except TransactionNotPayable:
        tx.refresh_from_db()
        return _closed(request, tx, status=409)
    target = _redirect_target(tx.cancel_redirect)
    if target:
        return _see_other(target)
    return _closed(request, tx, status=200)
