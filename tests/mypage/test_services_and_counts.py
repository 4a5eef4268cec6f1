"""Connected services (remove access: consent, tokens, back-channel logout) and the query
count of every screen, constant in the number of emails, phones, services and sessions."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccessToken, Consent, RefreshToken, SignInSession
from tests.factories import TEST_ACTOR, ClientFactory
from tests.oidc.conftest import REDIRECT, Browser, exchange


@pytest.fixture
def news(db):
    return ClientFactory(
        name="Nordic News",
        description="Your daily news.",
        logo_uri="https://rp.example.com/logo.png",
        redirect_uris=[REDIRECT],
        backchannel_logout_uri="https://rp.example.com/bcl",
        allowed_scopes=["openid", "profile", "email", "phone"],
        grant_types=["authorization_code", "refresh_token"],
    )


def test_connected_services_show_name_logo_scopes_and_last_use(alice, alice_portal, news):
    tokens = exchange(alice_portal, news, Browser(alice_portal).authorize(news)["code"]).json()
    assert "refresh_token" in tokens
    html = alice_portal.get("/gui/mypage/manageclientauthorizations").content.decode()
    assert "Nordic News" in html and 'src="https://rp.example.com/logo.png"' in html
    assert "Your preferred email address" in html  # the email scope in plain words
    assert "Last used" in html
    assert "My CONNECT account" not in html.split("<main", 1)[1].split('class="screen"')[1]


def test_remove_access_revokes_consent_and_tokens_and_sends_back_channel_logout(
    alice, alice_portal, news, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from accounts.oidc import backchannel

    settings.BACKCHANNEL_LOGOUT_SYNC = True
    sent = []
    monkeypatch.setattr(backchannel, "deliver", lambda uri, token, cid: sent.append((uri, cid)))
    tokens = exchange(alice_portal, news, Browser(alice_portal).authorize(news)["code"]).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_portal.post(f"/gui/mypage/manageclientauthorizations/{news.pk}/remove")
    assert response.status_code == 302
    assert not Consent.objects.filter(user=alice, client=news).exists()
    assert not AccessToken.objects.filter(user=alice, application=news).exists()
    assert not RefreshToken.objects.filter(user=alice, application=news, revoked=None).exists()
    assert sent == [("https://rp.example.com/bcl", news.client_id)]
    refused = alice_portal.post(
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=__import__("tests.oidc.conftest", fromlist=["basic"]).basic(
            news.client_id, news.secret
        ),
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    # The portal itself still works: it is first-party, not a consented service.
    assert alice_portal.get("/gui/mypage/overview").status_code == 200


def _grow(user, n: int) -> None:
    """n more emails, phones, consented services with tokens, and live sessions."""
    from accounts.services import email_add, phone_add

    for _ in range(n):
        tag = secrets.token_hex(3)
        email_add(user=user, address=f"extra-{tag}@example.com", actor=TEST_ACTOR)
        phone_add(user=user, number=f"4740{int(tag, 16) % 10**6:06d}", actor=TEST_ACTOR)
        client = ClientFactory()
        Consent.objects.create(user=user, client=client, scopes=["openid", "email"])
        session = SignInSession.objects.create(
            user=user, user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
        )
        AccessToken.objects.create(
            user=user,
            application=client,
            session=session,
            token=secrets.token_hex(16),
            token_checksum=secrets.token_hex(32),
            expires=timezone.now() + dt.timedelta(hours=1),
            scope="openid",
        )


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
    "about",
]


def _count(http, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = http.get(path)
    assert response.status_code == 200, path
    return len(queries)


@pytest.mark.parametrize("screen", SCREENS)
def test_query_count_of_each_screen_is_constant(
    alice, alice_portal, screen, django_assert_max_num_queries
):
    path = f"/gui/mypage/{screen}"
    _grow(alice, 1)
    before = _count(alice_portal, path)
    _grow(alice, 4)
    after = _count(alice_portal, path)
    assert after == before, f"{path}: {before} queries with 1 of each, {after} with 5"
    with django_assert_max_num_queries(12):
        alice_portal.get(path)
