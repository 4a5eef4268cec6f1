"""The sign-in and sign-out pages (email or phone + password)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import throttle
from accounts.oidc.sso import sign_in


class SignInForm(forms.Form):
    username = forms.CharField(label="Email or phone number", max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, max_length=1024)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _login_hint(next_url: str) -> str:
    # OIDC Core §3.1.2.1: login_hint pre-fills the identifier (CONNECT: phone or email).
    hints = parse_qs(urlsplit(next_url).query).get("login_hint", [])
    return next((h for h in hints if not h.startswith("MCCMNC:")), "")


@never_cache
@csrf_protect
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.method == "POST":
        form = SignInForm(request.POST)
        ip = request.META.get("REMOTE_ADDR")
        if form.is_valid() and throttle.throttled(form.cleaned_data["username"], ip):
            form.add_error(None, "Too many failed attempts. Wait a few minutes and try again.")
            return render(request, "oidc/signin.html", {"form": form, "next": next_url}, status=429)
        if form.is_valid():
            user = authenticate(
                request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
            if user is not None:
                # Password authentication: LoA 2, amr UID_PWD (spec §2.2, §2.3).
                sign_in(request, user, acr="2", amr=["UID_PWD"])
                return HttpResponseRedirect(next_url)
            form.add_error(None, "Wrong email, phone number or password.")
        status = 400 if form.errors else 200
    else:
        form = SignInForm(initial={"username": _login_hint(next_url)})
        status = 200
    return render(request, "oidc/signin.html", {"form": form, "next": next_url}, status=status)
