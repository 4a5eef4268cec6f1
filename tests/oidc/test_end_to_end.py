"""The whole protocol, driven by a real OpenID Connect client library (authlib) against a live
server over HTTP: discovery → code + PKCE → tokens → ID token verified against the JWKS →
userinfo → refresh → introspection → revocation → logout (with back-channel); client
credentials."""

from __future__ import annotations

import html
import re
import secrets
import warnings
from urllib.parse import urljoin

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from accounts.models import SignInSession
from tests.factories import ClientFactory, UserFactory
from tests.oidc.conftest import PASSWORD, REDIRECT
from tests.oidc.test_logout_and_keys import Receiver

with warnings.catch_warnings():
    # authlib.jose still validates OIDC claims (at_hash, nonce); its successor joserfc does not.
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey
    from authlib.jose import jwt as authlib_jwt
    from authlib.oidc.core import CodeIDToken

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(live_server, settings):
    base = live_server.url
    settings.SITE_URL = base
    settings.ISSUER = f"{base}/oauth"
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": settings.ISSUER}
    settings.ALLOWED_HOSTS = ["*"]
    return base


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


def hidden_inputs(page: str) -> dict[str, str]:
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in fields}


def requests_sign_in(browser: requests.Session, signin_url: str, identifier: str):
    """The identifier page, then the password page; return the redirect after signing in."""
    page = browser.get(signin_url)
    form = {**hidden_inputs(page.text), "identifier": identifier, "with": "password"}
    response = browser.post(page.url, data=form, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    password_page = browser.get(urljoin(signin_url, response.headers["Location"]))
    form = {**hidden_inputs(password_page.text), "password": PASSWORD}
    response = browser.post(password_page.url, data=form, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return response


def browser_consents(browser: requests.Session, authorization_url: str, identifier: str) -> str:
    """Play the user: sign in, allow, and return the redirect back to the client."""
    response = browser.get(authorization_url, allow_redirects=False)
    assert response.status_code == 302 and "/gui/signin" in response.headers["Location"]
    response = requests_sign_in(
        browser, urljoin(authorization_url, response.headers["Location"]), identifier
    )
    consent = browser.get(
        urljoin(authorization_url, response.headers["Location"]), allow_redirects=False
    )
    assert consent.status_code == 200 and "asks for" in consent.text
    form = hidden_inputs(consent.text)
    form["allow"] = "Authorize"
    response = browser.post(consent.url, data=form, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def test_a_standard_oidc_client_completes_every_flow(live, receiver):
    user = UserFactory(email="kari@example.com", phone="4798765432", realname="Kari Nordmann")
    client = ClientFactory(
        name="Authlib RP",
        redirect_uris=[REDIRECT],
        post_logout_redirect_uris=["https://rp.example.com/bye"],
        allowed_scopes=["openid", "profile", "email", "phone", "id.user.read"],
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        backchannel_logout_uri=receiver.url,
    )

    # Discovery
    meta = requests.get(f"{live}/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == f"{live}/oauth"
    jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())

    # Authorization code + PKCE (S256)
    rp = OAuth2Session(
        client.client_id,
        client.secret,
        scope="openid profile email phone",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier, nonce = generate_token(48), secrets.token_urlsafe(16)
    url, _state = rp.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    browser = requests.Session()
    callback = browser_consents(browser, url, "kari@example.com")
    token = rp.fetch_token(
        meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert token["token_type"] == "Bearer" and "refresh_token" in token

    # ID token, verified against the JWKS (signature, iss, aud, exp, iat, nonce, at_hash)
    claims = authlib_jwt.decode(
        token["id_token"],
        jwks,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": meta["issuer"]}},
        claims_params={
            "nonce": nonce,
            "client_id": client.client_id,
            "access_token": token["access_token"],
        },
    )
    claims.validate()
    assert claims["sub"] == user.pk and claims["acr"] == "2" and claims["sid"]

    # UserInfo
    info = rp.get(meta["userinfo_endpoint"]).json()
    assert info == {
        "sub": user.pk,
        "name": "Kari Nordmann",
        "email": "kari@example.com",
        "email_verified": True,
        "phone_number": "4798765432",
        "phone_number_verified": True,
        "locale": "en",  # the language the sign-in pages spoke
    }

    # Refresh (rotation)
    old_refresh = token["refresh_token"]
    token = rp.refresh_token(meta["token_endpoint"])
    assert token["refresh_token"] != old_refresh

    # Introspection (RFC 7662)
    def introspect(value: str) -> dict:
        return requests.post(
            meta["introspection_endpoint"],
            data={"token": value},
            auth=(client.client_id, client.secret),
            timeout=10,
        ).json()

    assert introspect(token["access_token"])["active"] is True

    # Revocation (RFC 7009)
    revoked = rp.revoke_token(
        meta["revocation_endpoint"], token=token["access_token"], token_type_hint="access_token"
    )
    assert revoked.status_code == 200
    assert introspect(token["access_token"]) == {"active": False}

    # RP-initiated logout, with back-channel logout to the client
    response = browser.get(
        meta["end_session_endpoint"],
        allow_redirects=False,
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": "https://rp.example.com/bye",
            "state": "bye",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "https://rp.example.com/bye?state=bye"
    assert SignInSession.objects.get().ended_at is not None
    assert len(receiver.received) == 1
    logout_claims = authlib_jwt.decode(receiver.received[0], jwks)
    assert logout_claims["sid"] == claims["sid"] and logout_claims["aud"] == client.client_id
    assert introspect(token["refresh_token"]) == {"active": False}

    # Client credentials
    machine = OAuth2Session(client.client_id, client.secret)
    machine_token = machine.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert machine_token["scope"] == "id.user.read"
    assert introspect(machine_token["access_token"])["active"] is True


def test_a_public_client_with_pkce_and_no_secret(live):
    UserFactory(email="ola@example.com", phone="4798765431")
    client = ClientFactory(
        name="Native",
        client_type="public",
        platform="android",
        redirect_uris=["connect-native://connect/oauth2callback"],
        allowed_scopes=["openid", "email"],
        grant_types=["authorization_code", "refresh_token"],
    )
    meta = requests.get(f"{live}/oauth/.well-known/openid-configuration", timeout=10).json()
    rp = OAuth2Session(
        client.client_id,
        scope="openid email",
        redirect_uri="connect-native://connect/oauth2callback",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = generate_token(48)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
    browser = requests.Session()
    response = browser.get(url, allow_redirects=False)
    signed_in = requests_sign_in(
        browser, urljoin(url, response.headers["Location"]), "+47 987 65 431"
    )
    consent = browser.get(urljoin(url, signed_in.headers["Location"]))
    form = {**hidden_inputs(consent.text), "allow": "Authorize"}
    callback = browser.post(consent.url, data=form, allow_redirects=False).headers["Location"]
    assert callback.startswith("connect-native://connect/oauth2callback?code=")
    token = rp.fetch_token(
        meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert "id_token" in token
