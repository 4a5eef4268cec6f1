"""Throttles against password guessing and SMS pumping, counted in the shared cache.

Every count is keyed on the normalized identifier (E.164 digits, casefolded email), so the
spellings of one number or address share one count, and lives in Django's cache: by default the
database cache on our PostgreSQL (connect_id.cache, atomic across processes), or Redis with
CACHE_URL=redis://... . A window starts at its first hit and lasts `window` seconds; a refused
request is told how long to wait (RFC 9110 §10.2.3 Retry-After).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from connect_id.errors import DomainError


@dataclass(frozen=True)
class Limit:
    """At most `count` hits per key within `window` seconds."""

    name: str
    setting: str  # the setting holding the count
    window_setting: str

    @property
    def count(self) -> int:
        return int(getattr(settings, self.setting))

    @property
    def window(self) -> int:
        return int(getattr(settings, self.window_setting))


# Wrong passwords, per account identifier, per account in a browser that signed in to it
# before (so a stranger's guessing cannot lock the owner out), and per client IP.
PASSWORD_PER_IDENTIFIER = Limit(
    "pw:id", "SIGNIN_MAX_FAILURES_PER_IDENTIFIER", "SIGNIN_FAILURE_WINDOW"
)
PASSWORD_PER_KNOWN_DEVICE = Limit(
    "pw:dev", "SIGNIN_MAX_FAILURES_PER_IDENTIFIER", "SIGNIN_FAILURE_WINDOW"
)
PASSWORD_PER_IP = Limit("pw:ip", "SIGNIN_MAX_FAILURES_PER_IP", "SIGNIN_FAILURE_WINDOW")
# SMS sent, per destination number, per client IP and per number prefix (SMS pumping targets
# ranges of premium numbers, RFC-less but OWASP's "SMS toll fraud").
SMS_PER_NUMBER = Limit("sms:no", "PHONE_VERIFICATION_MAX_SENDS_PER_HOUR", "SMS_WINDOW")
SMS_PER_IP = Limit("sms:ip", "SMS_MAX_PER_IP_PER_HOUR", "SMS_WINDOW")
SMS_PER_PREFIX = Limit("sms:pfx", "SMS_MAX_PER_PREFIX_PER_HOUR", "SMS_WINDOW")
# Emails with links (sign-up, reset), per address and per IP.
MAIL_PER_ADDRESS = Limit("mail:to", "MAIL_MAX_PER_ADDRESS_PER_HOUR", "SMS_WINDOW")
MAIL_PER_IP = Limit("mail:ip", "MAIL_MAX_PER_IP_PER_HOUR", "SMS_WINDOW")


class Throttled(DomainError):
    code = "throttled"
    message = _("Too many attempts. Wait a while and try again.")
    status = 429

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _key(limit: Limit, key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no identifier in cache keys
    return f"thr:{limit.name}:{digest}"


def _retry_after(cache_key: str, limit: Limit) -> int:
    started = cache.get(cache_key + ":t")
    if started is None:
        return limit.window
    return max(1, math.ceil(started + limit.window - time.time()))


def retry_after(limit: Limit, key: str) -> int | None:
    """Seconds until *key* may try again, or None when it is under the limit (nothing counted)."""
    cache_key = _key(limit, key)
    if (cache.get(cache_key) or 0) >= limit.count:
        return _retry_after(cache_key, limit)
    return None


def hit(limit: Limit, key: str) -> int:
    """Count one hit for *key*; return the count within the current window."""
    cache_key = _key(limit, key)
    cache.add(cache_key + ":t", time.time(), timeout=limit.window)
    cache.add(cache_key, 0, timeout=limit.window)
    try:
        return int(cache.incr(cache_key))
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=limit.window)
        return 1


def consume(checks: list[tuple[Limit, str]]) -> None:
    """Count one hit against each (limit, key); raise Throttled, counting nothing, when any
    is already at its limit."""
    waits = [wait for limit, key in checks if (wait := retry_after(limit, key)) is not None]
    if waits:
        raise Throttled(max(waits))
    for limit, key in checks:
        hit(limit, key)


def reset(limit: Limit, key: str) -> None:
    cache_key = _key(limit, key)
    cache.delete_many([cache_key, cache_key + ":t"])


def number_prefix(number: str) -> str:
    """The range an SMS pumping attack walks: country code and the next digits."""
    return number[: settings.SMS_PREFIX_DIGITS]


def sms_allowed(*, number: str, ip: str | None) -> None:
    """Count one SMS to *number*; raise Throttled when the number, the caller's IP or
    the number's prefix has had its share this window (SMS pumping)."""
    checks = [
        (SMS_PER_NUMBER, number),
        (SMS_PER_PREFIX, number_prefix(number)),
    ]
    if ip:
        checks.append((SMS_PER_IP, ip))
    consume(checks)
