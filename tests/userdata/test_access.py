"""Every /id/ endpoint under every kind of caller: owner's token, another user's token, nobody,
a token without the scope, an API credential with and without the operation (spec §1.2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import TestCase

from accounts.audit import Actor
from accounts.services import phone_send_verification
from tests.factories import ClientFactory
from tests.signin import last_pin
from tests.userdata.conftest import PROBLEM, AliceData


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # formatted with alice_data: {u} user, {m} mail, {p} phone, {a} account
    operation: str
    scope: str | None = None  # None: Basic only
    ok: int = 200
    body: dict[str, Any] | None = None
    prepare: Callable[[AliceData], dict[str, Any]] = field(default=lambda d: {})

    def url(self, d: AliceData, connect_id: str | None = None) -> str:
        return self.path.format(
            u=connect_id or d.user.id, m=d.spare_mail.id, p=d.spare_phone.id, a=d.account.id
        )

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _pin(d: AliceData) -> dict[str, Any]:
    with TestCase.captureOnCommitCallbacks(execute=True):
        phone_send_verification(phone=d.spare_phone, actor=Actor.system("test"))
    return {"verificationCode": last_pin()}


ENDPOINTS = [
    Endpoint("GET", "/id/users?username=alice@example.com", "users:read"),
    Endpoint("POST", "/id/users", "users:write", ok=201, body={"username": "new@example.com"}),
    Endpoint("GET", "/id/users/{u}", "users:read", "id.user.read"),
    Endpoint("PUT", "/id/users/{u}", "users:write", "id.user.write", body={"realname": "A"}),
    Endpoint("DELETE", "/id/users/{u}", "users:write", ok=204),
    Endpoint("GET", "/id/users/{u}/mails", "mails:read", "id.user.email.read"),
    Endpoint("POST", "/id/users/{u}/mails", "mails:write", ok=201, body={"address": "n@ex.com"}),
    Endpoint("GET", "/id/users/{u}/mails/{m}", "mails:read", "id.user.email.read"),
    Endpoint("DELETE", "/id/users/{u}/mails/{m}", "mails:write", ok=204),
    Endpoint("POST", "/id/users/{u}/mails/{m}/sendverificationmail", "mails:write", ok=204),
    Endpoint(
        "POST",
        "/id/users/{u}/mails/{m}/makeprimary",
        "mails:write",
        prepare=lambda d: (
            d.spare_mail.__class__.objects.filter(pk=d.spare_mail.pk).update(
                verified=True, verified_at=d.user.created_at
            )
            and {}
        ),
    ),
    Endpoint("GET", "/id/users/{u}/phones", "phones:read", "id.user.phone.read"),
    Endpoint("POST", "/id/users/{u}/phones", "phones:write", ok=201, body={"number": "4798765432"}),
    Endpoint("GET", "/id/users/{u}/phones/{p}", "phones:read", "id.user.phone.read"),
    Endpoint("DELETE", "/id/users/{u}/phones/{p}", "phones:write", ok=204),
    Endpoint("POST", "/id/users/{u}/phones/{p}/sendverificationsms", "phones:write", ok=204),
    Endpoint("POST", "/id/users/{u}/phones/{p}/verify", "phones:write", prepare=_pin),
    Endpoint(
        "POST",
        "/id/users/{u}/phones/{p}/makeprimary",
        "phones:write",
        prepare=lambda d: (
            d.spare_phone.__class__.objects.filter(pk=d.spare_phone.pk).update(
                verified=True, verified_at=d.user.created_at
            )
            and {}
        ),
    ),
    Endpoint("GET", "/id/users/{u}/accounts", "accounts:read", "id.user.account.read"),
    Endpoint(
        "POST",
        "/id/users/{u}/accounts",
        "accounts:write",
        ok=201,
        body={"type": "t", "userid": "1"},
    ),
    Endpoint("GET", "/id/users/{u}/accounts/{a}", "accounts:read", "id.user.account.read"),
    Endpoint("DELETE", "/id/users/{u}/accounts/{a}", "accounts:write", ok=204),
]
BEARER_ENDPOINTS = [e for e in ENDPOINTS if e.scope]
BEARER_USER_ENDPOINTS = [e for e in BEARER_ENDPOINTS if "{u}" in e.path]


def call(http, endpoint: Endpoint, d: AliceData, connect_id: str | None = None):
    body = {**(endpoint.body or {}), **endpoint.prepare(d)}
    return (
        getattr(http, endpoint.method.lower())(
            endpoint.url(d, connect_id), body, content_type="application/json"
        )
        if endpoint.method in ("POST", "PUT")
        else getattr(http, endpoint.method.lower())(endpoint.url(d, connect_id))
    )


def assert_problem(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert {"type", "title", "detail"} <= body.keys()
    return body


@pytest.mark.parametrize("endpoint", BEARER_ENDPOINTS, ids=str)
@pytest.mark.parametrize("connect_id", [None, "me"], ids=["by-id", "me"])
def test_alices_own_token_works(endpoint, connect_id, alice_data, bearer_client):
    http = bearer_client(alice_data.user, endpoint.scope)
    response = call(http, endpoint, alice_data, connect_id)
    assert response.status_code == endpoint.ok, response.content


@pytest.mark.parametrize("endpoint", BEARER_USER_ENDPOINTS, ids=str)
def test_bobs_token_on_alices_id_is_forbidden(endpoint, alice_data, bob, bearer_client):
    response = call(bearer_client(bob, endpoint.scope), endpoint, alice_data)
    assert_problem(response, 403, "user_mismatch")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_no_credentials_is_401_with_the_challenges_the_endpoint_accepts(endpoint, alice_data, anon):
    response = call(anon, endpoint, alice_data)
    assert_problem(response, 401, "authentication_required")
    challenge = response["WWW-Authenticate"]
    assert 'Basic realm="CONNECT ID"' in challenge
    if endpoint.scope:
        assert f'Bearer realm="CONNECT ID", scope="{endpoint.scope}"' in challenge
    else:
        assert "Bearer" not in challenge


@pytest.mark.parametrize("endpoint", BEARER_ENDPOINTS, ids=str)
def test_token_without_the_scope_is_403_insufficient_scope(endpoint, alice_data, bearer_client):
    response = call(bearer_client(alice_data.user, "openid profile"), endpoint, alice_data)
    body = assert_problem(response, 403, "insufficient_scope")
    assert body["error"] == "insufficient_scope"
    challenge = response["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and f'scope="{endpoint.scope}"' in challenge


@pytest.mark.parametrize("endpoint", BEARER_ENDPOINTS, ids=str)
def test_invalid_token_is_401_invalid_token(endpoint, alice_data, anon):
    anon.defaults["HTTP_AUTHORIZATION"] = "Bearer not-a-real-token"
    response = call(anon, endpoint, alice_data)
    body = assert_problem(response, 401, "invalid_token")
    assert body["error"] == "invalid_token"
    assert 'Bearer realm="CONNECT ID", error="invalid_token"' in response["WWW-Authenticate"]
    assert 'Basic realm="CONNECT ID"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.scope], ids=str)
def test_a_bearer_token_on_a_basic_only_endpoint_is_401_with_the_basic_challenge(
    endpoint, alice_data, bearer_client
):
    scopes = "id.user.read id.user.write id.user.email.read id.user.phone.read"
    response = call(bearer_client(alice_data.user, scopes), endpoint, alice_data)
    assert_problem(response, 401, "authentication_required")
    assert response["WWW-Authenticate"] == 'Basic realm="CONNECT ID", charset="UTF-8"'


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@pytest.mark.parametrize("operation", ["own", "*"])
def test_api_credential_with_the_operation_works(endpoint, operation, alice_data, basic_client):
    http = basic_client(endpoint.operation if operation == "own" else "*")
    response = call(http, endpoint, alice_data)
    assert response.status_code == endpoint.ok, response.content


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_api_credential_without_the_operation_is_403(endpoint, alice_data, basic_client):
    other = "tokens:introspect"
    response = call(basic_client(other), endpoint, alice_data)
    assert_problem(response, 403, "operation_not_allowed")
    assert "WWW-Authenticate" not in response


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_wrong_api_secret_is_401(endpoint, alice_data, basic_client):
    http = basic_client()
    http.defaults["HTTP_AUTHORIZATION"] = http.defaults["HTTP_AUTHORIZATION"][:-4] + "AAA="
    response = call(http, endpoint, alice_data)
    assert_problem(response, 401, "invalid_credentials")
    assert 'Basic realm="CONNECT ID"' in response["WWW-Authenticate"]


def test_revoked_api_credential_is_401(alice_data, basic_client):
    from accounts.services import api_credential_revoke

    http = basic_client()
    api_credential_revoke(credential=http.credential, actor=Actor.system("test"))
    response = http.get(f"/id/users/{alice_data.user.id}")
    assert_problem(response, 401, "invalid_credentials")


def test_user_write_scope_is_refused_to_public_clients(alice, bearer_client):
    public = ClientFactory(
        client_type="public", allowed_scopes=["openid"], redirect_uris=["https://app.example/cb"]
    )
    http = bearer_client(alice, "id.user.write", client=public)
    response = http.put("/id/users/me", {"realname": "X"}, content_type="application/json")
    body = assert_problem(response, 403, "insufficient_scope")
    assert "public clients" in body["detail"]


def test_a_token_without_a_user_cannot_read_users(alice, bearer_client):
    response = bearer_client(None, "id.user.read").get(f"/id/users/{alice.id}")
    assert_problem(response, 403, "token_without_user")


def test_api_credential_on_me_is_404(basic_client, db):
    assert_problem(basic_client().get("/id/users/me"), 404, "user_not_found")


def test_api_credential_use_is_recorded(alice, basic_client):
    http = basic_client("users:read")
    assert http.credential.last_used_at is None
    http.get(f"/id/users/{alice.id}")
    http.credential.refresh_from_db()
    assert http.credential.last_used_at is not None
