"""Carrier billing through the HTTP gateway backend, against a real local HTTP server."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from payments import providers
from payments.providers.base import Charge, ProviderUnavailable
from payments.providers.carrier import HttpCarrierBilling

NUMBER = "4791234567"
TOKEN = "carrier-gateway-token"


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"status": "charged", "id": "cb_1"})
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class CarrierGateway:
    """A local carrier gateway: records each POST (path, headers, JSON body) and answers the
    queued replies in turn, then `default`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.replies: list[Reply] = []
        self.default = Reply()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                gateway.requests.append((self.path, dict(self.headers), json.loads(raw)))
                reply = gateway.replies.pop(0) if gateway.replies else gateway.default
                time.sleep(reply.delay)
                body = (
                    reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                )
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (a timeout test)

            def do_GET(self) -> None:  # only a followed redirect would get here
                gateway.requests.append((self.path, dict(self.headers), None))
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.base}/carrier/charges"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings) -> Iterator[CarrierGateway]:
    g = CarrierGateway()
    settings.PAYMENT_CARRIER_BILLING = "payments.providers.carrier.HttpCarrierBilling"
    settings.PAYMENT_CARRIER_GATEWAY_URL = g.url
    settings.PAYMENT_CARRIER_GATEWAY_TOKEN = TOKEN
    settings.PAYMENT_CARRIER_GATEWAY_TIMEOUT = 2.0
    providers.reset()
    yield g
    providers.reset()
    g.close()


def a_charge(key: str = "tx_42:1") -> Charge:
    return Charge(
        idempotency_key=key,
        amount_minor=12900,
        currency="NOK",
        description="CONNECT Plus, one month",
        user_id="u_alice",
    )


def test_a_charge_posts_the_contract_with_the_token_and_succeeds(gateway):
    result = providers.carrier_billing().charge_phone(charge=a_charge(), msisdn=NUMBER)

    assert result.status == "succeeded" and result.reference == "cb_1"
    assert result.method is not None
    assert (result.method.provider, result.method.method_ref, result.method.last4) == (
        "carrier",
        f"msisdn:{NUMBER}",
        "4567",
    )
    [(path, headers, body)] = gateway.requests
    assert path == "/carrier/charges"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json"
    assert body == {
        "msisdn": "+4791234567",
        "amount": 12900,
        "currency": "NOK",
        "reference": "tx_42:1",
        "description": "CONNECT Plus, one month",
    }


def test_a_retry_sends_the_same_reference(gateway):
    gateway.replies = [Reply(503, {"error": "busy"})]
    billing = providers.carrier_billing()

    with pytest.raises(ProviderUnavailable):
        billing.charge_phone(charge=a_charge("tx_7:2"), msisdn=NUMBER)
    assert billing.charge_phone(charge=a_charge("tx_7:2"), msisdn=NUMBER).succeeded

    assert [body["reference"] for _, _, body in gateway.requests] == ["tx_7:2", "tx_7:2"]


def test_no_token_sends_no_authorization(gateway, settings):
    settings.PAYMENT_CARRIER_GATEWAY_TOKEN = ""
    providers.reset()

    providers.carrier_billing().charge_phone(charge=a_charge(), msisdn=NUMBER)

    assert "Authorization" not in gateway.requests[0][1]


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (Reply(200, {"status": "declined", "code": "spending_limit"}), "spending_limit"),
        (Reply(402, {"status": "declined", "code": "prepaid_no_credit"}), "prepaid_no_credit"),
        (Reply(402, b""), "carrier_declined"),
    ],
)
def test_a_declined_charge_is_declined_with_the_gateways_code(gateway, reply, code):
    gateway.default = reply

    result = providers.carrier_billing().charge_phone(charge=a_charge(), msisdn=NUMBER)

    assert (result.status, result.code, result.reference) == ("declined", code, "")
    assert result.message == "The phone operator declined the charge."
    assert len(gateway.requests) == 1


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (Reply(400, {"code": "bad_msisdn"}), "bad_msisdn"),
        (Reply(401, b"unauthorized"), "http_401"),
        (Reply(404, b""), "http_404"),
        (Reply(302, b"", headers={"Location": "/elsewhere"}), "http_302"),
        (Reply(307, b"", headers={"Location": "/elsewhere"}), "http_307"),
    ],
)
def test_other_4xx_and_redirects_fail_without_a_retry(gateway, reply, code):
    gateway.default = reply

    result = providers.carrier_billing().charge_phone(charge=a_charge(), msisdn=NUMBER)

    assert (result.status, result.code) == ("failed", code)
    assert len(gateway.requests) == 1  # a redirect is not followed (it would carry the token)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, {"error": "boom"}),
        Reply(503, b""),
        Reply(200, b"<html>proxy page</html>"),
        Reply(200, {"status": "queued"}),
    ],
)
def test_5xx_and_unreadable_answers_are_unavailable(gateway, reply):
    gateway.default = reply

    with pytest.raises(ProviderUnavailable) as raised:
        providers.carrier_billing().charge_phone(charge=a_charge(), msisdn=NUMBER)

    assert NUMBER not in str(raised.value) and TOKEN not in str(raised.value)


