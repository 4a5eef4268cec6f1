"""Connected services (what each may see, the claims it receives, removing its access) and
sessions and devices (where I am signed in; sign out one, or all others)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Client, SignInSession, User
from accounts.oidc.sso import sign_out
from accounts.selectors_selfservice import connected_services, live_sessions
from accounts.services.selfservice import client_access_remove, session_end_own, sessions_end_others
from connect_id.pages import decorate
from mypage.useragent import describe
from mypage.views.common import actor, display_number, go, page, screen

# The claims of accounts.oidc.claims in plain words; `*_verified` is shown with its value.
_CLAIM_LABELS = {
    "sub": gettext_lazy("Your CONNECT ID number"),
    "name": gettext_lazy("Name"),
    "locale": gettext_lazy("Language"),
    "email": gettext_lazy("Preferred email"),
    "phone_number": gettext_lazy("Preferred phone"),
}


def shown_claims(claims: dict[str, Any]) -> list[dict[str, Any]]:
    """A service's claims as the page shows them: label, value, and (for an email or phone)
    whether it is verified."""
    languages = dict(settings.LANGUAGES)
    shown = []
    for name, label in _CLAIM_LABELS.items():
        if name not in claims:
            continue
        value = claims[name]
        if name == "locale":
            value = languages.get(value, value)
        elif name == "phone_number":
            value = display_number(value)
        verified = claims.get(f"{name}_verified") if name in ("email", "phone_number") else None
        shown.append({"name": name, "label": label, "value": value, "verified": verified})
    return shown


@decorate(require_GET, *page)
def manageclientauthorizations(request: HttpRequest) -> HttpResponse:
    """The services I allowed: name, logo, what they may see and do, the claims they receive,
    when last used."""
    services = connected_services(request.user)  # type: ignore[arg-type]
    rows = [{"service": s, "claims": shown_claims(s.claims)} for s in services]
    return screen(request, "manageclientauthorizations", {"rows": rows})


@decorate(require_POST, *page)
def service_remove(request: HttpRequest, pk: int) -> HttpResponse:
    client = Client.objects.filter(pk=pk, consents__user_id=request.user.pk).first()
    if client is None:
        raise Http404()
    client_access_remove(user=request.user, client=client, actor=actor(request))  # type: ignore[arg-type]
    messages.success(
        request, _("%(name)s no longer has access to your account.") % {"name": client.name}
    )
    return go("manageclientauthorizations")


@decorate(require_GET, *page)
def sessions(request: HttpRequest) -> HttpResponse:
    """Where I am signed in: browser and system, IP, last activity, the services used."""
    current: SignInSession = request.portal_session  # type: ignore[attr-defined]
    user: User = request.user  # type: ignore[assignment]
    rows = []
    for live in live_sessions(user):
        browser, system = describe(live.session.user_agent)
        rows.append(
            {
                "live": live,
                "browser": browser,
                "system": system,
                "current": live.session.pk == current.pk,
            }
        )
    rows.sort(key=lambda row: not row["current"])
    return screen(request, "sessions", {"rows": rows, "others": len(rows) > 1})


@decorate(require_POST, *page)
def session_end(request: HttpRequest, pk: str) -> HttpResponse:
    current: SignInSession = request.portal_session  # type: ignore[attr-defined]
    if pk == current.pk:
        sign_out(request)
        return render(request, "mypage/signed_out.html")
    try:
        session_end_own(user=request.user, session_id=pk[:43], actor=actor(request))  # type: ignore[arg-type]
    except SignInSession.DoesNotExist:
        raise Http404() from None
    messages.success(request, _("That session is signed out."))
    return go("sessions")


@decorate(require_POST, *page)
def sessions_end_others_view(request: HttpRequest) -> HttpResponse:
    count = sessions_end_others(
        user=request.user,  # type: ignore[arg-type]
        keep=request.portal_session,  # type: ignore[attr-defined]
        actor=actor(request),
    )
    messages.success(
        request, _("Signed out everywhere else (%(count)d sessions).") % {"count": count}
    )
    return go("sessions")
