"""Idempotency-Key for POSTs (draft-ietf-httpapi-idempotency-key-header): a retry gets the
first answer instead of acting twice.

The key is claimed, the request handled and its answer stored in one transaction: a concurrent
retry waits on the unique index until the first commits and then gets its answer; a request
that fails (5xx, a killed worker) leaves nothing behind, so its retry runs afresh.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone

from accounts.models import IdempotentRequest
from connect_id.errors import DomainError

# Printable ASCII, no spaces; a Structured Field string ("…", as the draft writes it) or a
# bare token (as Stripe's clients send it) are both accepted.
_KEY = re.compile(r'"?([\x21\x23-\x7e]{1,255})"?')
# Replayed from the first answer (the rest are recomputed by the stack, e.g. CSP, caching).
STORED_HEADERS = ("Content-Type", "Location", "ETag", "Retry-After")
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyKeyInvalid(DomainError):
    code = "idempotency_key_invalid"
    status = 400
    message = "Idempotency-Key must be 1 to 255 printable ASCII characters."


class IdempotencyKeyReused(DomainError):
    # draft-ietf-httpapi-idempotency-key-header §2.7: the same key with another payload is 422.
    code = "idempotency_key_reused"
    status = 422
    message = "This Idempotency-Key was used for another request; use a new key."


@dataclass(frozen=True)
class Claim:
    """A key claimed by the running request; `complete` stores its answer."""

    pk: int


def parse_key(header: str) -> str:
    match = _KEY.fullmatch(header.strip())
    if match is None:
        raise IdempotencyKeyInvalid()
    return match.group(1)


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def claim(*, owner: str, key: str, fingerprint: str) -> Claim | HttpResponse:
    """Claim *key* for *owner*, or return the answer stored for it.

    Run inside the transaction that handles the request. Raise IdempotencyKeyReused when the
    key was used with another request. Keys expire after IDEMPOTENCY_KEY_SECONDS.
    """
    table = IdempotentRequest._meta.db_table
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_KEY_SECONDS)
    with connection.cursor() as cursor:
        # Expired keys of this owner go first, so an old key can be used again.
        cursor.execute(f"DELETE FROM {table} WHERE owner = %s AND created_at < %s", [owner, cutoff])  # noqa: S608 (our table name)
        # Blocks while another transaction holds the same key; DO NOTHING once it commits.
        cursor.execute(
            f"INSERT INTO {table} (owner, key, fingerprint, status, headers, body, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, 0, '{}', '', now()) "
            "ON CONFLICT (owner, key) DO NOTHING RETURNING id",
            [owner, key, fingerprint],
        )
        row = cursor.fetchone()
    if row is not None:
        return Claim(pk=row[0])
    stored = IdempotentRequest.objects.get(owner=owner, key=key)
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    response = HttpResponse(bytes(stored.body), status=stored.status)
    for name, value in stored.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def complete(claim: Claim, response: HttpResponse) -> None:
    """Store *response* as the answer to the claimed key (in the same transaction)."""
    IdempotentRequest.objects.filter(pk=claim.pk).update(
        status=response.status_code,
        headers={name: response[name] for name in STORED_HEADERS if response.has_header(name)},
        body=response.content,
    )
