"""Token endpoint (refresh, client credentials), UserInfo, tokeninfo, introspection, revocation."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.utils import timezone

from accounts.models import AccessToken, Client, RefreshToken
from tests.conftest import issue_access_token
from tests.factories import ApiCredentialFactory, ClientFactory
from tests.oidc.conftest import basic, exchange


@pytest.fixture
def tokens(browser, alice, rp) -> dict:
    browser.sign_in(alice)
    response = exchange(browser.http, rp, browser.authorize(rp)["code"])
    assert response.status_code == 200
    return response.json()


def refresh(http, rp, refresh_token):
    return http.post(
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret),
    )


def userinfo(http, token, **extra):
    return http.get("/oauth/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


# --- refresh -------------------------------------------------------------------------------


def test_refresh_rotates_the_refresh_token(anon, rp, tokens):
    response = refresh(anon, rp, tokens["refresh_token"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["refresh_token"] != tokens["refresh_token"]
    assert body["access_token"] != tokens["access_token"]
    assert "id_token" in body
    assert userinfo(anon, body["access_token"]).status_code == 200
    assert userinfo(anon, tokens["access_token"]).status_code == 401  # the old one is gone


def test_a_refresh_reads_token_user_and_claims_in_one_statement(
    anon, rp, tokens, django_assert_max_num_queries
):
    # The client; the refresh token with its user, access token and preferred email and phone;
    # the SSO session; then the rotation's four writes inside a transaction (two more); the
    # signing key's kid, checked against the database before the ID token is signed.
    with django_assert_max_num_queries(10):
        response = refresh(anon, rp, tokens["refresh_token"])
    assert response.status_code == 200, response.content
    payload = response.json()["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["email"] == "alice@example.com" and claims["email_verified"] is True
    assert claims["phone_number"] == "4791111111" and claims["phone_number_verified"] is True


def test_by_default_a_rotated_out_refresh_token_is_refused_and_its_family_revoked(anon, rp, tokens):
    # RFC 9700 §4.14.2, strict as node-oidc-provider, Ory Hydra and Auth0 are by default.
    first = refresh(anon, rp, tokens["refresh_token"]).json()
    replay = refresh(anon, rp, tokens["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refresh(anon, rp, first["refresh_token"]).status_code == 400
    assert userinfo(anon, first["access_token"]).status_code == 401


def test_concurrent_reuse_within_the_grace_window_gets_a_new_pair(anon, rp, tokens, settings):
    settings.REFRESH_TOKEN_GRACE_SECONDS = 10  # the documented opt-in
    first = refresh(anon, rp, tokens["refresh_token"]).json()
    second = refresh(anon, rp, tokens["refresh_token"])  # the "concurrent" request
    assert second.status_code == 200, second.content
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert refresh(anon, rp, first["refresh_token"]).status_code == 200  # family still alive


def test_reuse_after_the_grace_window_revokes_the_whole_family(anon, rp, tokens, settings):
    settings.REFRESH_TOKEN_GRACE_SECONDS = 10
    first = refresh(anon, rp, tokens["refresh_token"]).json()
    RefreshToken.objects.exclude(revoked=None).update(
        revoked=timezone.now() - dt.timedelta(seconds=settings.REFRESH_TOKEN_GRACE_SECONDS + 1)
    )
    reuse = refresh(anon, rp, tokens["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    # RFC 9700 §4.14.2: the attacker's (or victim's) newer tokens die with it.
    assert refresh(anon, rp, first["refresh_token"]).status_code == 400
    assert userinfo(anon, first["access_token"]).status_code == 401


def test_a_refresh_token_is_bound_to_its_client(anon, tokens):
    other = ClientFactory(grant_types=["authorization_code", "refresh_token"])
    response = refresh(anon, other, tokens["refresh_token"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


# --- client credentials --------------------------------------------------------------------


def test_client_credentials_with_basic_and_post(anon, rp, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = anon.post(
            "/oauth/token",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret),
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == "id.user.read" and "refresh_token" not in body
    assert "id_token" not in body
    post = anon.post(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_id": rp.client_id, "client_secret": rp.secret},
    )
    assert post.status_code == 200


def test_wrong_client_secret_is_invalid_client(anon, rp):
    response = anon.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret + "x"),
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_a_grant_the_client_is_not_registered_for_is_refused(anon, db):
    client = ClientFactory(grant_types=["authorization_code"])
    response = anon.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(client.client_id, client.secret),
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "unauthorized_client"


def test_a_disabled_client_gets_no_tokens(anon, rp):
    rp.enabled = False
    rp.save()
    response = anon.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret),
    )
    assert response.status_code == 401


# --- UserInfo --------------------------------------------------------------------------------


def test_userinfo_by_get_post_and_put_in_one_statement(
    anon, tokens, alice, django_assert_max_num_queries
):
    # The token, its user and client and the preferred email and phone; a field the lookup
    # left deferred would cost one more.
    with django_assert_max_num_queries(1):
        response = userinfo(anon, tokens["access_token"])
    assert response.status_code == 200
    assert response.json() == {
        "sub": alice.pk,
        "name": "Alice Example",
        "email": "alice@example.com",
        "email_verified": True,
        "phone_number": "4791111111",
        "phone_number_verified": True,
        "locale": "en",  # the language she signed in with
    }
    header = f"Bearer {tokens['access_token']}"
    assert anon.post("/oauth/userinfo", HTTP_AUTHORIZATION=header).status_code == 200
    put = anon.put(
        "/oauth/userinfo?tenant=t1", HTTP_AUTHORIZATION=header, content_type="application/json"
    )
    assert put.status_code == 200 and put.json()["sub"] == alice.pk


def test_userinfo_accepts_the_token_in_a_form_body(anon, tokens):
    response = anon.post(
        "/oauth/userinfo",
        f"access_token={tokens['access_token']}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200  # RFC 6750 §2.2


def test_userinfo_refuses_a_token_in_the_query_string(anon, tokens):
    response = anon.get("/oauth/userinfo", {"access_token": tokens["access_token"]})
    assert response.status_code == 400
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


def test_userinfo_with_a_bad_token_is_401_invalid_token(anon, db):
    response = anon.get("/oauth/userinfo", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="CONNECT ID", ')
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("path", ["/oauth/userinfo", "/id/users/me"])
def test_no_credentials_at_all_get_a_challenge_without_an_error_code(anon, db, path):
    # RFC 6750 §3.1: "If the request lacks any authentication information ... the resource
    # server SHOULD NOT include an error code".
    response = anon.get(path)
    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="CONNECT ID"') and "error=" not in challenge


def test_native_logout_without_a_token_is_a_plain_challenge(anon, db):
    response = anon.post("/oauth/logout")
    assert response.status_code == 401 and "error=" not in response["WWW-Authenticate"]


def test_userinfo_with_an_expired_or_revoked_token_is_401(anon, tokens, rp):
    AccessToken.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    assert userinfo(anon, tokens["access_token"]).status_code == 401
    anon.post(
        "/oauth/revoke",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret),
    )
    assert userinfo(anon, tokens["access_token"]).status_code == 401


def test_userinfo_without_openid_scope_is_403_insufficient_scope(anon, alice):
    token = issue_access_token(alice, "profile email")
    response = userinfo(anon, token)
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert 'scope="openid"' in response["WWW-Authenticate"]


def test_userinfo_invalid_token_status_can_be_403_for_phenixid_callers(anon, db, settings):
    settings.USERINFO_INVALID_TOKEN_STATUS = 403
    assert userinfo(anon, "nope").status_code == 403


# --- tokeninfo -------------------------------------------------------------------------------


def test_tokeninfo_answers_connects_fields(anon, tokens, alice, rp):
    response = anon.get("/oauth/tokeninfo", {"access_token": tokens["access_token"]})
    body = response.json()
    assert body["clientid"] == rp.client_id and body["userid"] == alice.pk
    assert set(body["scope"].split()) == {"openid", "profile", "email", "phone"}
    assert 3500 < body["ttl"] <= 3600


def test_tokeninfo_decodes_our_id_tokens_and_refuses_forgeries(anon, tokens, alice):
    body = anon.get("/oauth/tokeninfo", {"id_token": tokens["id_token"]}).json()
    assert body["sub"] == alice.pk
    forged = tokens["id_token"][:-4] + "AAAA"
    assert anon.get("/oauth/tokeninfo", {"id_token": forged}).status_code == 400
    assert anon.get("/oauth/tokeninfo", {"access_token": "nope"}).json()["error"] == "invalid_token"


# --- introspection ---------------------------------------------------------------------------


def test_introspection_by_a_confidential_client(
    anon, tokens, rp, alice, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1):  # the caller's check beside the token lookup
        response = anon.post(
            "/oauth/introspect",
            {"token": tokens["access_token"]},
            HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret),
        )
    body = response.json()
    assert body["active"] is True and body["sub"] == alice.pk
    assert body["client_id"] == rp.client_id and body["token_type"] == "Bearer"
    assert body["exp"] > body["iat"]


@pytest.mark.parametrize("wrong", ["secret", "disabled", "public"])
def test_a_valid_token_tells_a_caller_that_fails_authentication_nothing(anon, tokens, rp, wrong):
    secret = rp.secret + "x" if wrong == "secret" else rp.secret
    if wrong == "disabled":
        Client.objects.filter(pk=rp.pk).update(enabled=False)
    if wrong == "public":
        Client.objects.filter(pk=rp.pk).update(client_type=Client.CLIENT_PUBLIC)
    response = anon.post(
        "/oauth/introspect",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic(rp.client_id, secret),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_introspection_with_the_secret_in_the_form(anon, tokens, rp):
    body = anon.post(
        "/oauth/introspect",
        {"token": tokens["access_token"], "client_id": rp.client_id, "client_secret": rp.secret},
    ).json()
    assert body["active"] is True and body["client_id"] == rp.client_id


def test_introspection_of_a_refresh_token(anon, tokens, rp):
    body = anon.post(
        "/oauth/introspect",
        {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret),
    ).json()
    assert body["active"] is True and body["token_type"] == "refresh_token"


def test_introspection_by_an_api_credential_needs_the_operation(
    anon, tokens, db, django_assert_max_num_queries
):
    allowed = ApiCredentialFactory(operations=["tokens:introspect"])
    anon.post(
        "/oauth/introspect",
        {"token": "warm-up"},
        HTTP_AUTHORIZATION=basic(allowed.username, allowed.secret),
    )
    with django_assert_max_num_queries(2):
        response = anon.post(
            "/oauth/introspect",
            {"token": tokens["access_token"]},
            HTTP_AUTHORIZATION=basic(allowed.username, allowed.secret),
        )
    assert response.json()["active"] is True
    other = ApiCredentialFactory(operations=["users:read"])
    refused = anon.post(
        "/oauth/introspect",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic(other.username, other.secret),
    )
    assert refused.status_code == 401


def test_introspection_without_authentication_is_401(anon, tokens):
    response = anon.post("/oauth/introspect", {"token": tokens["access_token"]})
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")


def test_expired_and_revoked_tokens_introspect_as_inactive(anon, tokens, rp):
    auth = basic(rp.client_id, rp.secret)
    AccessToken.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    assert anon.post(
        "/oauth/introspect", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=auth
    ).json() == {"active": False}
    revoked = anon.post(
        "/oauth/revoke", {"token": tokens["refresh_token"]}, HTTP_AUTHORIZATION=auth
    )
    assert revoked.status_code == 200
    assert anon.post(
        "/oauth/introspect", {"token": tokens["refresh_token"]}, HTTP_AUTHORIZATION=auth
    ).json() == {"active": False}
    assert anon.post("/oauth/introspect", {"token": "garbage"}, HTTP_AUTHORIZATION=auth).json() == {
        "active": False
    }


def test_revocation_is_200_even_for_unknown_tokens(anon, rp, db):
    response = anon.post(
        "/oauth/revoke", {"token": "unknown"}, HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret)
    )
    assert response.status_code == 200  # RFC 7009 §2.2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_with_one_token_both_succeed_in_one_family(
    rp_and_tokens, settings
):
    import threading

    # With the grace window opted into, both succeed whichever request validates first: when
    # both validate before either rotates, and when the slower one arrives after the rotation.
    # (Strict by default, the second would be refused when it comes late: a reuse.)
    settings.REFRESH_TOKEN_GRACE_SECONDS = 10
    from django.db import connection
    from django.test import Client as HttpClient

    rp, tokens = rp_and_tokens
    barrier, results = threading.Barrier(2), []

    def refresh_once() -> None:
        try:
            barrier.wait()
            results.append(refresh(HttpClient(), rp, tokens["refresh_token"]).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200, 200]
    live = RefreshToken.objects.filter(revoked=None)
    assert live.count() == 2 and len({t.token_family for t in live}) == 1


@pytest.fixture
def rp_and_tokens(transactional_db):
    from django.test import Client as HttpClient

    from tests.factories import UserFactory
    from tests.oidc.conftest import REDIRECT, Browser

    user = UserFactory(email="concurrent@example.com")
    client = ClientFactory(
        redirect_uris=[REDIRECT], grant_types=["authorization_code", "refresh_token"]
    )
    browser = Browser(HttpClient())
    browser.sign_in(user)
    return client, exchange(browser.http, client, browser.authorize(client)["code"]).json()


def test_revoking_consent_forgets_it_and_revokes_the_clients_tokens(anon, alice, rp, tokens):
    from accounts.audit import Actor
    from accounts.models import Consent
    from accounts.services.sessions import consent_revoke

    assert Consent.objects.filter(user=alice, client=rp).exists()
    consent_revoke(user=alice, client=rp, actor=Actor.of_user(alice))
    assert not Consent.objects.filter(user=alice, client=rp).exists()
    assert userinfo(anon, tokens["access_token"]).status_code == 401
    assert refresh(anon, rp, tokens["refresh_token"]).status_code == 400
