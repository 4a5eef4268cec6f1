"""Fixtures of the portal tests: a browser (Django's test client) signed in to My CONNECT account
through the real sign-in flow and /oauth/authorize, as the portal's own first-party client."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient

from accounts.models import User
from tests.signin import password_sign_in

PASSWORD = "correct horse battery"  # the UserFactory default


def enter_portal(
    http: HttpClient,
    identifier: str,
    password: str = PASSWORD,
    *,
    screen: str = "/gui/mypage/overview",
):
    """Open *screen*, follow the portal to /oauth/authorize and the sign-in page, sign in with
    the password, and follow the redirects back; return the final answer."""
    first = http.get(screen)
    assert first.status_code == 302, first
    authorize = http.get(first["Location"])
    assert authorize.status_code == 302
    login = authorize["Location"]
    assert login.startswith("/gui/signin?next="), login
    from urllib.parse import parse_qs, urlsplit

    next_url = parse_qs(urlsplit(login).query)["next"][0]
    answer = password_sign_in(http, identifier, password, next_url=next_url)
    assert answer.status_code == 302, answer.content[:500]
    return http.get(answer["Location"], follow=True)


@pytest.fixture
def portal(db: None) -> Callable[[User], HttpClient]:
    """portal(user): a test client signed in to the portal as *user* (by email and password)."""

    def make(user: User) -> HttpClient:
        http = HttpClient()
        address = user.emails.filter(verified=True).first()
        assert address is not None
        final = enter_portal(http, address.address)
        assert final.status_code == 200, final.content[:500]
        return http

    return make


@pytest.fixture
def alice_portal(alice: User, portal) -> HttpClient:
    return portal(alice)


@pytest.fixture
def bob_portal(bob: User, portal) -> HttpClient:
    return portal(bob)
