"""Two real local servers for end-to-end tests: an SMTP server that keeps what it receives, and
an HTTP SMS gateway that records what it is sent.

Both listen on 127.0.0.1 at a free port and run in background threads; each is a context
manager (start on enter, stop on exit). tests/browser/conftest.py wraps them in the
`smtp_server` and `sms_gateway` fixtures, which also point Django's settings at them. Beside
them, what tests that start the app's own server processes share: a free port, the test
database's URL, and waiting until a server is ready.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import re
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import requests
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
WAIT_SECONDS = 10.0
LINK = re.compile(r"https?://[^\s<>\"']+")
PIN = re.compile(r"(?<!\d)(\d{4,8})(?!\d)")
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_until_ready(
    url: str, process: subprocess.Popen, *, log: Path | None = None, timeout: float = 30.0
) -> None:
    """Wait until the server *process* started by a test answers {url}/readyz with 200; fail,
    with its log, if it exits first or *timeout* seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        detail = log.read_text() if log is not None and log.exists() else ""
        assert process.poll() is None, f"the server at {url} exited. {detail}"
        assert time.monotonic() < deadline, f"the server at {url} did not start. {detail}"
        time.sleep(0.2)


def database_url() -> str:
    """A DATABASE_URL for the test database, so a subprocess (a server, a command) sees what
    this test sees: a TCP host, or the embedded server's socket folder as libpq parameters."""
    from django.db import connection

    db = connection.settings_dict
    user, password = quote(db["USER"] or ""), quote(db["PASSWORD"] or "")
    host, port = db["HOST"] or "", db["PORT"] or ""
    if host.startswith("/"):
        query = urlencode({"host": host, "port": port} if port else {"host": host})
        return f"postgres://{user}:{password}@/{db['NAME']}?{query}"
    return f"postgres://{user}:{password}@{host}:{port or 5432}/{db['NAME']}"


def _wait(condition: threading.Condition, found: Any, timeout: float, what: str) -> Any:
    """Wait on *condition* until found() returns something (under the condition's lock)."""
    deadline = time.monotonic() + timeout
    with condition:
        while True:
            result = found()
            if result is not None:
                return result
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{what} did not arrive within {timeout:g} s")
            condition.wait(left)


# --- SMTP --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    """One received message, as a person would read it."""

    to: list[str]  # the envelope recipients (RCPT TO), lower-cased
    sender: str  # MAIL FROM
    subject: str
    body: str  # the text/plain part, decoded
    message: EmailMessage  # the whole parsed message

    @property
    def links(self) -> list[str]:
        return LINK.findall(self.body)

    @property
    def link(self) -> str:
        """The first http(s) link of the body."""
        assert self.links, f"no link in the mail {self.subject!r}:\n{self.body}"
        return self.links[0]


class _Handler:
    """aiosmtpd handler: parse each DATA and hand it to the server."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        self.server._received(
            Mail(
                to=[address.lower() for address in envelope.rcpt_tos],
                sender=envelope.mail_from,
                subject=str(parsed.get("Subject", "")),
                body=body,
                message=parsed,
            )
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives."""

    def __init__(self) -> None:
        self.host = HOST
        self.port = free_port()
        self.messages: list[Mail] = []
        self._condition = threading.Condition()
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)

    def _received(self, mail: Mail) -> None:
        with self._condition:
            self.messages.append(mail)
            self._condition.notify_all()

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def clear(self) -> None:
        with self._condition:
            self.messages.clear()

    def messages_to(self, address: str) -> list[Mail]:
        with self._condition:
            return [m for m in self.messages if address.lower() in m.to]

    def wait_for_message(self, to: str, *, count: int = 1, timeout: float = WAIT_SECONDS) -> Mail:
        """The *count*-th message to *to* (1 = the first), waiting for it to arrive."""

        def found() -> Mail | None:
            mails = [m for m in self.messages if to.lower() in m.to]
            return mails[count - 1] if len(mails) >= count else None

        return _wait(self._condition, found, timeout, f"mail #{count} to {to}")

    def wait_for_link(self, to: str, *, count: int = 1, timeout: float = WAIT_SECONDS) -> str:
        """The first http(s) link in the *count*-th message to *to*."""
        return self.wait_for_message(to, count=count, timeout=timeout).link


