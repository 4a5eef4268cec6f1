"""Signing in to the portal, and the step-up for sensitive changes.

The portal is a first-party OAuth client (accounts.services.selfservice.PORTAL_CLIENT_ID) and
signs people in as any service does: through /oauth/authorize (authorization code with PKCE),
so it shares the SSO session and the sign-in pages, its code and tokens belong to that session
(the sessions list shows it; signing out anywhere ends it), and the step-up is the OpenID
`max_age=0` + `acr_values=2` re-authentication of the same session (same `sid`).
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
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from oauth2_provider.oauth2_backends import get_oauthlib_core

from accounts.models import SignInSession, User
from accounts.oidc.sso import current_session
from accounts.services.selfservice import PORTAL_CLIENT_ID, portal_client_ensure
from mypage import backlink

# The SSO session the portal's last code was issued in: the portal is signed in while the
# browser's live session is that one.
PORTAL_KEY = "mypage_sid"
_STATE_SALT = "mypage.authorize-state"
_STATE_MAX_AGE = 3600
PREFIX = "/gui/mypage/"
# Where the portal's sign-in may come back to: its screens and the payment page, which signs the
# payer in the same way (payments.checkout.auth).
RETURN_PREFIXES = (PREFIX, "/gui/payment/")

View = Callable[..., HttpResponse]


def callback_uri() -> str:
    return f"{settings.SITE_URL}{reverse('mypage:callback')}"


def _verifier(state: str) -> str:
    # RFC 7636 §4.1: 43-128 characters; bound to the state, so nothing else need be stored.
    return salted_hmac("mypage.pkce", state, algorithm="sha256").hexdigest()


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _portal_path(target: str) -> str:
    """A path the sign-in may return to, else the overview (the state is signed, but never an
    open redirect even so)."""
    inside = target.startswith(RETURN_PREFIXES) and "\\" not in target and "//" not in target
    return target if inside else reverse("mypage:overview")


def authorize_redirect(
    request: HttpRequest, next_path: str, *, step_up: bool = False
) -> HttpResponse:
    """Send the browser to /oauth/authorize as the portal's client, to come back to
    *next_path*; with *step_up*, the person signs in again now (with the password, when the
    account has one)."""
    portal_client_ensure(redirect_uri=callback_uri())
    state = signing.dumps(
        {"n": _portal_path(next_path), "r": secrets.token_urlsafe(8)}, salt=_STATE_SALT
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
    if step_up:
        # OIDC Core §3.1.2.1: max_age=0 asks for a fresh authentication; acr_values=2 for
        # the password (spec §2.3). An account without a password re-authenticates by SMS.
        query["max_age"] = "0"
        if request.user.is_authenticated and request.user.has_usable_password():
            query["acr_values"] = "2"
    return HttpResponseRedirect(f"{reverse('oidc:authorize')}?{urlencode(query)}")


def _claims(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """The portal's redirect URI: redeem the code at the token endpoint (in process, as the
    public client with its PKCE verifier) and remember the session it was issued in."""
    state = request.GET.get("state", "")
    try:
        data = signing.loads(state, salt=_STATE_SALT, max_age=_STATE_MAX_AGE)
    except signing.BadSignature:
        return _failed(request)
    session = current_session(request)
    code = request.GET.get("code", "")
    if session is None or not code:
        return _failed(request)
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback_uri(),
            "client_id": PORTAL_CLIENT_ID,
            "code_verifier": _verifier(state),
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
    # The code must be this browser's: its user and its SSO session (a code from another
    # browser's session, pasted here, signs nothing in).
    if claims.get("sub") != request.user.pk or claims.get("sid") != session.pk:
        return _failed(request)
    request.session[PORTAL_KEY] = session.pk
    return HttpResponseRedirect(_portal_path(str(data.get("n", ""))))


def _failed(request: HttpRequest) -> HttpResponse:
    return render(request, "mypage/signin_failed.html", status=400)


def portal_session(request: HttpRequest) -> SignInSession | None:
    """The live SSO session the portal is signed in with, or None."""
    session = current_session(request)
    if session is None or request.session.get(PORTAL_KEY) != session.pk:
        return None
    return session


def portal_page(view: View) -> View:
    """Only for a person signed in to the portal; anyone else signs in first (through
    /oauth/authorize) and comes back to this screen, its query (and so its backlink) kept.
    Sets request.portal_session."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        session = portal_session(request)
        if session is None:
            back = request.get_full_path() if request.method == "GET" else request.path
            return authorize_redirect(request, _screen_of(back))
        request.portal_session = session  # type: ignore[attr-defined]
        if request.method == "GET":
            backlink.remember(request)
        return view(request, *args, **kwargs)

    return wrapped


def _screen_of(path: str) -> str:
    """A POST's screen: /gui/mypage/manageemail/<id>/remove → /gui/mypage/manageemail."""
    rest = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
    if "?" in path or "/" not in rest:
        return path
    return PREFIX + rest.split("/")[0]


def recently_authenticated(request: HttpRequest) -> bool:
    """Did this session sign in within MYPAGE_STEP_UP_SECONDS, with the password when the
    account has one (LoA 2, spec §2.3)?"""
    session: SignInSession = request.portal_session  # type: ignore[attr-defined]
    age = (timezone.now() - session.auth_time).total_seconds()
    if age > settings.MYPAGE_STEP_UP_SECONDS:
        return False
    user = request.user
    if isinstance(user, User) and user.has_usable_password():
        return session.acr == "2" and "UID_PWD" in session.amr
    return True


def step_up(view: View) -> View:
    """For sensitive changes: a recent password sign-in, else the password step of the sign-in
    flow, and back to the screen (a POST is not replayed: the person does it again)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not recently_authenticated(request):
            if request.method == "POST":
                messages.info(
                    request, _("For your security you signed in again. Now do it once more.")
                )
                back = _screen_of(request.path)
            else:
                back = request.get_full_path()
            return authorize_redirect(request, back, step_up=True)
        return view(request, *args, **kwargs)

    return wrapped
