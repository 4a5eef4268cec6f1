"""The admin CLI: JSON output, and bad input exits non-zero with one line and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management import call_command

from accounts.models import ApiCredential, AuditEvent, Client, Email, Phone, User
from tests.servers import database_url

ROOT = Path(__file__).resolve().parents[2]


def run_json(*args: str) -> dict:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1  # exactly one JSON object
    return json.loads(lines[0])


def test_create_user_prints_the_new_id(db):
    result = run_json(
        "create_user",
        "--email",
        "Kari@Example.com",
        "--phone",
        "+47 912 34 567",
        "--password",
        "sju sorte katter",
        "--name",
        "Kari",
        "--verified",
    )
    assert set(result) == {"id"}
    user = User.objects.get(pk=result["id"])
    assert user.realname == "Kari"
    assert user.active and user.check_password("sju sorte katter")
    assert user.password.startswith("argon2$argon2id$")
    assert user.emails.get().address == "Kari@example.com"
    assert user.phones.get().number == "4791234567"
    assert user.emails.get().verified and user.phones.get().verified


def test_create_client_prints_id_and_secret_which_is_stored_only_as_a_digest(db):
    result = run_json(
        "create_client",
        "--name",
        "Hipstagram",
        "--type",
        "confidential",
        "--redirect-uri",
        "https://hipstagram.example/cb",
        "--redirect-uri",
        "https://hipstagram.example/cb2",
        "--post-logout-redirect-uri",
        "https://hipstagram.example/",
        "--scope",
        "openid",
        "--scope",
        "profile email",
        "--grant",
        "authorization_code",
        "--grant",
        "refresh_token",
        "--grant",
        "client_credentials",
        "--first-party",
        "--backchannel-logout-uri",
        "https://hipstagram.example/bcl",
    )
    assert set(result) == {"client_id", "client_secret"}
    client = Client.objects.get(client_id=result["client_id"])
    assert client.client_secret != result["client_secret"]
    assert client.client_secret.startswith("secret_sha256$$")
    assert check_password(result["client_secret"], client.client_secret)
    assert len(result["client_secret"]) >= 43  # 256 random bits
    assert client.redirect_uris.split() == [
        "https://hipstagram.example/cb",
        "https://hipstagram.example/cb2",
    ]
    assert client.allowed_scopes == ["openid", "profile", "email"]
    assert client.grant_types == ["authorization_code", "refresh_token", "client_credentials"]
    assert client.first_party and client.backchannel_logout_uri == "https://hipstagram.example/bcl"


def test_public_client_gets_no_secret(db):
    result = run_json(
        "create_client",
        "--name",
        "App",
        "--type",
        "public",
        "--platform",
        "android",
        "--redirect-uri",
        "app-android://connect/oauth2callback",
        "--scope",
        "openid",
    )
    assert result["client_secret"] is None
    client = Client.objects.get(client_id=result["client_id"])
    assert client.application_type == "native"
    assert client.client_secret == ""


def test_create_api_credential_prints_username_and_password(db):
    result = run_json(
        "create_api_credential",
        "--name",
        "Billing backend",
        "--operation",
        "users:read",
        "--operation",
        "mails:read",
    )
    assert set(result) == {"username", "password"}
    credential = ApiCredential.objects.get(username=result["username"])
    assert credential.operations == ["users:read", "mails:read"]
    assert result["password"] not in credential.secret_hash
    assert credential.allows("mails:read") and not credential.allows("mails:write")


def test_create_api_credential_binds_a_grantor(db):
    result = run_json(
        "create_api_credential",
        "--name",
        "Streaming rights",
        "--grantor",
        "telenordigital.exampleservice",
        "--operation",
        "rights:write",
        "--operation",
        "events:read",
    )
    assert result["grantor_id"] == "telenordigital.exampleservice"
    credential = ApiCredential.objects.get(username=result["username"])
    assert credential.grantor_id == "telenordigital.exampleservice"
    assert credential.allows("rights:write") and not credential.allows("subs:write")


BAD_INPUT = [
    (["create_user", "--email", "not-an-email", "--password", "good password"], "email_invalid"),
    (["create_user", "--email", "ok@example.com", "--phone", "12345"], "phone_invalid"),
    (
        [
            "create_client",
            "--name",
            "X",
            "--type",
            "confidential",
            "--scope",
            "openid",
            "--scope",
            "id.user.everything",
            "--redirect-uri",
            "https://x.example/cb",
        ],
        "unknown_scope",
    ),
    (
        [
            "create_client",
            "--name",
            "X",
            "--type",
            "public",
            "--scope",
            "id.user.write",
            "--redirect-uri",
            "https://x.example/cb",
        ],
        "scope_not_for_public_clients",
    ),
    (
        [
            "create_client",
            "--name",
            "X",
            "--type",
            "confidential",
            "--redirect-uri",
            "http://x.example/cb",
        ],
        "redirect_uri_invalid",
    ),
    (
        [
            "create_client",
            "--name",
            "X",
            "--type",
            "secretive",
            "--redirect-uri",
            "https://x.example/cb",
        ],
        "client_invalid",
    ),
    (["create_api_credential", "--name", "X", "--operation", "users:destroy"], "unknown_operation"),
    (
        ["create_api_credential", "--name", "X", "--operation", "rights:read", "--grantor", "a b"],
        "grantor_id_invalid",
    ),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("args", "code"), BAD_INPUT)
def test_bad_input_exits_non_zero_with_one_line_and_writes_nothing(args, code):
    models = [User, Email, Phone, Client, ApiCredential, AuditEvent]
    before = [m.objects.count() for m in models]
    env = {**os.environ, "DATABASE_URL": database_url(), "SECRET_KEY": settings.SECRET_KEY}
    proc = subprocess.run(  # noqa: S603 (fixed argv)
        [sys.executable, "manage.py", *args, "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert proc.stdout == ""
    reason = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(reason) == 1, proc.stderr
    assert code in reason[0]
    assert [m.objects.count() for m in models] == before


def test_bootstrap_demo_is_idempotent_and_prints_working_credentials(db, settings):
    settings.DEBUG = True
    first = run_json("bootstrap_demo")
    second = run_json("bootstrap_demo")
    assert first == second
    admin = User.objects.get(pk=first["admin"]["id"])
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(first["admin"]["password"])
    client = Client.objects.get(client_id=first["client"]["client_id"])
    assert check_password(first["client"]["client_secret"], client.client_secret)
    assert User.objects.count() == 2 and Client.objects.count() == 1


def test_bootstrap_demo_refuses_to_run_in_production(db):
    with pytest.raises(Exception, match="DEBUG"):
        call_command("bootstrap_demo")
    assert User.objects.count() == 0
