"""The overview (name, preferred contacts, what needs attention, recent events), signing out,
and the about screen."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.oidc.sso import sign_out
from accounts.selectors_selfservice import emails_of, phones_of, security_events
from connect_id.pages import decorate
from mypage.views.common import display_number, go, isolated, page, screen
from mypage.views.privacy import shown_events


@decorate(require_http_methods(["GET"]), *page)
def overview(request: HttpRequest) -> HttpResponse:
    """Name, preferred email and phone, what needs attention, recent security events."""
    if request.GET.get("action") == "logout":  # CONNECT's sign-out link (spec §6)
        return screen(request, "signout")
    user: User = request.user  # type: ignore[assignment]
    emails, phones = emails_of(user), phones_of(user)
    attention: list[tuple[str, str]] = [
        ("manageemail", isolated(_("{address} is not verified yet."), address=email.address))
        for email in emails
        if not email.verified
    ]
    attention += [
        (
            "managephone",
            isolated(_("{number} is not verified yet."), number=display_number(phone.number)),
        )
        for phone in phones
        if not phone.verified
    ]
    if not user.has_usable_password():
        attention.append(("changepassword", _("You have no password yet.")))
    if not user.realname:
        attention.append(("changeprofile", _("Your name is missing.")))
    preferred_phone = next((p for p in phones if p.preferred), None)
    context = {
        "preferred_email": next((e for e in emails if e.preferred), None),
        "preferred_phone": preferred_phone,
        "preferred_phone_shown": display_number(preferred_phone.number) if preferred_phone else "",
        "attention": attention,
        "events": shown_events(security_events(user, limit=5)),
    }
    return screen(request, "overview", context)


@decorate(require_POST, *page)
def signout(request: HttpRequest) -> HttpResponse:
    """Sign out of CONNECT ID in this browser (every service of this session is told)."""
    sign_out(request)
    return render(request, "mypage/signed_out.html")


@decorate(require_GET, *page)
def about(request: HttpRequest) -> HttpResponse:
    return screen(request, "about", {"terms_version": settings.TERMS_VERSION})


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """/gui/mypage → the overview (spec §6), keeping a backlink's query."""
    response = go("overview")
    if request.GET:
        response["Location"] += "?" + request.GET.urlencode()
    return response
