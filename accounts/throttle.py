"""Brute-force protection for password sign-in: failures counted per identifier and per IP.

CONNECT limits password attempts (spec §3). Counts live in Django's cache (CACHE_URL: a shared
Redis or Memcached in production, so every worker sees them); a throttled attempt is refused
before the password hasher runs, so it costs no CPU either.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(identifier: str, ip: str | None) -> list[str]:
    digest = hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]
    keys = [f"signin:id:{digest}"]
    if ip:
        keys.append(f"signin:ip:{ip}")
    return keys


def _limits() -> list[int]:
    return [settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER, settings.SIGNIN_MAX_FAILURES_PER_IP]


def throttled(identifier: str, ip: str | None) -> bool:
    """True when this identifier or IP has failed too often within SIGNIN_FAILURE_WINDOW."""
    counts = cache.get_many(_keys(identifier, ip))
    return any(
        counts.get(key, 0) >= limit
        for key, limit in zip(_keys(identifier, ip), _limits(), strict=False)
    )


def record_failure(identifier: str, ip: str | None) -> None:
    for key in _keys(identifier, ip):
        # add() starts the window; incr() keeps its expiry.
        if not cache.add(key, 1, timeout=settings.SIGNIN_FAILURE_WINDOW):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=settings.SIGNIN_FAILURE_WINDOW)


def record_success(identifier: str) -> None:
    cache.delete(_keys(identifier, None)[0])
