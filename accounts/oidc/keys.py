"""Signing keys for ID and logout tokens: stored encrypted in the database (or read from files),
rotated by `manage.py rotate_keys`, parsed once per process and re-read every minute, and the
signing key checked against the database before each signature (signing_key_set)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from jwcrypto import jwk
from oauth2_provider.settings import oauth2_settings

from accounts.models import SigningKey


def _publish_after_retirement() -> dt.timedelta:
    """How long a retired key stays in the JWKS: every ID token it signed has expired by then
    (an hour's margin for clock skew and id_token_hint at logout)."""
    return dt.timedelta(seconds=oauth2_settings.ID_TOKEN_EXPIRE_SECONDS, hours=1)


_ADVISORY_LOCK = 0x434F4E4E  # "CONN": serialises key creation across processes


@dataclass(frozen=True)
class KeySet:
    active: jwk.JWK
    active_kid: str
    jwks: dict[str, Any]
    loaded_at: float

    @property
    def signing_key(self) -> rsa.RSAPrivateKey:
        return self.active.get_op_key("sign")  # the cryptography key jwcrypto keeps


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_jwt(claims: dict[str, Any], *, typ: str = "JWT") -> str:
    """*claims* signed with the active key: a JWS in compact serialization (RFC 7515 §7.1),
    RS256 (RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256), the key's kid and *typ* in the
    header. jwcrypto's JWT object, used before, deep-copies its header registries for every
    token it builds; this costs about a third less CPU per token (one per refresh with openid),
    the RSA signature itself being the same call. jwcrypto still reads JWTs (id_token_hint)."""
    keys = signing_key_set()
    header = {"alg": "RS256", "kid": keys.active_kid, "typ": typ}
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = keys.signing_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


_lock = threading.Lock()
_cached: KeySet | None = None


def _fernet() -> Fernet:
    secret = settings.OIDC_KEY_ENCRYPTION_KEY
    if secret:
        return Fernet(secret.encode())
    # Derived from SECRET_KEY when no dedicated key is configured.
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"connect-id signing keys"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _public(key: jwk.JWK, kid: str) -> dict[str, Any]:
    public = key.export_public(as_dict=True)
    return {**public, "kid": kid, "use": "sig", "alg": "RS256"}


def _generate(*, activates_at: dt.datetime | None = None) -> SigningKey:
    key = jwk.JWK.generate(kty="RSA", size=2048)
    kid = key.thumbprint()  # RFC 7638
    pem = key.export_to_pem(private_key=True, password=None)
    return SigningKey.objects.create(
        kid=kid,
        private_key_encrypted=_fernet().encrypt(pem).decode(),
        public_jwk=_public(key, kid),
        activates_at=activates_at or timezone.now(),
    )


@transaction.atomic
def rotate(*, immediately: bool = False) -> SigningKey:
    """Add a new signing key. It is published now and signs from OIDC_KEY_PUBLISH_AHEAD_SECONDS
    on (immediately: at once, after a compromise); the current key signs until then and stays
    published while its tokens live."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
    ahead = 0 if immediately else settings.OIDC_KEY_PUBLISH_AHEAD_SECONDS
    start = timezone.now() + dt.timedelta(seconds=ahead)
    SigningKey.objects.filter(retired_at__isnull=True).update(retired_at=start)
    key = _generate(activates_at=start)
    invalidate_cache()
    return key


def prune() -> int:
    """Delete retired keys that are no longer published; return how many."""
    cutoff = timezone.now() - _publish_after_retirement()
    deleted, _ = SigningKey.objects.filter(retired_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def _ensure_active() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
    if not SigningKey.objects.filter(retired_at__isnull=True).exists():
        _generate()


def _load_from_database() -> KeySet:
    now = timezone.now()
    rows = list(
        SigningKey.objects.exclude(retired_at__lt=now - _publish_after_retirement()).order_by(
            "-activates_at"
        )
    )
    # The newest key whose time has come and whose successor's has not.
    active = next(
        (
            row
            for row in rows
            if row.activates_at <= now and (row.retired_at is None or row.retired_at > now)
        ),
        None,
    )
    if active is None:
        _ensure_active()
        return _load_from_database()
    try:
        pem = _fernet().decrypt(active.private_key_encrypted.encode())
    except InvalidToken:
        raise RuntimeError(
            "The signing key cannot be decrypted: OIDC_KEY_ENCRYPTION_KEY (or SECRET_KEY) changed."
        ) from None
    return KeySet(
        active=jwk.JWK.from_pem(pem),
        active_kid=active.kid,
        jwks={"keys": [row.public_jwk for row in rows]},
        loaded_at=time.monotonic(),
    )


def _load_from_files(paths: list[str]) -> KeySet:
    keys = [jwk.JWK.from_pem(Path(path).read_bytes()) for path in paths]
    kids = [key.thumbprint() for key in keys]
    return KeySet(
        active=keys[0],
        active_kid=kids[0],
        jwks={"keys": [_public(key, kid) for key, kid in zip(keys, kids, strict=True)]},
        loaded_at=time.monotonic(),
    )


def key_set() -> KeySet:
    """The parsed keys, cached per process for OIDC_KEY_CACHE_SECONDS."""
    global _cached
    current = _cached
    if (
        current is not None
        and time.monotonic() - current.loaded_at < settings.OIDC_KEY_CACHE_SECONDS
    ):
        return current
    with _lock:
        files = settings.OIDC_PRIVATE_KEY_FILES
        _cached = _load_from_files(files) if files else _load_from_database()
        return _cached


# The kid that signs at a time, by the rule _load_from_database applies: the newest key whose time
# has come and whose successor's has not. The time is this process's clock, as there (not the
# database's now(), which is the transaction's start and another machine's clock).
_ACTIVE_KID = (
    f'SELECT "kid" FROM "{SigningKey._meta.db_table}" WHERE "activates_at" <= %(now)s '  # noqa: S608
    'AND ("retired_at" IS NULL OR "retired_at" > %(now)s) ORDER BY "activates_at" DESC LIMIT 1'
)


def signing_key_set() -> KeySet:
    """key_set(), first checked against the database: after a rotation (`rotate_keys
    --now` after a compromise included) or when a published-ahead key's time comes,
    every process signs with the new key from its next token on, not once its cache expires.
    One small indexed statement per signed token (ID and logout tokens only)."""
    current = key_set()
    if settings.OIDC_PRIVATE_KEY_FILES:  # keys from files change with a restart only
        return current
    with connection.cursor() as cursor:
        cursor.execute(_ACTIVE_KID, {"now": timezone.now()})
        row = cursor.fetchone()
    if row is None or row[0] != current.active_kid:
        invalidate_cache()
        current = key_set()
    return current


def invalidate_cache() -> None:
    global _cached
    _cached = None
