"""Fixtures of the /id/ API tests: API credentials over HTTP Basic, the SMS outbox, alice's data."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
from django.test import Client as HttpClient

from accounts import sms
from accounts.models import AccountLink, Email, Phone, User
from accounts.services import account_link_add, email_add, phone_add
from tests.factories import TEST_ACTOR, ApiCredentialFactory


def basic_header(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


@pytest.fixture
def basic_client(db: None):
    """basic_client("mails:read", ...): a test client sending an API credential with these
    operations (default `*`)."""

    def make(*operations: str) -> HttpClient:
        credential = ApiCredentialFactory(operations=list(operations or ["*"]))
        http = HttpClient(HTTP_AUTHORIZATION=basic_header(credential.username, credential.secret))
        http.credential = credential  # type: ignore[attr-defined]
        return http

    return make


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    # These tests exercise the API, not password storage: Argon2 for every persona is slow.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture(autouse=True)
def sms_outbox(settings) -> list[sms.Sms]:
    settings.SMS_BACKEND = "accounts.sms.LocmemBackend"
    sms.outbox.clear()
    return sms.outbox


@dataclass
class AliceData:
    user: User
    mail: Email  # verified, preferred
    spare_mail: Email  # unverified
    phone: Phone  # verified, preferred
    spare_phone: Phone  # unverified
    account: AccountLink


@pytest.fixture
def alice_data(alice: User) -> AliceData:
    spare_mail = email_add(user=alice, address="alice.spare@example.com", actor=TEST_ACTOR)
    spare_phone = phone_add(user=alice, number="4791111112", actor=TEST_ACTOR, type="mobile")
    account = account_link_add(
        user=alice, type="telenor-no", external_user_id="cust-1", actor=TEST_ACTOR
    )
    return AliceData(
        user=alice,
        mail=alice.emails.get(preferred=True),
        spare_mail=spare_mail,
        phone=alice.phones.get(preferred=True),
        spare_phone=spare_phone,
        account=account,
    )


def json_of(response) -> dict:
    return response.json()


PROBLEM = "application/problem+json"
