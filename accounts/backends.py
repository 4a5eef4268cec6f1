"""Sign-in by verified email or phone and password, throttled against guessing."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core import signing
from django.http import HttpRequest, HttpResponse

from accounts import throttle
from accounts.errors import IdentifierInvalid
from accounts.models import User
from accounts.selectors import user_find_by_identifier
from accounts.validators import normalize_identifier

DEVICE_COOKIE = "connect_device"
_DEVICE_SALT = "accounts.known-device"


def known_device(request: HttpRequest | None) -> tuple[str, list[str]]:
    """This browser's random device id and the ids of the accounts that signed in from it
    before (a signed cookie), or ("", [])."""
    if request is None:
        return "", []
    try:
        value = request.get_signed_cookie(
            DEVICE_COOKIE, salt=_DEVICE_SALT, max_age=settings.KNOWN_DEVICE_SECONDS
        )
    except (KeyError, signing.BadSignature):
        return "", []
    device, _, users = str(value).partition(":")
    return device, [user_id for user_id in users.split(",") if user_id]


def remember_device(request: HttpRequest, response: HttpResponse, user: User) -> None:
    """Mark this browser as one *user* signed in from (at most 5 accounts per browser)."""
    device, known = known_device(request)
    users = [user.pk, *(u for u in known if u != user.pk)][:5]
    response.set_signed_cookie(
        DEVICE_COOKIE,
        f"{device or secrets.token_hex(8)}:{','.join(users)}",
        salt=_DEVICE_SALT,
        max_age=settings.KNOWN_DEVICE_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class EmailOrPhoneBackend(ModelBackend):
    """Authenticate with a verified email address or phone number as the identifier.

    Wrong passwords are counted per normalized identifier and per IP (accounts.throttle); past
    the limit, throttle.Throttled is raised before any hashing, so guessing costs no CPU either.
    A browser the account signed in from before has a count of its own, so a stranger's
    guessing cannot lock the owner out there (and the owner can always use an SMS PIN).
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        try:
            _kind, identifier = normalize_identifier(
                username, default_region=settings.PHONE_DEFAULT_REGION
            )
        except IdentifierInvalid:
            return None
        ip = request.META.get("REMOTE_ADDR") if request is not None else None
        user = user_find_by_identifier(identifier)
        device, known = known_device(request)
        if user is not None and user.pk in known:
            checks = [(throttle.PASSWORD_PER_KNOWN_DEVICE, f"{identifier}:{device}")]
        else:
            checks = [(throttle.PASSWORD_PER_IDENTIFIER, identifier)]
        if ip:
            checks.append((throttle.PASSWORD_PER_IP, ip))
        waits = [w for limit, key in checks if (w := throttle.retry_after(limit, key)) is not None]
        if waits:
            raise throttle.Throttled(max(waits))
        if user is None:
            # Run the password hasher anyway so an unknown identifier takes as long as a known
            # one (no account enumeration by timing).
            User().set_password(password)
        elif user.check_password(password) and self.user_can_authenticate(user):
            throttle.reset(checks[0][0], checks[0][1])
            return user
        for limit, key in checks:
            throttle.hit(limit, key)
        return None
