"""The browser's SSO session: a Django login plus the SignInSession it belongs to."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.db import transaction
from django.http import HttpRequest

from accounts.audit import Actor
from accounts.models import SignInSession, User
from accounts.oidc import backchannel
from accounts.services.sessions import session_end, session_start

SID_KEY = "connect_sid"
# Set by a successful sign-in, consumed by the next authorization request: the user has just
# authenticated, which satisfies prompt=login, max_age and clients without SSO.
FRESH_KEY = "connect_fresh"


def current_session(request: HttpRequest) -> SignInSession | None:
    """The live SSO session of this browser, or None (not signed in, or signed out elsewhere)."""
    if not request.user.is_authenticated:
        return None
    sid = request.session.get(SID_KEY)
    if not sid:
        return None
    return SignInSession.objects.filter(
        pk=sid, user_id=request.user.pk, ended_at__isnull=True
    ).first()


def sign_in(
    request: HttpRequest,
    user: User,
    *,
    acr: str,
    amr: list[str],
    username: str = "",
    short_lived: bool = False,
) -> SignInSession:
    """Start an SSO session for *user* in this browser."""
    session = session_start(
        user=user,
        acr=acr,
        amr=amr,
        username=username,
        short_lived=short_lived,
        ip=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    login(request, user, backend="accounts.backends.EmailOrPhoneBackend")
    request.session[SID_KEY] = session.pk
    request.session[FRESH_KEY] = True
    return session


def end_session(session: SignInSession, *, actor: Actor) -> None:
    """End an SSO session, revoke its tokens, and tell clients by back-channel after commit."""
    with transaction.atomic():
        clients = session_end(session=session, actor=actor)
        sub, sid = session.user_id, session.pk
        backchannel.notify(clients, sub=sub, sid=sid)  # queued in this transaction


def sign_out(request: HttpRequest) -> None:
    """End this browser's SSO session (if any) and its Django login."""
    session = current_session(request)
    if session is not None:
        end_session(session, actor=Actor.of_user(session.user))
    logout(request)
