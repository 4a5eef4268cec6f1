"""Tokens never reach a log line: CONNECT's GET /oauth/tokeninfo?access_token=... included."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from connect_id.logs import RedactSecrets, redact
from tests.conftest import issue_access_token
from tests.factories import UserFactory
from tests.servers import database_url, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_credential_parameters_are_redacted():
    line = '"GET /oauth/tokeninfo?access_token=abc.def&x=1 HTTP/1.1" 200 code=XYZ client_secret=s3'
    assert redact(line) == (
        '"GET /oauth/tokeninfo?access_token=[redacted]&x=1 HTTP/1.1" 200 code=[redacted] '
        "client_secret=[redacted]"
    )


def test_every_configured_handler_redacts(settings):
    handlers = settings.LOGGING["handlers"]
    assert all("redact" in handler.get("filters", []) for handler in handlers.values())
    record = logging.LogRecord("x", logging.INFO, "", 0, "token=%s", ("secret-value",), None)
    RedactSecrets().filter(record)
    assert record.getMessage() == "token=[redacted]"


@pytest.mark.django_db
def test_tokeninfo_takes_a_post_form(anon, alice):
    raw = issue_access_token(alice, "openid")
    response = anon.post("/oauth/tokeninfo", {"access_token": raw})
    assert response.status_code == 200 and response.json()["userid"] == alice.pk


@pytest.mark.django_db(transaction=True)
def test_the_request_log_of_a_tokeninfo_call_holds_no_token(tmp_path):
    user = UserFactory()
    raw = issue_access_token(user, "openid")
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "1", "DB_CONN_MAX_AGE": "0"}
    with log.open("w") as out:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    response = requests.get(
                        f"http://127.0.0.1:{port}/oauth/tokeninfo",
                        params={"access_token": raw},
                        timeout=5,
                    )
                    break
                except requests.ConnectionError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
            assert response.status_code == 200
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=10)
    text = log.read_text()
    assert "/oauth/tokeninfo?access_token=[redacted]" in text, text
    assert raw not in text
