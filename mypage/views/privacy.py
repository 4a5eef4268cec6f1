"""The security log (with "This wasn't me") and my data: export as JSON, delete the account."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from accounts.models import AuditEvent, User
from accounts.oidc.sso import sign_out
from accounts.selectors_selfservice import security_events
from accounts.services.selfservice import account_delete, account_export, account_lockdown
from connect_id.pages import decorate
from mypage.auth import step_up
from mypage.forms import DeleteAccountForm
from mypage.useragent import describe
from mypage.views.common import actor, page, screen

_EVENT_TEXT = {
    "session.started": gettext_noop("Signed in"),
    "session.reauthenticated": gettext_noop("Signed in again"),
    "session.ended": gettext_noop("Signed out"),
    "session.ended_others": gettext_noop("Signed out everywhere else"),
    "user.signed_up": gettext_noop("Account created"),
    "user.password_set": gettext_noop("Password changed"),
    "user.password_reset": gettext_noop("Password reset"),
    "user.updated": gettext_noop("Profile changed"),
    "user.language_set": gettext_noop("Language changed"),
    "user.locked_down": gettext_noop("Signed out everywhere and tokens revoked (This wasn't me)"),
    "email.added": gettext_noop("Email address added"),
    "email.verified": gettext_noop("Email address verified"),
    "email.deleted": gettext_noop("Email address removed"),
    "email.made_preferred": gettext_noop("Preferred email changed"),
    "phone.added": gettext_noop("Phone number added"),
    "phone.verified": gettext_noop("Phone number verified"),
    "phone.deleted": gettext_noop("Phone number removed"),
    "phone.made_preferred": gettext_noop("Preferred phone changed"),
    "consent.granted": gettext_noop("Access given to a service"),
    "consent.revoked": gettext_noop("Access removed from a service"),
}


def shown_events(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """Audit events as the security log shows them: what, when, from which device and IP."""
    shown = []
    for event in events:
        browser, system = describe(event.user_agent)
        shown.append(
            {
                "when": event.created_at,
                "what": _(_EVENT_TEXT.get(event.action, event.action)),
                "ip": event.ip or "",
                "device": " · ".join(part for part in (browser, system) if part),
                "by_admin": not event.actor.startswith("user:"),
            }
        )
    return shown


@decorate(require_GET, *page)
def security(request: HttpRequest) -> HttpResponse:
    events = shown_events(security_events(request.user))  # type: ignore[arg-type]
    return screen(request, "security", {"events": events})


@decorate(require_POST, *page)
def wasnt_me(request: HttpRequest) -> HttpResponse:
    """ "This wasn't me": sign out everywhere, revoke every token, start a password reset."""
    user: User = request.user  # type: ignore[assignment]
    addresses = account_lockdown(user=user, actor=actor(request))
    sign_out(request)
    return render(request, "mypage/locked_down.html", {"addresses": addresses})


@decorate(require_GET, *page)
def privacy(request: HttpRequest) -> HttpResponse:
    return screen(request, "privacy", {"form": DeleteAccountForm()})


@decorate(require_GET, *page)
def privacy_export(request: HttpRequest) -> HttpResponse:
    """Everything held about me, as JSON (GDPR Art. 15 and 20)."""
    data = account_export(user=request.user)  # type: ignore[arg-type]
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="connect-id-{stamp}.json"'
    return response


@decorate(require_POST, *page, step_up)
def privacy_delete(request: HttpRequest) -> HttpResponse:
    """Delete my account after confirmation: tokens revoked, services told, data erased."""
    form = DeleteAccountForm(request.POST)
    if not form.is_valid():
        return screen(request, "privacy", {"form": form}, status=400)
    user: User = request.user  # type: ignore[assignment]
    account_delete(user=user, actor=actor(request))
    logout(request)
    return render(request, "mypage/deleted.html")
