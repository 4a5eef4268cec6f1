"""The screens of My CONNECT account (spec §6): function views that read through selectors and
change things only through the services of accounts. Every object comes from the URL and is
looked up among the signed-in person's own, so anyone else's is a 404."""

from __future__ import annotations

import json
from typing import Any, Literal, cast

import phonenumbers
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import throttle
from accounts.audit import Actor
from accounts.models import Client, Email, Phone, SignInSession, User
from accounts.oidc.sso import sign_out
from accounts.selectors_selfservice import (
    connected_services,
    emails_of,
    live_sessions,
    phones_of,
    security_events,
)
from accounts.services import (
    email_add,
    email_send_verification,
    phone_add,
    phone_send_verification,
    phone_verify_pin,
    user_update,
)
from accounts.services.selfservice import (
    UndoLinkInvalid,
    account_delete,
    account_export,
    account_lockdown,
    client_access_remove,
    contact_prefer,
    contact_remove,
    password_change,
    preferred_email_undo,
    session_end_own,
    sessions_end_others,
)
from accounts.services.signin import user_set_language
from accounts.validators import normalize_identifier
from connect_id.errors import DomainError
from connect_id.pages import decorate
from mypage.auth import portal_page, step_up
from mypage.forms import (
    AddEmailForm,
    AddPhoneForm,
    DeleteAccountForm,
    PasswordChangeForm,
    PinForm,
    ProfileForm,
)
from mypage.useragent import describe


def _actor(request: HttpRequest) -> Actor:
    return Actor.of_user(request.user)  # type: ignore[arg-type]


def _screen(
    request: HttpRequest, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        f"mypage/{name}.html",
        {"screen": name, "portal_user": request.user, **(context or {})},
        status=status,
    )


def _go(name: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(f"mypage:{name}"))


def display_number(number: str) -> str:
    try:
        parsed = phonenumbers.parse("+" + number)
    except phonenumbers.NumberParseException:
        return "+" + number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _isolated(message: str, **values: str) -> SafeString:
    """*message* (a translated "{name}" template) with each value escaped and isolated left to
    right: a right-to-left sentence would reverse a number's digit groups."""
    return format_html(
        message, **{k: format_html('<bdi dir="ltr">{}</bdi>', v) for k, v in values.items()}
    )


def _own(model: type[Email] | type[Phone], request: HttpRequest, pk: str) -> Any:
    found = model.objects.filter(pk=pk[:16], user_id=request.user.pk).first()
    if found is None:
        raise Http404()
    return found


page = [never_cache, csrf_protect, portal_page]


# --- Overview ---------------------------------------------------------------------------------


@decorate(require_http_methods(["GET"]), *page)
def overview(request: HttpRequest) -> HttpResponse:
    """Name, preferred email and phone, what needs attention, recent security events."""
    if request.GET.get("action") == "logout":  # CONNECT's sign-out link (spec §6)
        return _screen(request, "signout")
    user: User = request.user  # type: ignore[assignment]
    emails, phones = emails_of(user), phones_of(user)
    attention: list[tuple[str, str]] = []
    for email in emails:
        if not email.verified:
            attention.append(
                (
                    "manageemail",
                    _isolated(_("{address} is not verified yet."), address=email.address),
                )
            )
    for phone in phones:
        if not phone.verified:
            attention.append(
                (
                    "managephone",
                    _isolated(
                        _("{number} is not verified yet."), number=display_number(phone.number)
                    ),
                )
            )
    if not user.has_usable_password():
        attention.append(("changepassword", _("You have no password yet.")))
    if not user.realname:
        attention.append(("changeprofile", _("Your name is missing.")))
    context = {
        "preferred_email": next((e for e in emails if e.preferred), None),
        "preferred_phone": next((p for p in phones if p.preferred), None),
        "preferred_phone_shown": next(
            (display_number(p.number) for p in phones if p.preferred), ""
        ),
        "attention": attention,
        "events": _events(security_events(user, limit=5)),
    }
    return _screen(request, "overview", context)


@decorate(require_POST, *page)
def signout(request: HttpRequest) -> HttpResponse:
    """Sign out of CONNECT ID in this browser (every service of this session is told)."""
    sign_out(request)
    return render(request, "mypage/signed_out.html")


# --- Profile ----------------------------------------------------------------------------------


