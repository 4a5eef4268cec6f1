"""Personas and helpers shared by every test: alice (owner), bob (another user), anon."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from accounts.models import User
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
