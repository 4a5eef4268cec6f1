"""Opaque, random identifiers of the events domain (never sequential, never guessable)."""

import secrets

# CONNECT event ids are 19-digit numeric strings (spec §1.4 example "5979946719993921536").
_EVENT_ID_LOW = 10**18
_EVENT_ID_SPAN = 9 * 10**18


def new_event_id() -> str:
    """A random 19-digit id, CONNECT's shape for `eventId`."""
    return str(_EVENT_ID_LOW + secrets.randbelow(_EVENT_ID_SPAN))


def new_queue_id() -> str:
    """A random 128-bit queue id: it appears in URLs, so it must not be guessable."""
    return secrets.token_hex(16)


def new_receipt() -> str:
    """A fresh 256-bit receipt handed out with each delivery of a queue message."""
    return secrets.token_urlsafe(32)
