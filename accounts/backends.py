"""Sign-in by verified email or phone and password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts import throttle
from accounts.models import User
from accounts.selectors import user_find_by_login


class EmailOrPhoneBackend(ModelBackend):
    """Authenticate with a verified email address or phone number as the identifier."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        ip = request.META.get("REMOTE_ADDR") if request is not None else None
        if throttle.throttled(username, ip):
            return None  # refused before any hashing: no CPU for the attacker either
        user = user_find_by_login(username)
        if user is None:
            # Run the password hasher anyway so an unknown identifier takes as long as a known
            # one (no account enumeration by timing).
            User().set_password(password)
            throttle.record_failure(username, ip)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            throttle.record_success(username)
            return user
        throttle.record_failure(username, ip)
        return None
