"""Sign-in by verified email or phone and password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

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
        user = user_find_by_login(username)
        if user is None:
            # Run the password hasher anyway so an unknown identifier takes as long as a known
            # one (no account enumeration by timing).
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
