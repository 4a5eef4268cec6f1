"""The sign-in pages: identifier first, then an SMS PIN (LoA 1) or a password (LoA 2), sign-up,
password reset, and the steps that add an essential email or phone (spec §1.1, §2.2-§2.5).

Every page works without JavaScript. What a page says never tells whether an account exists
before the person has proved they hold the number (a PIN) or the address (a link).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import phonenumbers
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import notifications, throttle
from accounts.audit import Actor
from accounts.backends import remember_device
from accounts.errors import (
    IdentifierInvalid,
    PinAttemptsExceeded,
    PinExpired,
    PinInvalid,
    PinResendTooSoon,
    ResetLinkInvalid,
    SignUpLinkInvalid,
)
from accounts.models import Client, Email, OneTimePin, Phone, User
from accounts.oidc.sso import FRESH_KEY, current_session, sign_in, sign_out
from accounts.selectors import user_find_by_identifier
from accounts.services import email_add, phone_add, phone_send_verification, phone_verify_pin
from accounts.services.signin import (
    contact_verified_in_flow,
    password_reset,
    pin_check,
    pin_send,
    session_reauthenticate,
    user_set_language,
    user_sign_up,
)
from accounts.services.users import user_set_password
from accounts.services.verification import email_send_verification
from accounts.signin.flow import Flow, safe_next
from accounts.signin.forms import (
    EmailForm,
    IdentifierForm,
    NewPasswordForm,
    PasswordForm,
    PhoneForm,
    PinForm,
    SignUpForm,
)
from accounts.validators import normalize_identifier
from connect_id import metrics
from connect_id.errors import DomainError
from connect_id.pages import decorate

_SIGNUP_SALT = "accounts.signup-link"

page = [never_cache, csrf_protect, require_http_methods(["GET", "POST"])]


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _display_number(number: str) -> str:
    try:
        parsed = phonenumbers.parse("+" + number)
    except phonenumbers.NumberParseException:
        return "+" + number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _display(flow: Flow) -> str:
    return _display_number(flow.identifier) if flow.kind == "phone" else flow.identifier


def _render(
    request: HttpRequest,
    template: str,
    flow: Flow,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    retry_after: int | None = None,
) -> HttpResponse:
    client = flow.client
    full = {
        "flow": flow,
        "client": client,
        "shown_identifier": _display(flow) if flow.identifier else "",
        "offer_stay": client is not None and client.stay_signed_in != Client.StaySignedIn.HIDDEN,
        "stay_default": client is not None and client.stay_signed_in == Client.StaySignedIn.TICKED,
        "pin_minutes": max(1, settings.PHONE_VERIFICATION_PIN_TTL // 60),
        **(context or {}),
    }
    response = render(request, f"signin/{template}.html", full, status=status)
    if retry_after is not None:
        # RFC 9110 §10.2.3 (and RFC 6585 §4 for 429).
        response["Retry-After"] = str(retry_after)
    return response


def _throttled(
    request: HttpRequest, template: str, flow: Flow, exc: throttle.Throttled, **context: Any
) -> HttpResponse:
    minutes = max(1, round(exc.retry_after / 60))
    message = _("Too many attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes}
    return _render(
        request,
        template,
        flow,
        {**context, "errors": [message]},
        status=429,
        retry_after=exc.retry_after,
    )


def _go(name: str, **query: str) -> HttpResponseRedirect:
    url = reverse(f"gui:{name}")
    return HttpResponseRedirect(f"{url}?{urlencode(query)}" if query else url)


def _password_required(flow: Flow) -> bool:
    client = flow.client
    return flow.authorize.acr == "2" or bool(client and client.require_password)


def _complete(
    request: HttpRequest, flow: Flow, user: User, *, acr: str, amr: list[str]
) -> HttpResponse:
    """Signed in: one SSO session in this browser (re-authenticated in place for the same
    person, replaced for another), then back to the authorization request."""
    client = flow.client
    offered = client is not None and client.stay_signed_in != Client.StaySignedIn.HIDDEN
    # spec §2.5: an unticked "stay signed in" gives a browser-session cookie and td_sls=true.
    short_lived = offered and flow.stay is False
    username = flow.identifier
    session = current_session(request)
    next_url = flow.next
    if session is not None and session.user_id == user.pk:
        session_reauthenticate(session=session, acr=acr, amr=amr, username=username)
        if session.short_lived != short_lived:
            type(session).objects.filter(pk=session.pk).update(short_lived=short_lived)
        request.session[FRESH_KEY] = True
    else:
        if request.user.is_authenticated:
            sign_out(request)  # never two SSO sessions stacked in one browser
        sign_in(request, user, acr=acr, amr=amr, username=username, short_lived=short_lived)
    request.session.set_expiry(0 if short_lived else settings.SESSION_COOKIE_AGE)
    if not user.language:
        user_set_language(user=user, language=get_language() or settings.LANGUAGE_CODE)
    Flow.clear(request)
    metrics.SIGNINS.labels("password" if "UID_PWD" in amr else "sms_pin", "success").inc()
    response = HttpResponseRedirect(next_url)
    remember_device(request, response, user)
    return response


def _flow_or_restart(request: HttpRequest) -> Flow | None:
    flow = Flow.load(request)
    return flow if flow.identifier else None


def _restart(request: HttpRequest) -> HttpResponse:
    flow = Flow.load(request)
    return _go("signin", next=flow.next) if flow.next != "/" else _go("signin")


# --- Step 1: the identifier -------------------------------------------------------------------


@decorate(*page)
def signin(request: HttpRequest) -> HttpResponse:
    """One entry for everyone: a phone number or an email; CONNECT decides what comes next."""
    if request.method == "GET":
        flow = Flow(next=safe_next(request, request.GET.get("next")))
        session = current_session(request)
        reauthenticating = flow.next.startswith("/oauth/authorize") and "change" not in request.GET
        if session is not None and session.username and reauthenticating:
            # Re-authentication of the signed-in person (step-up to LoA 2, max_age): straight
            # to the password for a password step; the identifier is prefilled otherwise.
            flow.kind = "email" if "@" in session.username else "phone"
            flow.identifier = session.username
            if flow.kind == "email" or flow.authorize.acr == "2":
                flow.save(request)
                return _go("signin-password")
        form = IdentifierForm(client=flow.client, initial={"identifier": _hint(request, flow)})
        flow.save(request)
        return _render(request, "identifier", flow, {"form": form})
    flow = Flow.load(request)
    if "next" in request.POST:
        flow.next = safe_next(request, request.POST.get("next"))
    form = IdentifierForm(request.POST, client=flow.client)
    if not form.is_valid():
        return _render(request, "identifier", flow, {"form": form}, status=400)
    try:
        kind, identifier = normalize_identifier(
            form.cleaned_data["identifier"], default_region=settings.PHONE_DEFAULT_REGION
        )
    except IdentifierInvalid as exc:
        form.add_error("identifier", str(exc.message))
        return _render(request, "identifier", flow, {"form": form}, status=400)
    if kind not in form.offers:
        message = (
            _("This service signs you in with your mobile number.")
            if kind == "email"
            else _("This service signs you in with your email address.")
        )
        form.add_error("identifier", message)
        return _render(request, "identifier", flow, {"form": form}, status=400)
    flow.kind, flow.identifier = kind, identifier
    flow.pin_id = flow.proved_number = ""
    flow.save(request)
    if kind == "email" or flow.authorize.acr == "2" or request.POST.get("with") == "password":
        return _go("signin-password")
    return _send_pin(request, flow, OneTimePin.Purpose.SIGNIN, "identifier", {"form": form})


def _hint(request: HttpRequest, flow: Flow) -> str:
    """The login_hint to prefill: the one of the kind offered first (CONNECT's shop sent a
    phone and an email), or the identifier of the session being re-authenticated."""
    session = current_session(request)
    if session is not None and session.username:
        return (
            _display_number(session.username) if "@" not in session.username else session.username
        )
    hints = flow.authorize.login_hints
    offers = IdentifierForm(client=flow.client).offers
    for kind in offers:
        for hint in hints:
            if ("@" in hint) == (kind == "email"):
                return hint
    return hints[0] if hints else ""


def _send_pin(
    request: HttpRequest, flow: Flow, purpose: str, template: str, context: dict[str, Any]
) -> HttpResponse:
    try:
        row = pin_send(
            number=flow.identifier,
            purpose=purpose,
            ip=_ip(request),
            language=get_language(),
            previous_id=flow.pin_id or None,
        )
    except throttle.Throttled as exc:
        return _throttled(request, template, flow, exc, **context)
    except PinResendTooSoon as exc:
        return _render(
            request,
            template,
            flow,
            {**context, "errors": [str(exc.message)]},
            status=429,
            retry_after=settings.PIN_RESEND_COOLDOWN,
        )
    flow.pin_id, flow.pin_purpose = row.pk, purpose
    flow.save(request)
    return _go("signin-pin")


# --- LoA 2: the password ---------------------------------------------------------------------


@decorate(*page, sensitive_post_parameters("password"))
def password(request: HttpRequest) -> HttpResponse:
    flow = _flow_or_restart(request)
    if flow is None:
        return _restart(request)
    if request.method == "GET":
        notice = _("Your password is changed. Sign in with it.") if "changed" in request.GET else ""
        return _render(request, "password", flow, {"form": PasswordForm(), "notice": notice})
    form = PasswordForm(request.POST)
    if not form.is_valid():
        return _render(request, "password", flow, {"form": form}, status=400)
    flow.stay = form.cleaned_data["stay"]
    try:
        user = authenticate(
            request, username=flow.identifier, password=form.cleaned_data["password"]
        )
    except throttle.Throttled as exc:
        metrics.SIGNINS.labels("password", "throttled").inc()
        return _throttled(request, "password", flow, exc, form=PasswordForm(), offer_pin=True)
    if user is None:
        metrics.SIGNINS.labels("password", "failure").inc()
        form.add_error(None, _("Wrong phone number, email or password."))
        return _render(request, "password", flow, {"form": form}, status=400)
    amr = ["OTP", "UID_PWD"] if flow.proved_number == flow.identifier else ["UID_PWD"]
    # Password authentication is LoA 2 (spec §2.3), amr UID_PWD (spec §2.2).
    return _complete(request, flow, user, acr="2", amr=amr)


@decorate(never_cache, csrf_protect, require_POST)
def pin_start(request: HttpRequest) -> HttpResponse:
    """From the password page: sign in (or sign up) with a code by SMS instead."""
    flow = _flow_or_restart(request)
    if flow is None or flow.kind != "phone":
        return _restart(request)
    return _send_pin(request, flow, OneTimePin.Purpose.SIGNIN, "password", {"form": PasswordForm()})


# --- LoA 1: the SMS PIN ----------------------------------------------------------------------


@decorate(*page)
def pin(request: HttpRequest) -> HttpResponse:
    flow = _flow_or_restart(request)
    if flow is None or flow.kind != "phone" or not flow.pin_purpose:
        return _restart(request)
    if request.method == "GET":
        return _render(request, "pin", flow, {"form": PinForm()})
    if "resend" in request.POST:
        return _send_pin(request, flow, flow.pin_purpose, "pin", {"form": PinForm()})
    form = PinForm(request.POST)
    if not form.is_valid():
        return _render(request, "pin", flow, {"form": form}, status=400)
    flow.stay = form.cleaned_data["stay"]
    try:
        row = pin_check(pin_id=flow.pin_id, code=form.cleaned_data["pin"]) if flow.pin_id else None
    except (PinInvalid, PinExpired, PinAttemptsExceeded) as exc:
        metrics.SIGNINS.labels("sms_pin", "failure").inc()
        form.add_error("pin", str(exc.message))
        return _render(
            request,
            "pin",
            flow,
            {"form": form, "dead": not isinstance(exc, PinInvalid)},
            status=400,
        )
    if row is None or row.number != flow.identifier:
        metrics.SIGNINS.labels("sms_pin", "failure").inc()
        form.add_error("pin", str(PinInvalid.message))
        return _render(request, "pin", flow, {"form": form}, status=400)
    flow.proved_number, flow.pin_id = row.number, ""
    flow.save(request)
    user = user_find_by_identifier(row.number)
    if row.purpose == OneTimePin.Purpose.RESET:
        return _go("signin-new-password")
    if user is None:
        return _go("signin-signup")
    if flow.authorize.acr == "2":
        # LoA 2 needs the password too (spec §2.3); an account without one chooses it now.
        return _go("signin-password" if user.has_usable_password() else "signin-new-password")
    # SMS one-time PIN is LoA 1 (spec §2.2, §2.3), amr OTP.
    return _complete(request, flow, user, acr="1", amr=["OTP"])


# --- Sign-up ---------------------------------------------------------------------------------


@decorate(*page, sensitive_post_parameters("password", "password2"))
def signup(request: HttpRequest) -> HttpResponse:
    """A new account for the number a PIN just proved."""
    flow = _flow_or_restart(request)
    if flow is None or flow.kind != "phone" or flow.proved_number != flow.identifier:
        return _restart(request)
    if user_find_by_identifier(flow.identifier) is not None:
        return _restart(request)
    required = _password_required(flow)
    if request.method == "GET":
        form = SignUpForm(password_required=required)
        return _render(request, "signup", flow, {"form": form})
    form = SignUpForm(request.POST, password_required=required)
    if not form.is_valid():
        return _render(request, "signup", flow, {"form": form}, status=400)
    flow.stay = form.cleaned_data["stay"]
    try:
        user = user_sign_up(
            realname=form.cleaned_data["name"],
            phone=flow.identifier,
            password=form.cleaned_data.get("password") or None,
            language=get_language() or "",
        )
    except DomainError as exc:
        form.add_error("password" if exc.field == "password" else None, str(exc.message))
        return _render(request, "signup", flow, {"form": form}, status=400)
    if required:
        return _complete(request, flow, user, acr="2", amr=["OTP", "UID_PWD"])
    return _complete(request, flow, user, acr="1", amr=["OTP"])


@decorate(never_cache, csrf_protect, require_POST)
def signup_email(request: HttpRequest) -> HttpResponse:
    """From the password page, for an email: mail a sign-up link (or, when the address already
    has an account, a note saying so with a reset link): the page says the same either way."""
    flow = _flow_or_restart(request)
    if flow is None or flow.kind != "email":
        return _restart(request)
    try:
        _mail_allowed(request, flow.identifier)
    except throttle.Throttled as exc:
        return _throttled(request, "password", flow, exc, form=PasswordForm())
    user = user_find_by_identifier(flow.identifier)
    language = get_language()
    if user is not None:
        notifications.send_templated_email(
            to=flow.identifier,
            template="signup_exists",
            context={"link": _reset_link(user, flow.next)},
            language=language,
        )
    else:
        token = signing.dumps({"a": flow.identifier, "n": flow.next}, salt=_SIGNUP_SALT)
        link = f"{settings.SITE_URL}{reverse('gui:signup-link')}?{urlencode({'token': token})}"
        notifications.send_templated_email(
            to=flow.identifier,
            template="signup_link",
            context={"link": link, "hours": settings.SIGNUP_LINK_MAX_AGE // 3600},
            language=language,
        )
    return _go("signin-email-sent", what="signup")


def _mail_allowed(request: HttpRequest, address: str) -> None:
    checks = [(throttle.MAIL_PER_ADDRESS, address)]
    if _ip(request):
        checks.append((throttle.MAIL_PER_IP, _ip(request) or ""))
    throttle.consume(checks)


@decorate(*page, sensitive_post_parameters("password", "password2"))
def signup_link(request: HttpRequest) -> HttpResponse:
    """The sign-up link from the mail: the address is proved; ask for a name and a password."""
    token = request.POST.get("token") or request.GET.get("token", "")
    try:
        data = signing.loads(token, salt=_SIGNUP_SALT, max_age=settings.SIGNUP_LINK_MAX_AGE)
        address, next_url = str(data["a"]), safe_next(request, str(data.get("n") or "/"))
    except (signing.BadSignature, KeyError, TypeError):
        return _render(
            request, "message", Flow(), {"errors": [str(SignUpLinkInvalid.message)]}, status=400
        )
    flow = Flow(next=next_url, kind="email", identifier=address)
    if user_find_by_identifier(address) is not None:  # used already: single use
        return _render(
            request, "message", flow, {"errors": [str(SignUpLinkInvalid.message)]}, status=400
        )
    if request.method == "GET":
        form = SignUpForm(password_required=True)
        return _render(request, "signup", flow, {"form": form, "token": token})
    form = SignUpForm(request.POST, password_required=True)
    if not form.is_valid():
        return _render(request, "signup", flow, {"form": form, "token": token}, status=400)
    flow.stay = form.cleaned_data["stay"]
    try:
        user = user_sign_up(
            realname=form.cleaned_data["name"],
            email=address,
            password=form.cleaned_data["password"],
            language=get_language() or "",
        )
    except DomainError as exc:
        form.add_error("password" if exc.field == "password" else None, str(exc.message))
        return _render(request, "signup", flow, {"form": form, "token": token}, status=400)
    return _complete(request, flow, user, acr="2", amr=["UID_PWD"])


@decorate(never_cache, require_http_methods(["GET"]))
def email_sent(request: HttpRequest) -> HttpResponse:
    flow = Flow.load(request)
    what = request.GET.get("what", "signup")
    return _render(request, "email_sent", flow, {"what": what})


# --- Password reset --------------------------------------------------------------------------


def _reset_link(user: User, next_url: str) -> str:
    query = urlencode(
        {
            "uid": urlsafe_base64_encode(user.pk.encode()),
            "token": default_token_generator.make_token(user),
            "next": next_url,
        }
    )
    return f"{settings.SITE_URL}{reverse('gui:reset-link')}?{query}"


@decorate(never_cache, csrf_protect, require_POST)
def forgot(request: HttpRequest) -> HttpResponse:
    """ "Forgot password?": a link by mail for an email, a PIN by SMS for a phone; nothing is
    sent where there is no account, and the page does not say which."""
    flow = _flow_or_restart(request)
    if flow is None:
        return _restart(request)
    user = user_find_by_identifier(flow.identifier)
    if flow.kind == "email":
        try:
            _mail_allowed(request, flow.identifier)
        except throttle.Throttled as exc:
            return _throttled(request, "password", flow, exc, form=PasswordForm())
        if user is not None:
            notifications.send_templated_email(
                to=flow.identifier,
                template="password_reset",
                context={
                    "link": _reset_link(user, flow.next),
                    "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
                },
                language=user.language or get_language(),
            )
        return _go("signin-email-sent", what="reset")
    if user is None:
        # Same page as with an account; the code never comes, and none is accepted.
        flow.pin_id, flow.pin_purpose = "", OneTimePin.Purpose.RESET
        flow.save(request)
        return _go("signin-pin")
    return _send_pin(request, flow, OneTimePin.Purpose.RESET, "password", {"form": PasswordForm()})


@decorate(*page, sensitive_post_parameters("password", "password2"))
def new_password(request: HttpRequest) -> HttpResponse:
    """After a reset PIN: a new password. After a sign-in PIN at LoA 2 on an account that has
    none: its first password, and the person is signed in."""
    flow = _flow_or_restart(request)
    if flow is None or flow.proved_number != flow.identifier:
        return _restart(request)
    user = user_find_by_identifier(flow.identifier)
    if user is None:
        return _restart(request)
    resetting = flow.pin_purpose == OneTimePin.Purpose.RESET
    if not resetting and user.has_usable_password():
        return _restart(request)
    if request.method == "GET":
        return _render(request, "new_password", flow, {"form": NewPasswordForm()})
    form = NewPasswordForm(request.POST)
    if not form.is_valid():
        return _render(request, "new_password", flow, {"form": form}, status=400)
    try:
        if resetting:
            password_reset(
                user=user, password=form.cleaned_data["password"], actor=Actor.of_user(user)
            )
        else:
            user_set_password(
                user=user, password=form.cleaned_data["password"], actor=Actor.of_user(user)
            )
    except DomainError as exc:
        form.add_error("password", str(exc.message))
        return _render(request, "new_password", flow, {"form": form}, status=400)
    if resetting:
        if request.user.is_authenticated:
            sign_out(request)  # the reset ended every session; keep the flow going
        flow.proved_number = flow.pin_purpose = ""
        flow.save(request)
        return _go("signin-password", changed="1")
    return _complete(request, flow, user, acr="2", amr=["OTP", "UID_PWD"])


@decorate(*page, sensitive_post_parameters("password", "password2"))
def reset_link(request: HttpRequest) -> HttpResponse:
    """The reset link from the mail (Django's token: single use, as it hashes the password)."""
    params = request.POST if request.method == "POST" else request.GET
    uid, token = params.get("uid", ""), params.get("token", "")
    next_url = safe_next(request, params.get("next"))
    user = _reset_user(uid, token)
    flow = Flow(next=next_url)
    if user is None:
        return _render(
            request, "message", flow, {"errors": [str(ResetLinkInvalid.message)]}, status=400
        )
    link = {"uid": uid, "token": token, "next": next_url}
    if request.method == "GET":
        return _render(request, "new_password", flow, {"form": NewPasswordForm(), "link": link})
    form = NewPasswordForm(request.POST)
    if not form.is_valid():
        return _render(request, "new_password", flow, {"form": form, "link": link}, status=400)
    try:
        password_reset(user=user, password=form.cleaned_data["password"], actor=Actor.of_user(user))
    except DomainError as exc:
        form.add_error("password", str(exc.message))
        return _render(request, "new_password", flow, {"form": form, "link": link}, status=400)
    if request.user.is_authenticated:
        sign_out(request)
    address = Email.objects.filter(user=user, verified=True, preferred=True).first()
    flow = Flow(
        next=next_url, kind="email", identifier=address.address.casefold() if address else ""
    )
    if not flow.identifier:
        return _go("signin", next=next_url)
    flow.save(request)
    return _go("signin-password", changed="1")


def _reset_user(uid: str, token: str) -> User | None:
    try:
        user_id = urlsafe_base64_decode(uid).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=user_id[:19]).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


