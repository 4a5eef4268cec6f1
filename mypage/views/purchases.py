"""Purchase history (spec §6 `purchasehistory`): what I paid, what was refunded, and my saved
payment methods, with removing one."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from connect_id.pages import decorate
from mypage.views.common import actor, error_text, go, page, screen
from payments import selectors
from payments.errors import PaymentError, PaymentMethodNotFound
from payments.models import PaymentMethod, Transaction
from payments.services import payment_method_remove
from payments.validators import Money, exponent

_STATES: dict[str, Promise] = {
    Transaction.State.STARTED: gettext_lazy("Not paid"),
    Transaction.State.COMPLETED: gettext_lazy("Paid"),
    Transaction.State.FAILED: gettext_lazy("Payment failed"),
    Transaction.State.CANCELLED: gettext_lazy("Cancelled"),
    Transaction.State.REFUNDED: gettext_lazy("Refunded"),
}
_KINDS: dict[str, Promise] = {
    PaymentMethod.Kind.CARD: gettext_lazy("Card"),
    PaymentMethod.Kind.CARRIER_BILLING: gettext_lazy("Phone bill"),
}
_SIMPLE_PERIOD = re.compile(r"P(\d{1,4})([DWMY])")


def money_text(money: Money) -> str:
    """An amount for people: the currency code and the number in the page's locale."""
    places = exponent(money.currency)
    return f"{money.currency} {formats.number_format(money.decimal, decimal_pos=places)}"


def period_text(period: str) -> str:
    """An ISO 8601 duration in words ("every month", "every 3 months"); other durations as
    they are written (P1M2D)."""
    match = _SIMPLE_PERIOD.fullmatch(period)
    if match is None:
        return _("every %(period)s") % {"period": period}
    count, unit = int(match[1]), match[2]
    if unit == "D":
        text = ngettext("every day", "every %(count)d days", count)
    elif unit == "W":
        text = ngettext("every week", "every %(count)d weeks", count)
    elif unit == "M":
        text = ngettext("every month", "every %(count)d months", count)
    else:
        text = ngettext("every year", "every %(count)d years", count)
    return text % {"count": count}


def transaction_row(tx: Transaction) -> dict[str, Any]:
    """A line of the history: a purchase or an agreement's charge, or a refund of one."""
    # A completed transaction without a provider's charge is an agreement's first payment with a
    # trial: the method was saved, nothing charged (transaction_refund tells them apart alike).
    trial = tx.state == Transaction.State.COMPLETED and not tx.provider_reference
    if tx.type == Transaction.Type.REFUND:
        state = _("Refunded to you")
    elif trial:
        state = _("Trial: nothing charged yet")
    elif tx.state == Transaction.State.COMPLETED and tx.refunded_minor:
        state = _("Paid, partly refunded")
    else:
        state = str(_STATES.get(tx.state, tx.state))
    return {
        "tx": tx,
        "amount": money_text(tx.amount),
        "refunded": money_text(Money(tx.currency, tx.refunded_minor)) if tx.refunded_minor else "",
        "state": state,
        "trial": trial,
        "paid": tx.state in (Transaction.State.COMPLETED, Transaction.State.REFUNDED),
        "refund_of": tx.refund_for if tx.type == Transaction.Type.REFUND else None,
        "when": tx.completed_at or tx.created_at,
    }


def history_context(user: User, errors: dict[str, str] | None = None) -> dict[str, Any]:
    transactions = selectors.transactions_of_user(user_id=user.pk)
    methods = [
        {
            "method": m,
            "kind": str(_KINDS.get(m.kind, m.kind)),
            "error": (errors or {}).get(m.pk, ""),
        }
        for m in selectors.methods_of_user(user_id=user.pk)
    ]
    return {
        "rows": [transaction_row(tx) for tx in transactions],
        "listed": {tx.pk for tx in transactions},
        "methods": methods,
        "errors": errors or {},
    }


@decorate(require_GET, *page)
def purchasehistory(request: HttpRequest) -> HttpResponse:
    """My purchases and agreement charges, newest first, each refund under the purchase it gives
    money back for; and the payment methods I saved."""
    user: User = request.user  # type: ignore[assignment]
    return screen(request, "purchasehistory", history_context(user))


@decorate(require_POST, *page)
def payment_method_remove_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Remove a saved method of mine (someone else's is a 404). A method still paying an active
    agreement stays, and the page says why beside it."""
    user: User = request.user  # type: ignore[assignment]
    try:
        payment_method_remove(user=user, method_id=pk[:24], actor=actor(request))
    except PaymentMethodNotFound:
        raise Http404() from None
    except PaymentError as exc:
        context = history_context(user, errors={pk: error_text(exc)})
        return screen(request, "purchasehistory", context, status=exc.status)
    messages.success(request, _("The payment method is removed. It will not be charged again."))
    return go("purchasehistory")
