"""Opaque, random identifiers: never sequential, never guessable."""

import secrets

# CONNECT ids are 19-digit numeric strings (spec §3); 9e18 values give ~63 bits of randomness.
_USER_ID_LOW = 10**18
_USER_ID_SPAN = 9 * 10**18


def new_user_id() -> str:
    """A random 19-digit id: the user's `sub` and `{connectId}`."""
    return str(_USER_ID_LOW + secrets.randbelow(_USER_ID_SPAN))


def new_resource_id() -> str:
    """A random 16-hex-digit id for mails, phones and account links (CONNECT's shape)."""
    return secrets.token_hex(8)


API_USERNAME_PREFIX = "api-"


def new_api_username() -> str:
    return API_USERNAME_PREFIX + secrets.token_hex(8)


def new_secret() -> str:
    """A 256-bit random secret, URL-safe."""
    return secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)
