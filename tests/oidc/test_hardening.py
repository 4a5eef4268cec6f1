"""Negative cases found in review: each is a way to misuse the provider that must fail cleanly."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest

from accounts.models import Grant, SignInSession
from tests.factories import ClientFactory, UserFactory
from tests.oidc.conftest import (
    REDIRECT,
    Browser,
    authorize_get,
    basic,
    exchange,
    pkce_pair,
    query_of,
)


def test_the_password_grant_is_not_offered_and_checks_no_password(anon, alice, public_rp, rp):
    for client_auth in (
        {"client_id": public_rp.client_id},
        {"client_id": rp.client_id, "client_secret": rp.secret},
    ):
        for password in ("correct horse battery", "wrong"):
            response = anon.post(
                "/oauth/token",
                {
                    "grant_type": "password",
                    "username": "alice@example.com",
                    "password": password,
                    **client_auth,
                },
            )
            assert response.status_code == 400
            assert response.json()["error"] == "unsupported_grant_type"


def test_the_device_grant_is_not_offered(anon, rp):
    response = anon.post(
        "/oauth/token",
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": "x",
        },
        HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret),
    )
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def test_implicit_and_hybrid_response_types_are_unsupported(browser, alice, rp):
    browser.sign_in(alice)
    for response_type in ("token", "id_token", "code id_token"):
        response = browser.http.get(
            "/oauth/authorize",
            {
                "response_type": response_type,
                "client_id": rp.client_id,
                "redirect_uri": REDIRECT,
                "scope": "openid",
                "state": "s",
                "nonce": "n",
            },
        )
        assert response.status_code == 302, response_type
        assert query_of(response["Location"])["error"] == "unsupported_response_type"


@pytest.mark.parametrize(
    "request_args",
    [
        (
            "post",
            "/oauth/introspect",
            {"token": "x"},
            {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"a\x00b:x").decode()},
        ),
        (
            "post",
            "/oauth/introspect",
            {"token": "x", "client_id": "a\x00b", "client_secret": "x"},
            {},
        ),
        ("get", "/oauth/logout", {"client_id": "a\x00"}, {}),
        ("get", "/oauth/authorize", {"client_id": "a\x00", "response_type": "code"}, {}),
        ("post", "/oauth/token", {"grant_type": "client_credentials", "client_id": "a\x00"}, {}),
    ],
)
def test_nul_bytes_are_a_clean_400(anon, db, request_args):
    method, path, data, headers = request_args
    if method == "post":
        response = anon.generic(
            "POST", path, urlencode(data), "application/x-www-form-urlencoded", **headers
        )
    else:
        response = anon.get(path, data, **headers)
    assert response.status_code in (400, 401)


def test_a_nul_in_the_nonce_of_a_signed_in_user_is_refused(browser, alice, rp):
    browser.sign_in(alice)
    response = authorize_get(browser.http, rp, nonce="a\x00")
    assert response.status_code == 400
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    "params",
    [
        {"code_challenge": "short", "code_challenge_method": "S256"},
        {"code_challenge": "x" * 129, "code_challenge_method": "S256"},
        {"code_challenge": "é" * 50, "code_challenge_method": "S256"},
        {"nonce": "n" * 256},
    ],
)
def test_malformed_pkce_and_oversized_nonce_redirect_with_invalid_request(
    browser, alice, rp, params
):
    browser.sign_in(alice)
    response = browser.http.get(
        "/oauth/authorize",
        {
            "response_type": "code",
            "client_id": rp.client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "state": "s9",
            **params,
        },
    )
    assert response.status_code == 302
    result = query_of(response["Location"])
    assert result["error"] == "invalid_request" and result["state"] == "s9"
    assert not Grant.objects.exists()


def test_errors_reach_clients_with_loopback_http_redirect_uris(browser, alice):
    native = ClientFactory(
        name="Desktop",
        client_type="public",
        platform="desktop",
        redirect_uris=["http://127.0.0.1:9999/cb"],
        allowed_scopes=["openid"],
    )
    browser.sign_in(alice)
    response = browser.http.get(
        "/oauth/authorize",
        {
            "response_type": "code",
            "client_id": native.client_id,
            "redirect_uri": "http://127.0.0.1:9999/cb",
            "scope": "openid",
            "state": "s",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith("http://127.0.0.1:9999/cb?")
    result = query_of(response["Location"])
    assert result["error"] == "invalid_request"  # PKCE missing
    assert result["iss"] == "http://testserver/oauth" and result["state"] == "s"


def test_every_error_redirect_carries_iss_and_a_description(browser, alice, rp):
    browser.sign_in(alice)
    response = authorize_get(browser.http, rp, scope="openid nope", state="s")
    result = query_of(response["Location"])
    assert set(result) == {"error", "error_description", "state", "iss"}


def test_an_unknown_client_gets_its_error_page_before_any_sign_in(anon, db):
    response = anon.get(
        "/oauth/authorize",
        {
            "response_type": "code",
            "client_id": "nobody",
            "redirect_uri": REDIRECT,
            "scope": "openid",
        },
    )
    assert response.status_code in (400, 401) and "Location" not in response


def test_someone_elses_id_token_hint_does_not_sign_you_out(rp, settings):
    from django.test import Client as HttpClient

    kari, bob = UserFactory(email="kari@example.com"), UserFactory(email="bob2@example.com")
    kari_browser, bob_browser = Browser(HttpClient()), Browser(HttpClient())
    kari_browser.sign_in(kari)
    bob_browser.sign_in(bob)
    bobs = exchange(bob_browser.http, rp, bob_browser.authorize(rp)["code"]).json()
    response = kari_browser.http.get("/oauth/logout", {"id_token_hint": bobs["id_token"]})
    assert response.status_code == 200 and b"Sign out of CONNECT ID?" in response.content
    assert SignInSession.objects.get(user=kari).ended_at is None


def test_a_pkce_downgrade_is_refused(browser, alice, rp):
    browser.sign_in(alice)
    code = browser.authorize(rp)["code"]  # no code_challenge
    verifier, _ = pkce_pair()
    response = exchange(browser.http, rp, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_client_cannot_introspect_another_clients_tokens(browser, alice, rp):
    browser.sign_in(alice)
    tokens = exchange(browser.http, rp, browser.authorize(rp)["code"]).json()
    other = ClientFactory(name="Nosy")
    response = browser.http.post(
        "/oauth/introspect",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic(other.client_id, other.secret),
    )
    assert response.json() == {"active": False}


def test_client_authentication_failures_challenge_with_basic(anon, rp):
    response = anon.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(rp.client_id, "wrong"),
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_two_client_authentication_methods_at_once_are_refused(anon, rp):
    response = anon.post(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_id": rp.client_id, "client_secret": rp.secret},
        HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_a_stored_code_digest_is_not_a_code(browser, alice, rp):
    browser.sign_in(alice)
    browser.authorize(rp)
    stolen = Grant.objects.get().code
    response = exchange(browser.http, rp, stolen)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_unsupported_acr_values_are_ignored(browser, alice, rp):
    browser.sign_in(alice)
    browser.authorize(rp, scope="openid")
    response = authorize_get(browser.http, rp, acr_values="9")
    assert response.status_code == 302 and "code=" in response["Location"]


def test_a_tampered_consent_form_gets_the_error_page(browser, alice, rp):
    browser.sign_in(alice)
    page = authorize_get(browser.http, rp, scope="openid profile", state="s")
    form = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    for tampered in (
        {**form, "client_id": "nope"},
        {**form, "redirect_uri": "https://evil.example/cb"},
        {k: v for k, v in form.items() if k != "client_id"},
    ):
        response = browser.http.post("/oauth/authorize", {**tampered, "allow": "Authorize"})
        assert response.status_code == 400
        assert "Location" not in response


@pytest.mark.parametrize("param", ["request", "request_uri"])
def test_request_objects_are_refused_not_ignored(browser, alice, rp, param):
    browser.sign_in(alice)
    response = authorize_get(browser.http, rp, state="s", **{param: "eyJhbGciOiJub25lIn0.e30."})
    assert query_of(response["Location"])["error"] == f"{param}_not_supported"
