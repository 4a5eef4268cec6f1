"""Email addresses and phone numbers: add (a link by mail, a PIN by SMS), resend, remove,
make preferred; and the undo link mailed when the preferred email changes."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from accounts import throttle
from accounts.models import Email, Phone, User
from accounts.selectors_selfservice import emails_of, phones_of
from accounts.services import (
    email_add,
    email_send_verification,
    phone_add,
    phone_send_verification,
    phone_verify_pin,
)
from accounts.services.selfservice import (
    UndoLinkInvalid,
    contact_prefer,
    contact_remove,
    preferred_email_undo,
)
from accounts.validators import normalize_identifier
from connect_id.errors import DomainError
from connect_id.pages import decorate
from mypage.auth import step_up
from mypage.forms import AddEmailForm, AddPhoneForm, PinForm
from mypage.views.common import (
    actor,
    contact_action,
    display_number,
    error_text,
    go,
    isolated,
    own,
    page,
    screen,
)


def _list_screen(
    request: HttpRequest,
    name: str,
    form: AddEmailForm | AddPhoneForm,
    *,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    """The emails or phones screen, with the add *form* (and the *error* that failed it)."""
    user: User = request.user  # type: ignore[assignment]
    if name == "manageemail":
        context: dict[str, object] = {"emails": emails_of(user)}
    else:
        context = {"phones": [(p, display_number(p.number)) for p in phones_of(user)]}
    if error is not None:
        status = error.status
    response = screen(request, name, {"form": form, **context}, status=status)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


# --- Email addresses --------------------------------------------------------------------------


def _mail_allowed(request: HttpRequest, address: str) -> None:
    checks = [(throttle.MAIL_PER_ADDRESS, address.casefold())]
    ip = request.META.get("REMOTE_ADDR")
    if ip:
        checks.append((throttle.MAIL_PER_IP, ip))
    throttle.consume(checks)


@decorate(require_http_methods(["GET", "POST"]), *page)
def manageemail(request: HttpRequest) -> HttpResponse:
    """The addresses: add one (a verification link is mailed), resend, remove, make preferred."""
    if request.method == "GET":
        return _list_screen(request, "manageemail", AddEmailForm())
    form = AddEmailForm(request.POST)
    if not form.is_valid():
        return _list_screen(request, "manageemail", form, status=400)
    address = form.cleaned_data["email"]
    try:
        _mail_allowed(request, address)
        email = email_add(user=request.user, address=address, actor=actor(request))  # type: ignore[arg-type]
        email_send_verification(email=email, actor=actor(request))
    except DomainError as exc:
        form.add_error("email", error_text(exc))
        return _list_screen(request, "manageemail", form, error=exc)
    messages.success(
        request,
        isolated(
            _("We sent a verification link to {address}. Open it to verify it."),
            address=email.address,
        ),
    )
    return go("manageemail")


@decorate(require_POST, *page)
def email_resend(request: HttpRequest, pk: str) -> HttpResponse:
    email = own(Email, request, pk)

    def resend() -> None:
        _mail_allowed(request, email.address)
        email_send_verification(email=email, actor=actor(request))

    return contact_action(
        request,
        resend,
        done=isolated(_("We sent a new verification link to {address}."), address=email.address),
        back="manageemail",
    )


@decorate(require_POST, *page, step_up)
def email_remove(request: HttpRequest, pk: str) -> HttpResponse:
    email = own(Email, request, pk)
    return contact_action(
        request,
        lambda: contact_remove(contact=email, actor=actor(request)),
        done=isolated(_("{address} is removed."), address=email.address),
        back="manageemail",
    )


@decorate(require_POST, *page, step_up)
def email_prefer(request: HttpRequest, pk: str) -> HttpResponse:
    email = own(Email, request, pk)
    return contact_action(
        request,
        lambda: contact_prefer(contact=email, actor=actor(request)),
        done=isolated(_("{address} is now your preferred email."), address=email.address),
        back="manageemail",
    )


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


@decorate(require_http_methods(["GET", "POST"]), *page)
def managephone(request: HttpRequest) -> HttpResponse:
    """The numbers: add one (a PIN by SMS, entered on the next page), resend, remove, prefer."""
    if request.method == "GET":
        return _list_screen(request, "managephone", AddPhoneForm())
    form = AddPhoneForm(request.POST)
    if not form.is_valid():
        return _list_screen(request, "managephone", form, status=400)
    try:
        kind, number = normalize_identifier(
            form.cleaned_data["phone"].lstrip("@"), default_region=settings.PHONE_DEFAULT_REGION
        )
        if kind != "phone":
            raise DomainError(
                _("Enter a mobile number with its country code, e.g. +47 912 34 567.")
            )
        phone = phone_add(user=request.user, number=number, actor=actor(request))  # type: ignore[arg-type]
        phone_send_verification(phone=phone, actor=actor(request))
    except DomainError as exc:
        form.add_error("phone", error_text(exc))
        return _list_screen(request, "managephone", form, error=exc)
    return go("phone-verify", phone.pk)


@decorate(require_http_methods(["GET", "POST"]), *page)
def phone_verify(request: HttpRequest, pk: str) -> HttpResponse:
    """Enter the PIN sent to a number."""
    phone = own(Phone, request, pk)
    if phone.verified:
        return go("managephone")
    context = {
        "phone": phone,
        "shown_number": display_number(phone.number),
        "pin_minutes": max(1, settings.PHONE_VERIFICATION_PIN_TTL // 60),
    }
    if request.method == "GET":
        return screen(request, "phone_verify", {**context, "form": PinForm()})
    form = PinForm(request.POST)
    if not form.is_valid():
        return screen(request, "phone_verify", {**context, "form": form}, status=400)
    try:
        phone_verify_pin(phone=phone, code=form.cleaned_data["pin"], actor=actor(request))
    except DomainError as exc:
        form.add_error("pin", str(exc.message))
        return screen(request, "phone_verify", {**context, "form": form}, status=400)
    messages.success(
        request, isolated(_("{number} is verified."), number=display_number(phone.number))
    )
    return go("managephone")


@decorate(require_POST, *page)
def phone_resend(request: HttpRequest, pk: str) -> HttpResponse:
    phone = own(Phone, request, pk)
    return contact_action(
        request,
        lambda: phone_send_verification(phone=phone, actor=actor(request)),
        done=None,  # the PIN page says where the code went
        back="managephone",
        then=go("phone-verify", phone.pk),
    )


@decorate(require_POST, *page, step_up)
def phone_remove(request: HttpRequest, pk: str) -> HttpResponse:
    phone = own(Phone, request, pk)
    return contact_action(
        request,
        lambda: contact_remove(contact=phone, actor=actor(request)),
        done=isolated(_("{number} is removed."), number=display_number(phone.number)),
        back="managephone",
    )


@decorate(require_POST, *page, step_up)
def phone_prefer(request: HttpRequest, pk: str) -> HttpResponse:
    phone = own(Phone, request, pk)
    return contact_action(
        request,
        lambda: contact_prefer(contact=phone, actor=actor(request)),
        done=isolated(
            _("{number} is now your preferred phone number."), number=display_number(phone.number)
        ),
        back="managephone",
    )