# --- Essential claims: add and verify an email or a phone during sign-in ---------------------


def _essential_step(request: HttpRequest) -> tuple[User | None, Flow]:
    """The signed-in person (None: sign in first) and the authorization request to go back to."""
    session = current_session(request)
    flow = Flow(next=safe_next(request, request.POST.get("next") or request.GET.get("next")))
    return (session.user if session is not None else None), flow


@decorate(*page)
def add_email(request: HttpRequest) -> HttpResponse:
    """The service needs a verified email (an essential claim, spec §1.1 `claims`)."""
    user, flow = _essential_step(request)
    if user is None:
        return _go("signin", next=flow.next)
    if request.method == "GET":
        return _render(request, "add_email", flow, {"form": EmailForm()})
    form = EmailForm(request.POST)
    if not form.is_valid():
        return _render(request, "add_email", flow, {"form": form}, status=400)
    try:
        _mail_allowed(request, form.cleaned_data["email"].casefold())
        email = Email.objects.filter(
            user=user, address__iexact=form.cleaned_data["email"], verified=False
        ).first() or email_add(
            user=user, address=form.cleaned_data["email"], actor=Actor.of_user(user)
        )
        email_send_verification(
            email=email, actor=Actor.of_user(user), next_url=flow.next, language=get_language()
        )
    except throttle.Throttled as exc:
        return _throttled(request, "add_email", flow, exc, form=form)
    except DomainError as exc:  # taken by another account, invalid
        form.add_error("email", str(exc.message))
        return _render(request, "add_email", flow, {"form": form}, status=400)
    return _render(request, "email_sent", flow, {"what": "verify", "address": email.address})