@decorate(require_http_methods(["GET", "POST"]), *page)
def changeprofile(request: HttpRequest) -> HttpResponse:
    """Name, birth date and language (of the pages and of the messages CONNECT ID sends)."""
    user: User = request.user  # type: ignore[assignment]
    initial = {
        "name": user.realname,
        "birthdate": user.birthdate,
        "language": user.language or request.LANGUAGE_CODE,  # type: ignore[attr-defined]
    }
    if request.method == "GET":
        return _screen(request, "changeprofile", {"form": ProfileForm(initial=initial)})
    form = ProfileForm(request.POST, initial=initial)
    if not form.is_valid():
        return _screen(request, "changeprofile", {"form": form}, status=400)
    try:
        user_update(
            user=user,
            actor=_actor(request),
            realname=form.cleaned_data["name"],
            birthdate=form.cleaned_data["birthdate"],
        )
    except DomainError as exc:
        form.add_error("birthdate" if exc.field == "birthdate" else "name", str(exc.message))
        return _screen(request, "changeprofile", {"form": form}, status=400)
    language = form.cleaned_data["language"]
    user_set_language(user=user, language=language)
    messages.success(request, _("Your profile is saved."))
    response = _go("changeprofile")
    # The switcher's cookie decides the page language first: it follows the profile.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        # A setting is a plain str to the stubs; Django itself validates the value.
        samesite=cast(Literal["Lax", "Strict", "None"], settings.LANGUAGE_COOKIE_SAMESITE),
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response


# --- Password ---------------------------------------------------------------------------------


@decorate(
    require_http_methods(["GET", "POST"]),
    sensitive_post_parameters("current", "password", "password2"),
    *page,
    step_up,
)
def changepassword(request: HttpRequest) -> HttpResponse:
    """Set a first password or change it (the current one is needed); other sessions end."""
    user: User = request.user  # type: ignore[assignment]
    has_password = user.has_usable_password()
    if request.method == "GET":
        return _screen(
            request, "changepassword", {"form": PasswordChangeForm(has_password=has_password)}
        )
    form = PasswordChangeForm(request.POST, has_password=has_password)
    if not form.is_valid():
        return _screen(request, "changepassword", {"form": form}, status=400)
    try:
        password_change(
            user=user,
            password=form.cleaned_data["password"],
            current_password=form.cleaned_data.get("current"),
            keep_session=request.portal_session,  # type: ignore[attr-defined]
            actor=_actor(request),
        )
    except DomainError as exc:
        form.add_error("current" if exc.field == "current" else "password", str(exc.message))
        return _screen(request, "changepassword", {"form": form}, status=400)
    # The password hash is part of the Django session's auth hash: keep this browser signed in.
    from django.contrib.auth import update_session_auth_hash

    update_session_auth_hash(request, user)
    messages.success(request, _("Your password is changed. You were signed out everywhere else."))
    return _go("overview")


# --- Email addresses --------------------------------------------------------------------------


def _mail_allowed(request: HttpRequest, address: str) -> None:
    checks = [(throttle.MAIL_PER_ADDRESS, address.casefold())]
    ip = request.META.get("REMOTE_ADDR")
    if ip:
        checks.append((throttle.MAIL_PER_IP, ip))
    throttle.consume(checks)


def _too_many(exc: throttle.Throttled) -> str:
    minutes = max(1, round(exc.retry_after / 60))
    return _("Too many attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes}


@decorate(require_http_methods(["GET", "POST"]), *page)
def manageemail(request: HttpRequest) -> HttpResponse:
    """The addresses: add one (a verification link is mailed), resend, remove, make preferred."""
    user: User = request.user  # type: ignore[assignment]
    form = AddEmailForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            address = form.cleaned_data["email"]
            try:
                _mail_allowed(request, address)
                email = email_add(user=user, address=address, actor=_actor(request))
                email_send_verification(email=email, actor=_actor(request))
            except throttle.Throttled as exc:
                form.add_error("email", _too_many(exc))
                status = 429
            except DomainError as exc:
                form.add_error("email", str(exc.message))
                status = exc.status
            else:
                messages.success(
                    request,
                    _isolated(
                        _("We sent a verification link to {address}. Open it to verify it."),
                        address=email.address,
                    ),
                )
                return _go("manageemail")
        else:
            status = 400
    return _screen(request, "manageemail", {"form": form, "emails": emails_of(user)}, status=status)


@decorate(require_POST, *page)
def email_resend(request: HttpRequest, pk: str) -> HttpResponse:
    email = _own(Email, request, pk)
    try:
        _mail_allowed(request, email.address)
        email_send_verification(email=email, actor=_actor(request))
    except throttle.Throttled as exc:
        messages.error(request, _too_many(exc))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _isolated(_("We sent a new verification link to {address}."), address=email.address),
        )
    return _go("manageemail")