def test_a_gateway_slower_than_the_timeout_is_unavailable(gateway, settings):
    settings.PAYMENT_CARRIER_GATEWAY_TIMEOUT = 0.2
    providers.reset()
    gateway.default = Reply(delay=1.0)

    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="Timeout"):
        providers.carrier_billing().charge_phone(charge=a_charge(), msisdn=NUMBER)
    assert time.monotonic() - started < 0.9


def test_a_refused_connection_is_unavailable(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PAYMENT_CARRIER_GATEWAY_URL = f"http://127.0.0.1:{port}/charges"

    with pytest.raises(ProviderUnavailable, match="ConnectionRefusedError"):
        HttpCarrierBilling().charge_phone(charge=a_charge(), msisdn=NUMBER)


def test_a_number_that_is_not_e164_digits_is_not_sent(gateway):
    for bad in ["+4791234567", "47 912 34 567", "047912", ""]:
        result = providers.carrier_billing().charge_phone(charge=a_charge(), msisdn=bad)
        assert (result.status, result.code) == ("failed", "invalid_msisdn")
    assert gateway.requests == []


def test_a_refund_posts_to_the_refunds_path(gateway):
    gateway.default = Reply(200, {"status": "refunded", "id": "cbre_9"})

    result = providers.carrier_billing().refund(
        reference="cb_1", amount_minor=5000, currency="NOK", idempotency_key="rf_tx_42:1"
    )

    assert (result.status, result.reference) == ("succeeded", "cbre_9")
    [(path, headers, body)] = gateway.requests
    assert path == "/carrier/charges/refunds"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert body == {"charge": "cb_1", "amount": 5000, "currency": "NOK", "reference": "rf_tx_42:1"}


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (Reply(200, {"status": "failed", "code": "too_old"}), "too_old"),
        (Reply(200, {"status": "failed"}), "refund_failed"),
        (Reply(409, {"code": "already_refunded"}), "already_refunded"),
        (Reply(404, b""), "http_404"),
    ],
)
def test_a_refused_refund_fails(gateway, reply, code):
    gateway.default = reply

    result = providers.carrier_billing().refund(
        reference="cb_1", amount_minor=5000, currency="NOK", idempotency_key="rf_1"
    )

    assert (result.status, result.code) == ("failed", code)


def test_a_refund_against_a_failing_gateway_is_unavailable(gateway):
    gateway.default = Reply(502, b"")

    with pytest.raises(ProviderUnavailable, match="HTTP 502"):
        providers.carrier_billing().refund(
            reference="cb_1", amount_minor=5000, currency="NOK", idempotency_key="rf_1"
        )


def test_only_the_masked_number_is_logged(gateway, caplog):
    gateway.replies = [Reply(), Reply(402, {"code": "blocked"}), Reply(400, b""), Reply(503, b"")]
    billing = providers.carrier_billing()

    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            billing.charge_phone(charge=a_charge(), msisdn=NUMBER)
        with pytest.raises(ProviderUnavailable):
            billing.charge_phone(charge=a_charge(), msisdn=NUMBER)

    lines = [r.getMessage() for r in caplog.records if r.name == "payments.providers.carrier"]
    assert len(lines) == 4
    assert all("+47******67" in line for line in lines)
    assert ["charged" in lines[0], "declined blocked" in lines[1], "HTTP 400" in lines[2]] == [
        True,
        True,
        True,
    ]
    assert "HTTP 503" in lines[3]
    assert NUMBER not in caplog.text and "91234567" not in caplog.text
    assert TOKEN not in caplog.text


def test_no_gateway_url_is_a_configuration_error(settings):
    settings.PAYMENT_CARRIER_GATEWAY_URL = ""

    with pytest.raises(ImproperlyConfigured):
        HttpCarrierBilling()
