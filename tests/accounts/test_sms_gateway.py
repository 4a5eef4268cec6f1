"""The HTTP SMS gateway backend against a real local HTTP server, and SMS throttles that hold
across two server processes."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
import requests

from accounts import sms
from tests.servers import database_url, free_port, wait_until_ready

pytestmark = pytest.mark.django_db(transaction=True)


class Gateway:
    """A local SMS gateway: records each POSTed JSON body; answers `statuses` in turn, then 202."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.statuses = list(statuses or [])
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append(json.loads(body))
                gateway.headers.append(dict(self.headers))
                status = gateway.statuses.pop(0) if gateway.statuses else 202
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    g = Gateway()
    settings.SMS_BACKEND = "accounts.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = g.url
    settings.SMS_GATEWAY_TOKEN = "gateway-token"
    settings.SMS_GATEWAY_RETRY_PAUSE = 0.01
    sms._backend.cache_clear()
    yield g
    sms._backend.cache_clear()
    g.close()


def test_a_message_is_posted_as_json_with_bearer_auth(gateway):
    sms.send_sms(to="4791234567", body="Your CONNECT ID code is 123456.")
    assert gateway.received == [
        {"to": "+4791234567", "from": "CONNECT", "text": "Your CONNECT ID code is 123456."}
    ]
    assert gateway.headers[0]["Authorization"] == "Bearer gateway-token"


def test_basic_auth_when_configured(gateway, settings):
    settings.SMS_GATEWAY_TOKEN = ""
    settings.SMS_GATEWAY_USERNAME, settings.SMS_GATEWAY_PASSWORD = "connect", "s3cret"
    sms._backend.cache_clear()
    sms.send_sms(to="4791234567", body="hello")
    assert gateway.headers[0]["Authorization"] == "Basic Y29ubmVjdDpzM2NyZXQ="


def test_5xx_is_retried_and_a_4xx_is_not(gateway, caplog):
    gateway.statuses = [503, 502]
    sms.send_sms(to="4791234567", body="code 424242")
    assert len(gateway.received) == 3  # two failures, then delivered

    gateway.received.clear()
    gateway.statuses = [400]
    with caplog.at_level(logging.WARNING, logger="accounts.sms"):
        sms.send_sms(to="4791234567", body="code 535353")
    assert len(gateway.received) == 1
    logged = caplog.text
    assert "HTTP 400" in logged and "535353" not in logged and "4791234567" not in logged


def test_an_unreachable_gateway_is_logged_not_raised(settings, caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.SMS_BACKEND = "accounts.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{port}/sms"
    settings.SMS_GATEWAY_RETRIES = 1
    settings.SMS_GATEWAY_RETRY_PAUSE = 0.01
    sms._backend.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="accounts.sms"):
            sms.send_sms(to="4791234567", body="code 777777")
    finally:
        sms._backend.cache_clear()
    assert "was not sent" in caplog.text and "777777" not in caplog.text


@pytest.fixture(params=["dbcache", "redis"])
def two_servers(request, gateway, tmp_path: Path):
    """Two gunicorn processes on this test database sharing the default cache (a table on
    PostgreSQL) or, the documented option for larger deployments, Redis (django-redis)."""
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        "SMS_BACKEND": "accounts.sms.HttpGatewayBackend",
        "SMS_GATEWAY_URL": gateway.url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DB_CONN_MAX_AGE": "0",
    }
    env.pop("CACHE_URL", None)  # the default: the database cache
    if request.param == "redis":
        # The machine's Redis (127.0.0.1:6379); a database of its own, emptied first.
        redis.Redis(host="127.0.0.1", port=6379, db=15).flushdb()
        env["CACHE_URL"] = "redis://127.0.0.1:6379/15"
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        processes.append(
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-w",
                    "1",
                    "-b",
                    f"127.0.0.1:{port}",
                    "connect_id.wsgi:application",
                ],
                cwd=root,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp_path / f"server-{port}.log", "w"),  # noqa: SIM115
                start_new_session=True,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    for url, process in zip(urls, processes, strict=True):
        wait_until_ready(url, process, log=tmp_path / f"server-{url.rsplit(':', 1)[1]}.log")
    yield urls
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    if request.param == "redis":
        redis.Redis(host="127.0.0.1", port=6379, db=15).flushdb()


def _ask_for_a_pin(server: str, number: str) -> requests.Response:
    browser = requests.Session()
    page = browser.get(f"{server}/gui/signin", timeout=10)
    assert 'name="csrfmiddlewaretoken"' in page.text, (page.status_code, page.text[:300])
    token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    return browser.post(
        f"{server}/gui/signin",
        data={"csrfmiddlewaretoken": token, "identifier": number},
        headers={"Referer": f"{server}/gui/signin"},
        allow_redirects=False,
        timeout=10,
    )


def test_the_sixth_sms_within_the_hour_is_refused_across_two_processes(two_servers, gateway):
    answers = [_ask_for_a_pin(two_servers[n % 2], "+47 955 50 111").status_code for n in range(6)]
    assert answers == [302, 302, 302, 302, 302, 429]
    assert len(gateway.received) == 5 and {m["to"] for m in gateway.received} == {"+4795550111"}
    refused = _ask_for_a_pin(two_servers[1], "0047 95550111")  # another spelling, same number
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 3000
