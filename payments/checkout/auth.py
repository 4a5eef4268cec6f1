"""Signing the payer in to the payment page, the portal's way.

The page is signed in as the portal is (mypage.auth): through /oauth/authorize as the portal's
first-party client (authorization code with PKCE), so it shares the SSO session and the sign-in
pages, and a sign-out anywhere ends it; the portal's callback comes back to the payment page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from mypage.auth import authorize_redirect, portal_session

View = Callable[..., HttpResponse]


def payer_page(view: View) -> View:
    """Only for a signed-in CONNECT user (the portal's sign-in: mypage.auth.portal_session);
    anyone else signs in first and comes back to the payment page (a POST is not replayed: the
    page is shown again)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if portal_session(request) is None:
            tx_id = str(kwargs.get("tx_id", ""))
            back = (
                request.get_full_path()
                if request.method == "GET"
                else reverse("payment:page", args=[tx_id])
            )
            return authorize_redirect(request, back)
        return view(request, *args, **kwargs)

    return wrapped