@decorate(require_POST, *page, step_up)
def email_remove(request: HttpRequest, pk: str) -> HttpResponse:
    email = _own(Email, request, pk)
    try:
        contact_remove(contact=email, actor=_actor(request))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _isolated(_("{address} is removed."), address=email.address))
    return _go("manageemail")


@decorate(require_POST, *page, step_up)
def email_prefer(request: HttpRequest, pk: str) -> HttpResponse:
    email = _own(Email, request, pk)
    try:
        contact_prefer(contact=email, actor=_actor(request))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _isolated(_("{address} is now your preferred email."), address=email.address)
        )
    return _go("manageemail")


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def undo_email(request: HttpRequest) -> HttpResponse:
    """The link mailed to the old preferred address: GET asks, POST puts it back (a mail
    scanner's GET changes nothing). Needs no sign-in: the link proves the mailbox."""
    token = request.POST.get("token") if request.method == "POST" else request.GET.get("token")
    token = token or ""
    if request.method == "GET":
        return render(request, "mypage/undo_email.html", {"token": token, "state": "confirm"})
    try:
        email = preferred_email_undo(token=token)
    except UndoLinkInvalid as exc:
        return render(
            request,
            "mypage/undo_email.html",
            {"state": "invalid", "errors": [str(exc.message)]},
            status=400,
        )
    return render(request, "mypage/undo_email.html", {"state": "done", "address": email.address})


# --- Phone numbers ----------------------------------------------------------------------------


def _phones_screen(
    request: HttpRequest,
    form: AddPhoneForm | None = None,
    *,
    status: int = 200,
    retry_after: int | None = None,
) -> HttpResponse:
    phones = phones_of(request.user)  # type: ignore[arg-type]
    shown = [(phone, display_number(phone.number)) for phone in phones]
    response = _screen(
        request, "managephone", {"form": form or AddPhoneForm(), "phones": shown}, status=status
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@decorate(require_http_methods(["GET", "POST"]), *page)
def managephone(request: HttpRequest) -> HttpResponse:
    """The numbers: add one (a PIN by SMS, entered on the next page), resend, remove, prefer."""
    user: User = request.user  # type: ignore[assignment]
    if request.method == "GET":
        return _phones_screen(request)
    form = AddPhoneForm(request.POST)
    if not form.is_valid():
        return _phones_screen(request, form, status=400)
    try:
        _kind, number = normalize_identifier(
            form.cleaned_data["phone"].lstrip("@"), default_region=settings.PHONE_DEFAULT_REGION
        )
        if _kind != "phone":
            raise DomainError(
                _("Enter a mobile number with its country code, e.g. +47 912 34 567.")
            )
        phone = phone_add(user=user, number=number, actor=_actor(request))
        phone_send_verification(phone=phone, actor=_actor(request))
    except DomainError as exc:
        form.add_error("phone", str(exc.message))
        return _phones_screen(
            request, form, status=exc.status, retry_after=getattr(exc, "retry_after", None)
        )
    return HttpResponseRedirect(reverse("mypage:phone-verify", args=[phone.pk]))


@decorate(require_http_methods(["GET", "POST"]), *page)
def phone_verify(request: HttpRequest, pk: str) -> HttpResponse:
    """Enter the PIN sent to a number."""
    phone = _own(Phone, request, pk)
    if phone.verified:
        return _go("managephone")
    context = {
        "phone": phone,
        "shown_number": display_number(phone.number),
        "pin_minutes": max(1, settings.PHONE_VERIFICATION_PIN_TTL // 60),
    }
    if request.method == "GET":
        return _screen(request, "phone_verify", {**context, "form": PinForm()})
    form = PinForm(request.POST)
    if not form.is_valid():
        return _screen(request, "phone_verify", {**context, "form": form}, status=400)
    try:
        phone_verify_pin(phone=phone, code=form.cleaned_data["pin"], actor=_actor(request))
    except DomainError as exc:
        form.add_error("pin", str(exc.message))
        return _screen(request, "phone_verify", {**context, "form": form}, status=400)
    messages.success(
        request, _isolated(_("{number} is verified."), number=display_number(phone.number))
    )
    return _go("managephone")


@decorate(require_POST, *page)
def phone_resend(request: HttpRequest, pk: str) -> HttpResponse:
    phone = _own(Phone, request, pk)
    try:
        phone_send_verification(phone=phone, actor=_actor(request))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _go("managephone")
    return HttpResponseRedirect(reverse("mypage:phone-verify", args=[phone.pk]))


@decorate(require_POST, *page, step_up)
def phone_remove(request: HttpRequest, pk: str) -> HttpResponse:
    phone = _own(Phone, request, pk)
    try:
        contact_remove(contact=phone, actor=_actor(request))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _isolated(_("{number} is removed."), number=display_number(phone.number))
        )
    return _go("managephone")


@decorate(require_POST, *page, step_up)
def phone_prefer(request: HttpRequest, pk: str) -> HttpResponse:
    phone = _own(Phone, request, pk)
    try:
        contact_prefer(contact=phone, actor=_actor(request))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _isolated(
                _("{number} is now your preferred phone number."),
                number=display_number(phone.number),
            ),
        )
    return _go("managephone")


