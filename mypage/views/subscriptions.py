"""Subscriptions: the user's rights and subscriptions (issue 9) and the payment agreements that
renew them (issue 11), with stopping either."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from connect_id.errors import DomainError
from connect_id.pages import decorate
from mypage.views.common import actor, error_text, go, page, screen
from mypage.views.purchases import money_text, period_text
from payments import selectors as payment_selectors
from payments.errors import AgreementNotFound
from payments.models import Agreement
from payments.services import agreement_stop
from rights import selectors as rights_selectors
from rights.models import Subscription
from rights.services import subscription_cancel

_AGREEMENT_STATES: dict[str, Promise] = {
    Agreement.State.ACTIVE: gettext_lazy("Active"),
    Agreement.State.SUSPENDED: gettext_lazy("Suspended: the last payment could not be made"),
    Agreement.State.STOPPED: gettext_lazy("Stopped"),
    Agreement.State.CANCELLED: gettext_lazy("Cancelled"),
}
_STOPPABLE = (Agreement.State.ACTIVE, Agreement.State.SUSPENDED)


@decorate(require_GET, *page)
def subscriptions(request: HttpRequest) -> HttpResponse:
    """What I am entitled to now (spec §4: rights ACTIVE with now inside their interval), the
    subscriptions that generate rights, and the payment agreements that pay for them, with the
    ones I may stop."""
    now = timezone.now()
    user: User = request.user  # type: ignore[assignment]
    user_id = user.pk
    rights = rights_selectors.rights_of_user(user_id=user_id, active_at=now)
    agreements = payment_selectors.agreements_of_user(user_id=user_id)
    # A subscription an agreement pays for is stopped by stopping the agreement (else the
    # charges would go on for rights that no longer come).
    paid_by = {a.subscription_id: a for a in agreements if a.subscription_id}
    # The user sees every subscription of theirs, whoever the grantor (spec §4 limits grantors).
    subs = [
        {"subscription": s, "state": s.state_at(now), "agreement": paid_by.get(s.pk)}
        for s in rights_selectors.subscriptions_of_user(user_id=user_id, grantor_id=None)
    ]
    rows = [
        {
            "agreement": a,
            "amount": money_text(a.verification_transaction.amount),
            "period": period_text(a.period) if a.period else "",
            "state": str(_AGREEMENT_STATES.get(a.state, a.state)),
            "stoppable": a.state in _STOPPABLE,
        }
        for a in agreements
    ]
    return screen(
        request,
        "subscriptions",
        {"rights": rights, "subscriptions": subs, "agreements": rows},
    )


def _stop_agreement(request: HttpRequest, agreement_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        agreement_stop(agreement_id=agreement_id, user=user, actor=actor(request))
    except AgreementNotFound:
        raise Http404() from None
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _(
                "The agreement is stopped: you will not be charged again. What you paid for stays "
                "until its period ends."
            ),
        )
    return go("subscriptions")


@decorate(require_POST, *page)
def subscription_stop(request: HttpRequest, pk: str) -> HttpResponse:
    """Stop a subscription of mine: no more periods; the right of the period already paid stays
    (spec §4). One paid by an agreement is stopped by stopping its agreement."""
    user: User = request.user  # type: ignore[assignment]
    found = rights_selectors.subscription_of_user(
        user_id=user.pk, subscription_id=pk, grantor_id=None
    )
    if found is None or found.state_at(timezone.now()) == Subscription.State.EXPIRED:
        raise Http404()
    paying = [
        a
        for a in payment_selectors.agreements_of_user(user_id=user.pk)
        if a.subscription_id == found.pk and a.state in _STOPPABLE
    ]
    if paying:
        return _stop_agreement(request, paying[0].pk)
    try:
        subscription_cancel(subscription=found, actor=actor(request), as_grantor=None)
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("The subscription is stopped. What you already have stays until its period ends."),
        )
    return go("subscriptions")


@decorate(require_POST, *page)
def agreement_stop_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Stop a payment agreement of mine (someone else's is a 404): no more charges; the period
    paid for stays."""
    return _stop_agreement(request, pk[:40])
