"""Profile (name, birth date, language) and password."""

from __future__ import annotations

from typing import Literal, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.models import User
from accounts.services import user_update
from accounts.services.selfservice import password_change
from accounts.services.signin import user_set_language
from connect_id.errors import DomainError
from connect_id.pages import decorate
from mypage.auth import step_up
from mypage.forms import PasswordChangeForm, ProfileForm
from mypage.views.common import actor, go, page, screen


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
        return screen(request, "changeprofile", {"form": ProfileForm(initial=initial)})
    form = ProfileForm(request.POST, initial=initial)
    if not form.is_valid():
        return screen(request, "changeprofile", {"form": form}, status=400)
    try:
        user_update(
            user=user,
            actor=actor(request),
            realname=form.cleaned_data["name"],
            birthdate=form.cleaned_data["birthdate"],
        )
    except DomainError as exc:
        form.add_error("birthdate" if exc.field == "birthdate" else "name", str(exc.message))
        return screen(request, "changeprofile", {"form": form}, status=400)
    language = form.cleaned_data["language"]
    user_set_language(user=user, language=language)
    messages.success(request, _("Your profile is saved."))
    response = go("changeprofile")
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
        return screen(
            request, "changepassword", {"form": PasswordChangeForm(has_password=has_password)}
        )
    form = PasswordChangeForm(request.POST, has_password=has_password)
    if not form.is_valid():
        return screen(request, "changepassword", {"form": form}, status=400)
    try:
        password_change(
            user=user,
            password=form.cleaned_data["password"],
            current_password=form.cleaned_data.get("current"),
            keep_session=request.portal_session,  # type: ignore[attr-defined]
            actor=actor(request),
        )
    except DomainError as exc:
        form.add_error("current" if exc.field == "current" else "password", str(exc.message))
        return screen(request, "changepassword", {"form": form}, status=400)
    # The password hash is part of the Django session's auth hash: keep this browser signed in.
    update_session_auth_hash(request, user)
    messages.success(request, _("Your password is changed. You were signed out everywhere else."))
    return go("overview")