# --- SMS gateway ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayRequest:
    """One POST the gateway received, with the status it answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Text:
    """One SMS the gateway accepted."""

    to: str  # as sent: "+4791234567"
    sender: str
    text: str

    @property
    def pin(self) -> str:
        """The code in the text (4 to 8 digits)."""
        match = PIN.search(self.text)
        assert match, f"no code in the SMS {self.text!r}"
        return match.group(1)


@dataclass
class _GatewayState:
    token: str | None
    failures_left: int = 0
    failure_status: int = 503
    requests: list[GatewayRequest] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)


class _GatewayHandler(BaseHTTPRequestHandler):
    server: _GatewayHTTPServer

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        with state.condition:
            if state.token is not None and headers.get("authorization") != f"Bearer {state.token}":
                status, answer = 401, {"error": "unauthorized"}
            elif state.failures_left > 0:
                state.failures_left -= 1
                status, answer = state.failure_status, {"error": "unavailable"}
            else:
                try:
                    message = json.loads(body)
                    ok = isinstance(message, dict) and {"to", "text"} <= message.keys()
                except ValueError:
                    ok = False
                status, answer = (202, {"status": "queued"}) if ok else (400, {"error": "bad"})
            state.requests.append(GatewayRequest(self.path, headers, body, status))
            state.condition.notify_all()
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet test output


class _GatewayHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _GatewayState) -> None:
        super().__init__((HOST, 0), _GatewayHandler)
        self.state = state


class SmsGateway:
    """A real HTTP SMS gateway on 127.0.0.1: records each POSTed JSON message.

    With *token*, a request without `Authorization: Bearer <token>` gets 401 (and is recorded);
    `fail_next(n)` makes the next n requests get 503 (or another status).
    """

    path = "/sms"

    def __init__(self, *, token: str | None = None) -> None:
        self._state = _GatewayState(token=token)
        self._server = _GatewayHTTPServer(self._state)
        self.host, self.port = HOST, int(self._server.server_address[1])
        self.url = f"http://{self.host}:{self.port}{self.path}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sms-gateway", daemon=True
        )

    def start(self) -> SmsGateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SmsGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, count: int, *, status: int = 503) -> None:
        with self._state.condition:
            self._state.failures_left, self._state.failure_status = count, status

    def clear(self) -> None:
        with self._state.condition:
            self._state.requests.clear()

    @property
    def requests(self) -> list[GatewayRequest]:
        """Every POST received, failed ones included, oldest first."""
        with self._state.condition:
            return list(self._state.requests)

    @property
    def messages(self) -> list[Text]:
        """The SMS accepted (answered 2xx), oldest first."""
        return [self._text(r) for r in self.requests if 200 <= r.status < 300]

    @staticmethod
    def _text(request: GatewayRequest) -> Text:
        data = request.json
        return Text(to=data["to"], sender=data.get("from", ""), text=data["text"])

    def messages_to(self, to: str) -> list[Text]:
        return [m for m in self.messages if m.to == to]

    def wait_for_message(self, to: str, *, count: int = 1, timeout: float = WAIT_SECONDS) -> Text:
        """The *count*-th accepted SMS to *to* ("+47…"; 1 = the first), waiting for it."""

        def found() -> Text | None:
            texts = [
                self._text(r)
                for r in self._state.requests
                if 200 <= r.status < 300 and r.json.get("to") == to
            ]
            return texts[count - 1] if len(texts) >= count else None

        return _wait(self._state.condition, found, timeout, f"SMS #{count} to {to}")

    def wait_for_pin(self, to: str, *, count: int = 1, timeout: float = WAIT_SECONDS) -> str:
        return self.wait_for_message(to, count=count, timeout=timeout).pin
