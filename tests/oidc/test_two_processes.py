"""Nothing about a token, a client or the signing key outlives a change on another process.

Two server processes (granian, one worker each, persistent database connections as in
production) serve this test's database. Each is asked first, so that whatever it could keep
between requests it has; then a revocation, a logout, a consent removal, a disabled client, a
rotated secret or a key rotation happens through the other process or outside both, and both
answer by it on the very next request.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
import requests
from django.utils import timezone

from accounts.models import AccessToken, Client, RefreshToken, SignInSession
from accounts.oidc.tokens import checksum
from tests.conftest import issue_access_token
from tests.factories import TEST_ACTOR, ClientFactory, UserFactory
from tests.servers import database_url, free_port, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]


def _serve(port: int, log: IO[str]) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DB_CONN_MAX_AGE": "600",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(  # noqa: S603
        [
            *(sys.executable, "-m", "granian", "--interface", "wsgi", "--no-ws", "--workers", "1"),
            *("--host", "127.0.0.1", "--port", str(port), "connect_id.wsgi:application"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.fixture(scope="module")
def servers(django_db_setup, tmp_path_factory) -> Iterator[list[str]]:
    folder = tmp_path_factory.mktemp("two-processes")
    ports = [free_port(), free_port()]
    logs = [(folder / f"server-{port}.log").open("w") for port in ports]
    processes = [_serve(port, log) for port, log in zip(ports, logs, strict=True)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process, port in zip(urls, processes, ports, strict=True):
            wait_until_ready(url, process, log=folder / f"server-{port}.log", timeout=60)
        yield urls
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=20)
        for log in logs:
            log.close()


def _basic(client: Client, secret: str | None = None) -> dict[str, str]:
    pair = f"{client.client_id}:{secret or client.secret}".encode()  # type: ignore[attr-defined]
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def _userinfo(url: str, raw: str) -> int:
    response = requests.get(
        f"{url}/oauth/userinfo", headers={"Authorization": f"Bearer {raw}"}, timeout=10
    )
    return response.status_code


def _cc(url: str, client: Client, secret: str | None = None) -> int:
    response = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=_basic(client, secret),
        timeout=10,
    )
    return response.status_code


def _active(url: str, client: Client, raw: str) -> bool:
    response = requests.post(
        f"{url}/oauth/introspect", data={"token": raw}, headers=_basic(client), timeout=10
    )
    assert response.status_code == 200, response.text
    return bool(response.json()["active"])


@pytest.fixture
def rp(transactional_db) -> Client:
    return ClientFactory(
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        allowed_scopes=["openid", "profile", "id.user.read"],
    )


@pytest.fixture
def person(transactional_db):
    return UserFactory()


def test_a_token_revoked_through_one_process_is_refused_by_the_other(servers, rp, person):
    first, second = servers
    raw = issue_access_token(person, "openid profile", client=rp)
    for url in servers:
        assert _userinfo(url, raw) == 200 and _active(url, rp, raw)
    revoked = requests.post(
        f"{first}/oauth/revoke", data={"token": raw}, headers=_basic(rp), timeout=10
    )
    assert revoked.status_code == 200
    assert _userinfo(second, raw) == 401 and not _active(second, rp, raw)
    assert _userinfo(first, raw) == 401


def test_a_logout_through_one_process_ends_the_tokens_on_the_other(servers, rp, person):
    first, second = servers
    session = SignInSession.objects.create(user=person, user_agent="test")
    raw = issue_access_token(person, "openid profile", client=rp)
    AccessToken.objects.filter(token_checksum=checksum(raw)).update(session=session)
    for url in servers:
        assert _userinfo(url, raw) == 200
    logout = requests.post(
        f"{first}/oauth/logout", headers={"Authorization": f"Bearer {raw}"}, timeout=10
    )
    assert logout.status_code == 204
    assert _userinfo(second, raw) == 401 and not _active(second, rp, raw)
    session.refresh_from_db()
    assert session.ended_at is not None


def test_a_consent_removal_is_seen_by_both_processes_at_once(servers, rp, person):
    from accounts.services.sessions import consent_revoke

    raw = issue_access_token(person, "openid profile", client=rp)
    for url in servers:
        assert _userinfo(url, raw) == 200
    consent_revoke(user=person, client=rp, actor=TEST_ACTOR)
    for url in servers:
        assert _userinfo(url, raw) == 401


def test_a_rotated_secret_and_a_disabled_client_are_seen_by_both_processes(servers, rp, person):
    from accounts.services import client_rotate_secret

    raw = issue_access_token(person, "openid profile", client=rp)
    old = rp.secret  # type: ignore[attr-defined]
    for url in servers:
        assert _cc(url, rp) == 200 and _active(url, rp, raw)
    new = client_rotate_secret(client=rp, actor=TEST_ACTOR)
    for url in servers:
        assert _cc(url, rp, old) == 401
        assert _cc(url, rp, new) == 200
    rp.secret = new  # type: ignore[attr-defined]
    Client.objects.filter(pk=rp.pk).update(enabled=False)
    for url in servers:
        assert _cc(url, rp) == 401
        assert _userinfo(url, raw) == 401  # a disabled client's tokens stop working with it


def _refresh_token(person, rp: Client) -> str:
    """A live refresh token, stored as the token endpoint stores one."""
    from oauth2_provider.models import set_token_value

    access = AccessToken(
        user=person,
        application=rp,
        scope="openid profile",
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    set_token_value(access, secrets.token_urlsafe(32))
    access.save()
    raw = secrets.token_urlsafe(32)
    refresh = RefreshToken(user=person, application=rp, access_token=access)
    set_token_value(refresh, raw)
    refresh.save()
    return raw


def _id_token_kid(url: str, rp: Client, raw_refresh: str) -> str:
    response = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": raw_refresh},
        headers=_basic(rp),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    header = response.json()["id_token"].split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def test_a_key_rotated_in_at_once_signs_on_both_processes_from_the_next_token(servers, rp, person):
    from accounts.oidc import keys

    before = {_id_token_kid(url, rp, _refresh_token(person, rp)) for url in servers}
    assert len(before) == 1  # both processes sign with the same key, and now hold it
    new = keys.rotate(immediately=True)  # as `manage.py rotate_keys --now` does
    for url in servers:
        jwks = requests.get(f"{url}/oauth/public_keys.jwks", timeout=10).json()
        assert {new.kid} | before <= {key["kid"] for key in jwks["keys"]}
        assert _id_token_kid(url, rp, _refresh_token(person, rp)) == new.kid
