"""What every screen of the portal shares: rendering a screen, the signed-in person as actor,
the person's own email or phone from the URL, and how an email or phone action reports back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import phonenumbers
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from accounts import throttle
from accounts.audit import Actor
from accounts.models import Email, Phone
from connect_id.errors import DomainError
from mypage import backlink
from mypage.auth import portal_page

# The decorators of every signed-in screen and action (connect_id.pages.decorate).
page = [never_cache, csrf_protect, portal_page]


def actor(request: HttpRequest) -> Actor:
    return Actor.of_user(request.user)  # type: ignore[arg-type]


def screen(
    request: HttpRequest, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """Render the screen templates/mypage/<name>.html with the navigation and the backlink."""
    return render(
        request,
        f"mypage/{name}.html",
        {
            "screen": name,
            "portal_user": request.user,
            "backlink": backlink.current(request),
            **(context or {}),
        },
        status=status,
    )


def go(name: str, *args: Any) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(f"mypage:{name}", args=args))


def display_number(number: str) -> str:
    try:
        parsed = phonenumbers.parse("+" + number)
    except phonenumbers.NumberParseException:
        return "+" + number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def isolated(message: str, **values: str) -> SafeString:
    """*message* (a translated "{name}" template) with each value escaped and isolated left to
    right: a right-to-left sentence would reverse a number's digit groups."""
    return format_html(
        message, **{k: format_html('<bdi dir="ltr">{}</bdi>', v) for k, v in values.items()}
    )


def own(model: type[Email] | type[Phone], request: HttpRequest, pk: str) -> Any:
    """The signed-in person's email or phone *pk*; anyone else's is a 404."""
    found = model.objects.filter(pk=pk[:16], user_id=request.user.pk).first()
    if found is None:
        raise Http404()
    return found


def too_many(exc: throttle.Throttled) -> str:
    minutes = max(1, round(exc.retry_after / 60))
    return _("Too many attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes}


def error_text(exc: DomainError) -> str:
    return too_many(exc) if isinstance(exc, throttle.Throttled) else str(exc.message)


def contact_action(
    request: HttpRequest,
    change: Callable[[], object],
    *,
    done: str | None,
    back: str,
    then: HttpResponse | None = None,
) -> HttpResponse:
    """The shape of every resend, remove and make-preferred: run *change* (a service call);
    on a domain error say why on the *back* screen, else say *done* and go to *then* (by
    default the *back* screen)."""
    try:
        change()
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return go(back)
    if done:
        messages.success(request, done)
    return then or go(back)
