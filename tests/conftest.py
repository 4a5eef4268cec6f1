"""Personas and helpers shared by every test: alice (owner), bob (another user), anon."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from accounts.models import Client, User
from tests.factories import UserFactory


@pytest.fixture
def alice(db: None) -> User:
    return UserFactory(email="alice@example.com", phone="4791111111", realname="Alice Example")


@pytest.fixture
def bob(db: None) -> User:
    return UserFactory(email="bob@example.com", phone="4792222222", realname="Bob Example")


@pytest.fixture
def anon() -> HttpClient:
    return HttpClient()


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory(
        email="root@example.com", phone="4793333333", is_staff=True, is_superuser=True
    )


@pytest.fixture
def admin_client(admin_user: User) -> HttpClient:
    client = HttpClient()
    client.force_login(admin_user)
    return client


def issue_access_token(user: User | None, scopes: str, *, client: Client | None = None) -> str:
    """Store a real access token (as the token endpoint would) and return the raw value."""
    import datetime as dt
    import secrets

    from django.utils import timezone
    from oauth2_provider.models import set_token_value

    from accounts.models import AccessToken
    from tests.factories import ClientFactory

    client = client or ClientFactory(allowed_scopes=scopes.split() or ["openid"])
    raw = secrets.token_urlsafe(32)
    token = AccessToken(
        user=user,
        application=client,
        scope=scopes,
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    set_token_value(token, raw)
    token.save()
    return raw


@pytest.fixture
def bearer_client(db: None):
    """bearer_client(user, "scope other.scope", client=None): a test client sending a token."""

    def make(user: User | None, scopes: str = "", *, client: Client | None = None) -> HttpClient:
        raw = issue_access_token(user, scopes, client=client)
        http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
        http.raw_token = raw  # type: ignore[attr-defined]
        return http

    return make


@pytest.fixture(autouse=True)
def _fresh_signing_keys():
    """Each test's database is rolled back; the per-process key cache must not outlive it."""
    from accounts.oidc import keys

    keys.invalidate_cache()
    yield
    keys.invalidate_cache()


@pytest.fixture(autouse=True)
def _empty_cache(request, django_db_blocker):
    """Throttle counts live in the database cache: a `db` test's rollback undoes them, but a
    transactional test (live server, several processes) commits them, so empty it after one."""
    yield
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        from django.core.cache import cache

        with django_db_blocker.unblock():  # transactional_db may be torn down already
            cache.clear()


@pytest.fixture(autouse=True)
def sms_outbox():
    """The SMS sent in this test (the locmem backend's outbox, see tests/testenv.py)."""
    from accounts import sms

    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _english_pages(settings):
    """Pages speak English in tests unless a test asks for another language."""
    settings.LANGUAGE_CODE = "en"
