"""Subscriptions (the user's rights and subscriptions, issue 9) and purchase history (nothing to
show until payments exist)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from connect_id.errors import DomainError
from connect_id.pages import decorate
from mypage.views.common import actor, error_text, go, page, screen
from rights import selectors as rights_selectors
from rights.models import Subscription
from rights.services import subscription_cancel


@decorate(require_GET, *page)
def subscriptions(request: HttpRequest) -> HttpResponse:
    """What I am entitled to now (spec §4: rights ACTIVE with now inside their interval) and the
    subscriptions that generate rights, with the ones I may stop."""
    now = timezone.now()
    user: User = request.user  # type: ignore[assignment]
    user_id = user.pk
    rights = rights_selectors.rights_of_user(user_id=user_id, active_at=now)
    # The user sees every subscription of theirs, whoever the grantor (spec §4 limits grantors).
    subs = [
        {"subscription": s, "state": s.state_at(now)}
        for s in rights_selectors.subscriptions_of_user(user_id=user_id, grantor_id=None)
    ]
    return screen(request, "subscriptions", {"rights": rights, "subscriptions": subs})


@decorate(require_POST, *page)
def subscription_stop(request: HttpRequest, pk: str) -> HttpResponse:
    """Stop a subscription of mine: no more periods; the right of the period already paid stays
    (spec §4)."""
    user: User = request.user  # type: ignore[assignment]
    found = rights_selectors.subscription_of_user(
        user_id=user.pk, subscription_id=pk, grantor_id=None
    )
    if found is None or found.state_at(timezone.now()) == Subscription.State.EXPIRED:
        raise Http404()
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


@decorate(require_GET, *page)
def purchasehistory(request: HttpRequest) -> HttpResponse:
    return screen(request, "purchasehistory")
