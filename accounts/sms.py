"""Sending SMS through a pluggable backend chosen by the SMS_BACKEND setting (a dotted path)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Sms:
    to: str  # E.164 digits without "+", CONNECT's format
    body: str


class SmsBackend(Protocol):
    def send(self, message: Sms) -> None: ...


class ConsoleBackend:
    """Development backend: writes the message to standard output, like Django's console mail."""

    def send(self, message: Sms) -> None:
        sys.stdout.write(f"SMS to +{message.to}: {message.body}\n")
        sys.stdout.flush()


# The locmem backend's outbox, emptied by the test fixtures (like django.core.mail.outbox).
outbox: list[Sms] = []


class LocmemBackend:
    """Test backend: keeps messages in `accounts.sms.outbox`."""

    def send(self, message: Sms) -> None:
        outbox.append(message)


@cache
def _backend(path: str) -> SmsBackend:
    return import_string(path)()


def send_sms(*, to: str, body: str) -> None:
    """Send one SMS now through the configured backend (call it from transaction.on_commit)."""
    _backend(settings.SMS_BACKEND).send(Sms(to=to, body=body))
