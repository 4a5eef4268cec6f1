"""localstripe, a Stripe-compatible server, for the Stripe provider's tests: the `localstripe` and
`stripe_provider` fixtures.

The fixture runs this module as a subprocess (`python -m tests.payments.stripe_server --port N`):
the real localstripe app, served on 127.0.0.1, with three things of Stripe's it lacks:
- idempotency: a POST with an `Idempotency-Key` seen before gets the first answer again
  (`Idempotent-Replayed: true`), or 400 `idempotency_error` when its body differs; as at Stripe,
  only answers of requests that ran (2xx, 402) are kept, not 400s or 5xx;
- the decline codes of Stripe's test cards on a declined attach (`decline_code:
  insufficient_funds` for 4000 0000 0000 9995, …), where localstripe says only `card_declined`;
- no /tmp/localstripe.pickle: localstripe writes its whole store there on every write, which
  would be shared by every localstripe on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import HOST, free_port

TEST_API_KEY = "sk_test_connect_id_localstripe"
START_SECONDS = 30.0

# Stripe's test cards that are declined when checked (attached): (code, decline_code).
DECLINES: dict[str, tuple[str, str]] = {
    "4000000000000002": ("card_declined", "generic_decline"),
    "4000000000009995": ("card_declined", "insufficient_funds"),
    "4000000000009987": ("card_declined", "lost_card"),
    "4000000000009979": ("card_declined", "stolen_card"),
    "4000000000000069": ("expired_card", ""),
    "4000000000000127": ("incorrect_cvc", ""),
    "4000000000000119": ("processing_error", ""),
}
_ATTACH = re.compile(r"^/v1/payment_methods/(pm_\w+)/attach$")


# --- the server (runs in the subprocess) -------------------------------------------------------


def _serve(port: int) -> None:
    from aiohttp import web
    from localstripe import resources, server

    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    replies: dict[tuple[str, str], tuple[bytes, int, bytes]] = {}
    lock = asyncio.Lock()

    def with_decline_code(request: web.Request, response: web.Response) -> web.Response:
        match = _ATTACH.match(request.path)
        if response.status != 402 or not match or not isinstance(response.body, bytes):
            return response
        method = resources.store.get(f"payment_method:{match[1]}")
        code, decline = DECLINES.get(getattr(method, "_card_number", ""), ("", ""))
        if not code:
            return response
        body = json.loads(response.body)
        body["error"].update({"type": "card_error", "code": code})
        if decline:
            body["error"]["decline_code"] = decline
        return web.json_response(body, status=402)

    @web.middleware
    async def idempotency(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        body = await request.read()
        scope = (request.headers.get("Authorization", ""), key)
        async with lock:  # one request per key at a time (Stripe answers 409 to the second)
            if scope in replies:
                first_body, status, answer = replies[scope]
                if first_body != request.path.encode() + b"?" + body:
                    return web.json_response(
                        {
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used "
                                "with the same parameters they were first used with.",
                            }
                        },
                        status=400,
                    )
                return web.Response(
                    body=answer,
                    status=status,
                    content_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
            response = await handler(request)
            kept = 200 <= response.status < 300 or response.status == 402
            if kept and isinstance(response, web.Response) and isinstance(response.body, bytes):
                replies[scope] = (
                    request.path.encode() + b"?" + body,
                    response.status,
                    response.body,
                )
            return response

    @web.middleware
    async def decline_codes(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        return (
            with_decline_code(request, response) if isinstance(response, web.Response) else response
        )

    # Outermost first: a replayed answer is the one with the decline code.
    server.app.middlewares.insert(0, idempotency)
    server.app.middlewares.insert(1, decline_codes)
    web.run_app(server.app, host=HOST, port=port, access_log=None, print=None)


# --- the fixtures --------------------------------------------------------------------------------


def _answers(url: str) -> bool:
    request = urllib.request.Request(  # noqa: S310 (our own local server)
        f"{url}/v1/customers", headers={"Authorization": f"Bearer {TEST_API_KEY}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A localstripe server for this test session (see the module docstring); its base URL."""
    root = Path(__file__).resolve().parents[2]
    port = free_port()
    log = tmp_path_factory.mktemp("localstripe") / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "tests.payments.stripe_server", "--port", str(port)],
            cwd=root,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"localstripe did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def stripe_provider(settings: Any, localstripe: str) -> Iterator[Any]:
    """PAYMENT_PROVIDER is the Stripe provider, on the localstripe server; yields the provider."""
    from payments import providers

    settings.PAYMENT_PROVIDER = "payments.providers.stripe.StripeProvider"
    settings.STRIPE_API_KEY = TEST_API_KEY
    settings.STRIPE_API_BASE = localstripe
    providers.reset()
    yield providers.card_provider()
    providers.reset()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="localstripe with Stripe's idempotency")
    parser.add_argument("--port", type=int, required=True)
    _serve(parser.parse_args().port)
