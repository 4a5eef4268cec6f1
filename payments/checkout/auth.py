"""Signing the payer in to the payment page, the portal's way (mypage.auth).

The page is signed in as the portal is: through /oauth/authorize as the portal's first-party
client (authorization code with PKCE), so it shares the SSO session and the sign-in pages, and a
sign-out anywhere ends it. Only the way back differs: the portal's callback returns to portal
screens only, so the payment page has its own callback that returns to a payment page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from oauth2_provider.oauth2_backends import get_oauthlib_core

from accounts.oidc.sso import current_session
from accounts.services.selfservice import PORTAL_CLIENT_ID, portal_client_ensure
from mypage.auth import PORTAL_KEY, portal_session

PREFIX = "/gui/payment/"
_STATE_SALT = "payment.authorize-state"
_STATE_MAX_AGE = 3600

View = Callable[..., HttpResponse]


def callback_uri() -> str:
    return f"{settings.SITE_URL}{reverse('payment:callback')}"


def _verifier(state: str) -> str:
    # RFC 7636 §4.1: 43-128 characters; bound to the state, so nothing else need be stored.
    return salted_hmac("payment.pkce", state, algorithm="sha256").hexdigest()


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _page_path(target: str) -> str:
    """A payment page's path, else the front page (the state is signed, but never an open
    redirect even so)."""
    inside = target.startswith(PREFIX) and "\\" not in target and "//" not in target
    return target if inside else "/"


def authorize_redirect(request: HttpRequest, next_path: str) -> HttpResponse:
    """Send the browser to /oauth/authorize as the portal's client, to come back to
    *next_path* (a payment page)."""
    portal_client_ensure(redirect_uri=callback_uri())
    state = signing.dumps(
        {"n": _page_path(next_path), "r": secrets.token_urlsafe(8)}, salt=_STATE_SALT
    )
    query = {
        "response_type": "code",
        "client_id": PORTAL_CLIENT_ID,
        "redirect_uri": callback_uri(),
        "scope": "openid",
        "state": state,
        "code_challenge": _challenge(_verifier(state)),
        "code_challenge_method": "S256",
    }
    return HttpResponseRedirect(f"{reverse('oidc:authorize')}?{urlencode(query)}")


def _claims(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """The payment page's redirect URI: redeem the code at the token endpoint (in process, as
    the portal's public client with its PKCE verifier) and remember the session it was issued
    in, as the portal's callback does."""
    try:
        data = signing.loads(request.GET.get("state", ""), salt=_STATE_SALT, max_age=_STATE_MAX_AGE)
    except signing.BadSignature:
        return _failed(request)
    session = current_session(request)
    code = request.GET.get("code", "")
    if session is None or not code or not isinstance(data, dict):
        return _failed(request)
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback_uri(),
            "client_id": PORTAL_CLIENT_ID,
            "code_verifier": _verifier(request.GET["state"]),
        }
    )
    server = get_oauthlib_core().server
    _headers, answer, status = server.create_token_response(
        f"{settings.ISSUER}/token",
        http_method="POST",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        return _failed(request)
    claims = _claims(json.loads(answer)["id_token"])
    # The code must be this browser's: its user and its SSO session.
    if claims.get("sub") != request.user.pk or claims.get("sid") != session.pk:
        return _failed(request)
    request.session[PORTAL_KEY] = session.pk
    return HttpResponseRedirect(_page_path(str(data.get("n", ""))))


def _failed(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/signin_failed.html", status=400)


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
