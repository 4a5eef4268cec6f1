"""Sending SMS through a pluggable backend chosen by the SMS_BACKEND setting (a dotted path).

Backends: ConsoleBackend (stdout, development), FileBackend (JSON lines in SMS_FILE_PATH),
LocmemBackend (tests), and HttpGatewayBackend, which POSTs each message as JSON to an HTTP SMS
gateway. A backend raises SmsFailed when a message could not be handed over.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from connect_id import metrics

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sms:
    to: str  # E.164 digits without "+", CONNECT's format
    body: str


class SmsFailed(Exception):
    """The gateway refused or never answered; the message (a PIN) is not in the error.
    `retry` is False when sending it again cannot help (a 4xx, a missing URL)."""

    def __init__(self, reason: str, *, retry: bool = True) -> None:
        super().__init__(reason)
        self.retry = retry


class SmsBackend(Protocol):
    def send(self, message: Sms) -> None: ...


def masked(number: str) -> str:
    """A number as logs may show it: country code and the last two digits."""
    return f"+{number[:2]}{'*' * max(len(number) - 4, 0)}{number[-2:]}"


class ConsoleBackend:
    """Development backend: writes the message to standard output, like Django's console mail."""

    def send(self, message: Sms) -> None:
        sys.stdout.write(f"SMS to +{message.to}: {message.body}\n")
        sys.stdout.flush()


class FileBackend:
    """Appends each message as one JSON line to SMS_FILE_PATH (development, demos)."""

    def send(self, message: Sms) -> None:
        line = json.dumps({"to": f"+{message.to}", "text": message.body}, ensure_ascii=False)
        with Path(settings.SMS_FILE_PATH).open("a", encoding="utf-8") as file:
            file.write(line + "\n")


# The locmem backend's outbox, emptied by the test fixtures (like django.core.mail.outbox).
outbox: list[Sms] = []


class LocmemBackend:
    """Test backend: keeps messages in `accounts.sms.outbox`."""

    def send(self, message: Sms) -> None:
        outbox.append(message)


class HttpGatewayBackend:
    """POST `{"to": "+4791234567", "from": SMS_SENDER, "text": ...}` to SMS_GATEWAY_URL.

    Authenticates with SMS_GATEWAY_TOKEN (Bearer) or SMS_GATEWAY_USERNAME and
    SMS_GATEWAY_PASSWORD (Basic). Any 2xx is success; a 5xx, a timeout or a refused connection
    is retried SMS_GATEWAY_RETRIES times with a doubling pause; a 4xx is final. Failures are
    logged with the masked number and the status, never the text (it holds a PIN).
    """

    def __init__(self) -> None:
        self.url = settings.SMS_GATEWAY_URL
        if not self.url:
            raise SmsFailed("SMS_GATEWAY_URL is not set.", retry=False)
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if settings.SMS_GATEWAY_TOKEN:
            self.headers["Authorization"] = f"Bearer {settings.SMS_GATEWAY_TOKEN}"
        elif settings.SMS_GATEWAY_USERNAME:
            pair = f"{settings.SMS_GATEWAY_USERNAME}:{settings.SMS_GATEWAY_PASSWORD}"
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()

    def send(self, message: Sms) -> None:
        body = json.dumps(
            {"to": f"+{message.to}", "from": settings.SMS_SENDER, "text": message.body}
        ).encode()
        attempts = 1 + settings.SMS_GATEWAY_RETRIES
        pause = settings.SMS_GATEWAY_RETRY_PAUSE
        for attempt in range(1, attempts + 1):
            request = urllib.request.Request(  # noqa: S310 (an operator-configured URL)
                self.url, data=body, headers=self.headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=settings.SMS_GATEWAY_TIMEOUT):  # noqa: S310
                    return
            except urllib.error.HTTPError as exc:
                reason, retry = f"HTTP {exc.code}", exc.code >= 500
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                reason, retry = type(exc).__name__, True
            logger.warning(
                "SMS to %s failed (attempt %d of %d): %s",
                masked(message.to),
                attempt,
                attempts,
                reason,
            )
            if not retry or attempt == attempts:
                raise SmsFailed(f"SMS gateway: {reason}", retry=retry)
            time.sleep(pause)
            pause *= 2


@cache
def _backend(path: str) -> SmsBackend:
    return import_string(path)()


def deliver_sms(*, to: str, body: str) -> None:
    """Hand one SMS to the configured backend now; raise SmsFailed (logged without the text).

    People's messages go through the job queue (accounts.notifications.send_templated_sms,
    accounts.tasks.deliver_sms), which retries a retryable failure with backoff.
    """
    try:
        _backend(settings.SMS_BACKEND).send(Sms(to=to, body=body))
    except SmsFailed:
        metrics.MESSAGES.labels("sms", "failed").inc()
        logger.error("SMS to %s was not sent", masked(to))
        raise
    metrics.MESSAGES.labels("sms", "sent").inc()


def send_sms(*, to: str, body: str) -> None:
    """Send one SMS now; a failure is logged (without the text) and swallowed."""
    with contextlib.suppress(SmsFailed):
        deliver_sms(to=to, body=body)
