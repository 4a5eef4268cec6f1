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
from tests.mypage.conftest import SCREENS
from tests.oidc.conftest import basic


def test_connected_services_show_name_logo_scopes_and_last_use(alice, alice_portal, connect):
    tokens = connect(alice_portal)
    assert "refresh_token" in tokens
    html = alice_portal.get("/gui/mypage/manageclientauthorizations").content.decode()
    assert "Nordic News" in html and 'src="https://rp.example.com/logo.png"' in html
    assert "Your preferred email address" in html  # the email scope in plain words
    assert "Last used" in html
    assert "My CONNECT account" not in html.split("<main", 1)[1].split('class="screen"')[1]


def test_remove_access_revokes_consent_and_tokens_and_sends_back_channel_logout(
    alice, alice_portal, news, connect, settings, monkeypatch, commit
):
    from accounts.oidc import backchannel

    sent = []
    monkeypatch.setattr(backchannel, "deliver", lambda uri, token, cid: sent.append((uri, cid)))
    tokens = connect(alice_portal)
    with commit():
        response = alice_portal.post(f"/gui/mypage/manageclientauthorizations/{news.pk}/remove")
    assert response.status_code == 302
    assert not Consent.objects.filter(user=alice, client=news).exists()
    assert not AccessToken.objects.filter(user=alice, application=news).exists()
    assert not RefreshToken.objects.filter(user=alice, application=news, revoked=None).exists()
    assert sent == [("https://rp.example.com/bcl", news.client_id)]
    refused = alice_portal.post(
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic(news.client_id, news.secret),
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


def test_connected_services_show_the_claims_each_receives(alice, alice_portal, news):
    Consent.objects.create(user=alice, client=news, scopes=["openid", "email"])
    html = alice_portal.get("/gui/mypage/manageclientauthorizations").content.decode()
    item = html.split(f'id="service-{news.pk}"', 1)[1].split("item-actions", 1)[0]
    assert 'data-claim="sub"' in item and alice.pk in item
    assert 'data-claim="email"' in item and "alice@example.com" in item
    assert 'data-claim="phone_number"' not in item  # the phone scope was not granted
    assert 'data-claim="name"' not in item and "Alice Example" not in item


def test_claims_asked_for_by_name_are_shown_too(alice, alice_portal, news, connect):
    claims = '{"userinfo": {"phone_number": null}}'
    connect(alice_portal, scope="openid email", claims=claims)
    html = alice_portal.get("/gui/mypage/manageclientauthorizations").content.decode()
    item = html.split(f'id="service-{news.pk}"', 1)[1].split("item-actions", 1)[0]
    assert 'data-claim="email"' in item
    assert 'data-claim="phone_number"' in item and "+47 91 11 11 11" in item
