"""Webhook signing secrets: generated in the Standard Webhooks `whsec_` form, encrypted at rest."""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
# Standard Webhooks: secrets are 24 to 64 random bytes, base64-encoded after `whsec_`.
_SECRET_BYTES = 32


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def _fernet() -> Fernet:
    # A key of its own, derived from SECRET_KEY with HKDF, so this use cannot collide with
    # Django's signing (which also derives from SECRET_KEY, with other salts).
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"connect-id.events", info=b"webhook-secret"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    """Raise ValueError when the token was not made with this SECRET_KEY (it was rotated)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("The webhook secret cannot be decrypted with this SECRET_KEY.") from exc