@decorate(*page)
def add_phone(request: HttpRequest) -> HttpResponse:
    """The service needs a verified phone: add it, then enter the PIN sent to it."""
    user, flow = _essential_step(request)
    if user is None:
        return _go("signin", next=flow.next)
    if request.method == "GET":
        return _render(request, "add_phone", flow, {"form": PhoneForm()})
    phone_id = request.POST.get("phone_id", "")
    if phone_id:
        return _verify_added_phone(request, flow, user, phone_id)
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _render(request, "add_phone", flow, {"form": form}, status=400)
    try:
        _kind, number = normalize_identifier(
            form.cleaned_data["phone"].lstrip("@"), default_region=settings.PHONE_DEFAULT_REGION
        )
        phone = Phone.objects.filter(user=user, number=number, verified=False).first() or phone_add(
            user=user, number=number, actor=Actor.of_user(user)
        )
        phone_send_verification(phone=phone, actor=Actor.of_user(user))
    except throttle.Throttled as exc:
        return _throttled(request, "add_phone", flow, exc, form=form)
    except DomainError as exc:  # taken by another account, invalid, too many SMS
        form.add_error("phone", str(exc.message))
        wait = getattr(exc, "retry_after", None)
        return _render(
            request, "add_phone", flow, {"form": form}, status=exc.status, retry_after=wait
        )
    return _render(
        request,
        "add_phone",
        flow,
        {"pin_form": PinForm(), "phone": phone, "shown_number": _display_number(phone.number)},
    )


def _verify_added_phone(
    request: HttpRequest, flow: Flow, user: User, phone_id: str
) -> HttpResponse:
    phone = Phone.objects.filter(user=user, pk=phone_id[:16]).first()
    if phone is None:
        return _go("signin-add-phone", next=flow.next)
    form = PinForm(request.POST)
    context = {"pin_form": form, "phone": phone, "shown_number": _display_number(phone.number)}
    if not form.is_valid():
        return _render(request, "add_phone", flow, context, status=400)
    try:
        phone = phone_verify_pin(
            phone=phone, code=form.cleaned_data["pin"], actor=Actor.of_user(user)
        )
        contact_verified_in_flow(contact=phone, actor=Actor.of_user(user))
    except DomainError as exc:
        form.add_error("pin", str(exc.message))
        return _render(request, "add_phone", flow, context, status=400)
    return HttpResponseRedirect(flow.next)