# --- Connected services -----------------------------------------------------------------------


@decorate(require_GET, *page)
def manageclientauthorizations(request: HttpRequest) -> HttpResponse:
    """The services I allowed: name, logo, what they may see and do, when last used."""
    services = connected_services(request.user)  # type: ignore[arg-type]
    return _screen(request, "manageclientauthorizations", {"services": services})


@decorate(require_POST, *page)
def service_remove(request: HttpRequest, pk: int) -> HttpResponse:
    client = Client.objects.filter(pk=pk, consents__user_id=request.user.pk).first()
    if client is None:
        raise Http404()
    client_access_remove(user=request.user, client=client, actor=_actor(request))  # type: ignore[arg-type]
    messages.success(
        request, _("%(name)s no longer has access to your account.") % {"name": client.name}
    )
    return _go("manageclientauthorizations")


# --- Sessions and devices ---------------------------------------------------------------------


@decorate(require_GET, *page)
def sessions(request: HttpRequest) -> HttpResponse:
    """Where I am signed in: browser and system, IP, last activity, the services used."""
    current: SignInSession = request.portal_session  # type: ignore[attr-defined]
    rows = []
    for live in live_sessions(request.user):  # type: ignore[arg-type]
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
    return _screen(request, "sessions", {"rows": rows, "others": len(rows) > 1})


@decorate(require_POST, *page)
def session_end(request: HttpRequest, pk: str) -> HttpResponse:
    current: SignInSession = request.portal_session  # type: ignore[attr-defined]
    if pk == current.pk:
        sign_out(request)
        return render(request, "mypage/signed_out.html")
    try:
        session_end_own(user=request.user, session_id=pk[:43], actor=_actor(request))  # type: ignore[arg-type]
    except SignInSession.DoesNotExist:
        raise Http404() from None
    messages.success(request, _("That session is signed out."))
    return _go("sessions")


@decorate(require_POST, *page)
def sessions_end_others_view(request: HttpRequest) -> HttpResponse:
    count = sessions_end_others(
        user=request.user,  # type: ignore[arg-type]
        keep=request.portal_session,  # type: ignore[attr-defined]
        actor=_actor(request),
    )
    messages.success(
        request, _("Signed out everywhere else (%(count)d sessions).") % {"count": count}
    )
    return _go("sessions")


# --- Security log -----------------------------------------------------------------------------

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


def _events(events: list[Any]) -> list[dict[str, Any]]:
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
    events = _events(security_events(request.user))  # type: ignore[arg-type]
    return _screen(request, "security", {"events": events})


@decorate(require_POST, *page)
def wasnt_me(request: HttpRequest) -> HttpResponse:
    """ "This wasn't me": sign out everywhere, revoke every token, start a password reset."""
    user: User = request.user  # type: ignore[assignment]
    addresses = account_lockdown(user=user, actor=_actor(request))
    sign_out(request)
    return render(request, "mypage/locked_down.html", {"addresses": addresses})


# --- My data ----------------------------------------------------------------------------------


@decorate(require_GET, *page)
def privacy(request: HttpRequest) -> HttpResponse:
    return _screen(request, "privacy", {"form": DeleteAccountForm()})


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
        return _screen(request, "privacy", {"form": form}, status=400)
    user: User = request.user  # type: ignore[assignment]
    account_delete(user=user, actor=_actor(request))
    from django.contrib.auth import logout

    logout(request)
    return render(request, "mypage/deleted.html")


# --- Screens with nothing to change yet ---------------------------------------------------------


@decorate(require_GET, *page)
def subscriptions(request: HttpRequest) -> HttpResponse:
    return _screen(request, "subscriptions")


@decorate(require_GET, *page)
def purchasehistory(request: HttpRequest) -> HttpResponse:
    return _screen(request, "purchasehistory")


@decorate(require_GET, *page)
def about(request: HttpRequest) -> HttpResponse:
    return _screen(request, "about", {"terms_version": settings.TERMS_VERSION})


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """/gui/mypage → the overview (spec §6)."""
    return _go("overview")
