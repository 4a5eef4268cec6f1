"""A fast, unsalted SHA-256 "hasher" for random 256-bit client and API secrets, never passwords."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare

if TYPE_CHECKING:  # django-stubs-ext is a dev dependency
    from django_stubs_ext import StrOrPromise


class SecretSHA256Hasher(BasePasswordHasher):
    """Digest a high-entropy machine secret.

    A password hasher is slow on purpose because passwords are guessable. Client and API secrets
    are 256 random bits: no dictionary exists, so a salt or a work factor adds nothing and would
    only turn the token endpoint into a CPU sink. Verification is constant-time.
    """

    algorithm = "secret_sha256"

    def salt(self) -> str:
        return ""

    def encode(self, password: str, salt: str) -> str:
        if password is None or salt:
            raise ValueError("SecretSHA256Hasher takes a secret and no salt.")
        return f"{self.algorithm}$${hashlib.sha256(password.encode()).hexdigest()}"

    def decode(self, encoded: str) -> dict[str, str]:
        algorithm, salt, digest = encoded.split("$", 2)
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        return constant_time_compare(encoded, self.encode(password, ""))

    def safe_summary(self, encoded: str) -> dict[StrOrPromise, Any]:
        decoded = self.decode(encoded)
        return {"algorithm": decoded["algorithm"], "hash": mask_hash(decoded["hash"])}

    def must_update(self, encoded: str) -> bool:
        return False

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass


def secret_digest(secret: str) -> str:
    return SecretSHA256Hasher().encode(secret, "")


def secret_matches(secret: str, digest: str) -> bool:
    return SecretSHA256Hasher().verify(secret, digest)
