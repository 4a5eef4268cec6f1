"""The client_credentials shortcut (accounts.oidc.client_credentials) answers exactly as the
general oauthlib path does, and leaves every other request, errors included, to that path."""

from __future__ import annotations

import base64

import pytest

from accounts.models import AccessToken
from accounts.oidc import client_credentials as shortcut
from accounts.oidc.tokens import checksum
from tests.factories import ClientFactory


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def machine(db):
    return ClientFactory(
        grant_types=["client_credentials"],
        allowed_scopes=["openid", "profile", "id.user.read", "id.user.email.read"],
    )


@pytest.fixture
def calls(monkeypatch):
    """Records what the shortcut answered: a response, or None (the general path)."""
    seen: list[bool] = []
    original = shortcut.client_credentials_token

    def spy(request, credentials):
        response = original(request, credentials)
        seen.append(response is not None)
        return response

    monkeypatch.setattr("accounts.oidc.views.client_credentials_token", spy)
    return seen


def token_request(http, machine, **form):
    return http.post(
        "/oauth/token",
        {"grant_type": "client_credentials", **form},
        HTTP_AUTHORIZATION=basic(machine.client_id, machine.secret),
    )


def answer(response) -> tuple[int, list[str], dict[str, str], str]:
    body = response.json()
    headers = {name: response[name] for name in ("Content-Type", "Cache-Control", "Pragma")}
    return response.status_code, list(body), headers, body.get("scope", "")


@pytest.mark.parametrize(
    "form", [{}, {"scope": "id.user.read"}, {"scope": "id.user.read id.user.email.read"}]
)
def test_the_shortcut_answers_as_the_general_path(anon, machine, calls, monkeypatch, form):
    fast = token_request(anon, machine, **form)
    assert calls == [True]
    monkeypatch.setattr("accounts.oidc.views.client_credentials_token", lambda request, c: None)
    general = token_request(anon, machine, **form)
    assert fast.status_code == 200, fast.content
    assert answer(fast) == answer(general)
    assert fast.json()["expires_in"] == general.json()["expires_in"]
    # The stored token is the same kind of row: no user, the client, the scope, no claims.
    rows = [
        AccessToken.objects.get(token_checksum=checksum(r.json()["access_token"]))
        for r in (fast, general)
    ]
    fields = [f.attname for f in AccessToken._meta.concrete_fields]
    for name in ("id", "token_checksum", "expires", "created", "updated"):
        fields.remove(name)
    assert [getattr(rows[0], f) for f in fields] == [getattr(rows[1], f) for f in fields]
    for stamp in ("expires", "created", "updated"):
        assert abs((getattr(rows[0], stamp) - getattr(rows[1], stamp)).total_seconds()) < 60
    assert rows[0].created == rows[0].updated


def test_a_shortcut_token_works_at_introspection(anon, machine, calls):
    raw = token_request(anon, machine).json()["access_token"]
    assert calls == [True]
    introspected = anon.post(
        "/oauth/introspect",
        {"token": raw},
        HTTP_AUTHORIZATION=basic(machine.client_id, machine.secret),
    ).json()
    assert introspected["active"] is True
    assert introspected["client_id"] == machine.client_id
    assert introspected["scope"] == "id.user.read id.user.email.read"


@pytest.mark.parametrize(
    ("form", "auth", "status", "error"),
    [
        ({}, "wrong secret", 401, "invalid_client"),
        ({"scope": "openid"}, None, 400, "invalid_scope"),
        ({"scope": "id.user.write"}, None, 400, "invalid_scope"),
    ],
)
def test_errors_take_the_general_path_and_keep_its_answer(
    anon, machine, calls, form, auth, status, error
):
    secret = machine.secret + "x" if auth == "wrong secret" else machine.secret
    response = anon.post(
        "/oauth/token",
        {"grant_type": "client_credentials", **form},
        HTTP_AUTHORIZATION=basic(machine.client_id, secret),
    )
    assert calls == [False]
    assert response.status_code == status, response.content
    assert response.json()["error"] == error
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Basic ")


@pytest.mark.parametrize(
    ("form", "query"),
    [
        ({"scope": ["id.user.read", "id.user.read"]}, ""),
        ({"resource": "https://api.example.com"}, ""),
        ({"scope": "id.user.read  id.user.email.read"}, ""),
        ({}, "?scope=id.user.read"),
    ],
)
def test_unusual_requests_take_the_general_path(anon, machine, calls, form, query):
    anon.post(
        "/oauth/token" + query,
        {"grant_type": "client_credentials", **form},
        HTTP_AUTHORIZATION=basic(machine.client_id, machine.secret),
    )
    assert calls == [False]


def test_client_secret_post_takes_the_general_path(anon, machine, calls):
    response = anon.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": machine.client_id,
            "client_secret": machine.secret,
        },
    )
    assert calls == [False]
    assert response.status_code == 200


def test_a_client_without_the_grant_takes_the_general_path(anon, db, calls):
    client = ClientFactory(grant_types=["authorization_code"], allowed_scopes=["id.user.read"])
    response = token_request(anon, client)
    assert calls == [False]
    assert response.json()["error"] == "unauthorized_client"


def test_a_disabled_client_takes_the_general_path(anon, machine, calls):
    machine.enabled = False
    machine.save()
    response = token_request(anon, machine)
    assert calls == [False]
    assert response.status_code == 401


def test_the_shortcut_is_counted_in_the_metrics(anon, machine, calls):
    from prometheus_client import REGISTRY

    labels = {"client": machine.client_id, "grant": "client_credentials", "result": "issued"}
    before = REGISTRY.get_sample_value("connect_tokens_total", labels) or 0.0
    assert token_request(anon, machine).status_code == 200
    assert REGISTRY.get_sample_value("connect_tokens_total", labels) == before + 1


def test_one_statement_decides_and_stores(anon, machine, django_assert_num_queries):
    with django_assert_num_queries(1):  # the client's checks and the new token's row
        assert token_request(anon, machine).status_code == 200


def test_a_rotated_secret_works_at_once_and_the_old_one_no_longer(anon, machine, calls):
    from accounts.services import client_rotate_secret
    from tests.factories import TEST_ACTOR

    old = machine.secret
    machine.secret = client_rotate_secret(client=machine, actor=TEST_ACTOR)
    assert token_request(anon, machine).status_code == 200
    response = anon.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(machine.client_id, old),
    )
    assert calls == [True, False]
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_scope_the_client_may_not_ask_for_beside_one_it_may_is_refused(anon, machine, calls):
    response = token_request(anon, machine, scope="id.user.read id.user.phone.read")
    assert calls == [False]
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert not AccessToken.objects.exists()
