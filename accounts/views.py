"""Pages of the identity domain's own flows: confirming an email address from its link."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.errors import EmailTaken, VerificationLinkInvalid
from accounts.services import email_verify_token
from accounts.services.verification import email_from_verification_token


@never_cache
@require_http_methods(["GET", "POST"])
def email_verify(request: HttpRequest) -> HttpResponse:
    """GET shows the address and a button; POST verifies it. A link opened by a mail scanner
    (a GET) therefore verifies nothing."""
    token = (request.POST.get("token") if request.method == "POST" else None) or request.GET.get(
        "token", ""
    )
    context: dict[str, object] = {"token": token}
    try:
        email = email_from_verification_token(token)
    except VerificationLinkInvalid:
        return render(request, "accounts/verify_email.html", {"state": "invalid"}, status=400)
    context["address"] = email.address
    if request.method == "GET":
        context["state"] = "verified" if email.verified else "confirm"
        return render(request, "accounts/verify_email.html", context)
    try:
        email_verify_token(token=token)
    except VerificationLinkInvalid:
        return render(request, "accounts/verify_email.html", {"state": "invalid"}, status=400)
    except EmailTaken:
        context["state"] = "taken"
        return render(request, "accounts/verify_email.html", context, status=409)
    context["state"] = "verified"
    return render(request, "accounts/verify_email.html", context)
