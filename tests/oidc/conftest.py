"""Helpers for driving the OpenID Provider with Django's test client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client as HttpClient

from accounts.models import Client, User
from tests.factories import ClientFactory
from tests.signin import password_sign_in

PASSWORD = "correct horse battery"  # the UserFactory default
REDIRECT = "https://rp.example.com/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@dataclass
class Browser:
    """A user agent with its own cookies: signs in and walks the authorization endpoint."""

    http: HttpClient

    def sign_in(self, user: User, identifier: str | None = None) -> None:
        identifier = identifier or user.emails.get(preferred=True).address
        response = password_sign_in(self.http, identifier, PASSWORD)
        assert response.status_code == 302, response.content[:500]

    def authorize(
        self,
        client: Client,
        *,
        scope: str = "openid profile email phone",
        verifier_challenge: tuple[str, str] | None = None,
        allow: bool = True,
        **params: str,
    ) -> dict[str, str]:
        """Run /oauth/authorize (consenting if asked); return the redirect's query."""
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": "st-" + secrets.token_hex(4),
            **params,
        }
        if verifier_challenge:
            query.update(code_challenge=verifier_challenge[1], code_challenge_method="S256")
        response = self.http.get("/oauth/authorize", query)
        if response.status_code == 200 and b'name="allow"' in response.content:
            form = {k: v for k, v in response.context["form"].initial.items() if v is not None}
            form["allow" if allow else "deny"] = "x"
            if not allow:
                form.pop("allow", None)
            response = self.http.post("/oauth/authorize?" + response.request["QUERY_STRING"], form)
        assert response.status_code == 302, (response.status_code, response.content[:800])
        location = response["Location"]
        assert location.startswith(REDIRECT), location
        return query_of(location)


@pytest.fixture
def browser() -> Browser:
    return Browser(HttpClient())


@pytest.fixture
def rp(db: None) -> Client:
    """A confidential web client (the relying party), with `.secret`."""
    return ClientFactory(
        name="Relying Party",
        redirect_uris=[REDIRECT],
        post_logout_redirect_uris=["https://rp.example.com/bye"],
        allowed_scopes=["openid", "profile", "email", "phone", "id.user.read"],
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
    )


@pytest.fixture
def public_rp(db: None) -> Client:
    return ClientFactory(
        name="Public App",
        client_type="public",
        redirect_uris=[REDIRECT],
        allowed_scopes=["openid", "profile", "email", "phone"],
        grant_types=["authorization_code", "refresh_token"],
    )


def exchange(
    http: HttpClient, client: Client, code: str, verifier: str | None = None, **extra: str
):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    if verifier:
        data["code_verifier"] = verifier
    headers = {}
    if client.client_type == "confidential":
        headers["HTTP_AUTHORIZATION"] = basic(client.client_id, client.secret)
    else:
        data["client_id"] = client.client_id
    return http.post("/oauth/token", data, **headers)


def authorize_get(http: HttpClient, client: Client, **params: str):
    """GET /oauth/authorize for *client* with REDIRECT, scope openid and code by default."""
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        **params,
    }
    return http.get("/oauth/authorize", query)
