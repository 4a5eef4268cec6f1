"""Pages of the identity domain's own flows: the front page, the terms, and confirming an
email address from its link."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.audit import Actor
from accounts.errors import EmailTaken, VerificationLinkInvalid
from accounts.services import email_verify_token
from accounts.services.signin import contact_verified_in_flow
from accounts.services.verification import email_from_verification_token
from accounts.signin.flow import safe_next


@never_cache
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    """The front page: sign in, and My CONNECT account."""
    return render(request, "home.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token (an old tab, blocked cookies): say so to the
    person; the reason is for developers and stays out of the page."""
    return render(request, "403_csrf.html", status=403)


@require_http_methods(["GET"])
def terms(request: HttpRequest) -> HttpResponse:
    """CONNECT ID's own terms of use and privacy notice (spec §6: /gui/connect/tnc)."""
    return render(request, "terms.html", {"version": settings.TERMS_VERSION})


@never_cache
@require_http_methods(["GET", "POST"])
def email_verify(request: HttpRequest) -> HttpResponse:
    """GET shows the address and a button; POST verifies it. A link opened by a mail scanner
    (a GET) therefore verifies nothing."""
    token = (request.POST.get("token") if request.method == "POST" else None) or request.GET.get(
        "token", ""
    )
    params = request.POST if request.method == "POST" else request.GET
    next_url = safe_next(request, params.get("next")) if params.get("next") else ""
    context: dict[str, object] = {"token": token, "next": next_url}
    try:
        email = email_from_verification_token(token)
    except VerificationLinkInvalid:
        return render(request, "accounts/verify_email.html", {"state": "invalid"}, status=400)
    context["address"] = email.address
    if request.method == "GET":
        context["state"] = "verified" if email.verified else "confirm"
        return render(request, "accounts/verify_email.html", context)
    try:
        email = email_verify_token(token=token)
        if next_url:
            # Verified during a sign-in (an essential email): make it the one released, go on.
            contact_verified_in_flow(contact=email, actor=Actor.of_user(email.user))
            return HttpResponseRedirect(next_url)
    except VerificationLinkInvalid:
        return render(request, "accounts/verify_email.html", {"state": "invalid"}, status=400)
    except EmailTaken:
        context["state"] = "taken"
        return render(request, "accounts/verify_email.html", context, status=409)
    context["state"] = "verified"
    return render(request, "accounts/verify_email.html", context)
