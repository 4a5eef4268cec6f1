"""Fixtures of the portal tests: a browser (Django's test client) signed in to My CONNECT account
through the real sign-in flow and /oauth/authorize, as the portal's own first-party client."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient

from accounts.models import Client, Email, Phone, User
from accounts.services import contact_verify, email_add, phone_add
from tests.factories import TEST_ACTOR, ClientFactory
from tests.oidc.conftest import REDIRECT, Browser, exchange
from tests.signin import password_sign_in

PASSWORD = "correct horse battery"  # the UserFactory default

# Every screen of the portal (spec §6 and our own), by its path under /gui/mypage/.
SCREENS = [
    "overview",
    "changeprofile",
    "changepassword",
    "manageemail",
    "managephone",
    "manageclientauthorizations",
    "sessions",
    "security",
    "privacy",
    "subscriptions",
    "purchasehistory",
    "about",
]


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


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what the services schedule after commit (mail, SMS) when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def add_email(db: None) -> Callable[..., Email]:
    """add_email(user, address, verified=False): another address, as the services add it."""

    def make(user: User, address: str, *, verified: bool = False) -> Email:
        email = email_add(user=user, address=address, actor=TEST_ACTOR)
        if verified:
            contact_verify(contact=email, actor=TEST_ACTOR)
        return email

    return make


@pytest.fixture
def add_phone(db: None) -> Callable[..., Phone]:
    """add_phone(user, number, verified=False): another number, as the services add it."""

    def make(user: User, number: str, *, verified: bool = False) -> Phone:
        return phone_add(user=user, number=number, verified=verified, actor=TEST_ACTOR)

    return make


@pytest.fixture
def news(db: None) -> Client:
    """A confidential web service with a logo and a back-channel logout URI."""
    return ClientFactory(
        name="Nordic News",
        description="Your daily news.",
        logo_uri="https://rp.example.com/logo.png",
        redirect_uris=[REDIRECT],
        backchannel_logout_uri="https://rp.example.com/bcl",
        allowed_scopes=["openid", "profile", "email", "phone"],
        grant_types=["authorization_code", "refresh_token"],
    )


@pytest.fixture
def connect(news: Client) -> Callable[..., dict]:
    """connect(http, **authorize_extra): the signed-in browser *http* allows Nordic News
    (authorize, consent, code exchange); return the token response."""

    def run(http: HttpClient, **extra: str) -> dict:
        code = Browser(http).authorize(news, **extra)["code"]
        return exchange(http, news, code).json()

    return run
