"""Settings are safe by default: production checks pass, a missing SECRET_KEY is an error."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # The test run's own overrides (tests/testenv.py) do not apply to these processes.
    dropped = {"DEBUG", "SECRET_KEY", "DB_CONN_MAX_AGE"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(  # noqa: S603 (fixed argv)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "id.example.com",
    "SITE_URL": "https://id.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
}


def test_check_deploy_passes_with_production_like_values():
    proc = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert proc.returncode == 0, proc.stderr
    assert "no issues" in proc.stdout


def test_a_missing_secret_key_is_an_error_when_debug_is_off():
    proc = manage("check", **{**PRODUCTION, "SECRET_KEY": ""})
    assert proc.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in proc.stderr


def test_sqlite_is_refused():
    proc = manage("check", **{**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/connect.db"})
    assert proc.returncode != 0
    assert "PostgreSQL" in proc.stderr


def test_safe_defaults_in_this_process():
    assert settings.DEBUG is False
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert settings.SECURE_REFERRER_POLICY == "same-origin"
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_connections_are_persistent_by_default():
    proc = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])",
        **PRODUCTION,
    )
    assert proc.stdout.strip().splitlines()[-1] == "600", proc.stderr


def test_security_headers_are_sent(anon, db):
    response = anon.get("/gui/signin", secure=True)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "max-age=31536000" in response["Strict-Transport-Security"]
