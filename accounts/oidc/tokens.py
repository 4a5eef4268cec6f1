"""Bearer tokens (RFC 6750): reading them from a request and finding them in one query."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AccessToken


def bearer_from_header(request: HttpRequest) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None


def access_token_lookup(raw: str) -> AccessToken | None:
    """The live access token for *raw*, with its user and client, in one indexed query.

    Not found, expired, or belonging to a disabled user or client: None. Revoked tokens are
    deleted, so they are not found.
    """
    checksum = hashlib.sha256(raw.encode()).hexdigest()
    token = (
        AccessToken.objects.select_related("user", "application")
        .filter(token_checksum=checksum)
        .first()
    )
    if token is None or token.expires <= timezone.now():
        return None
    if token.user is not None and not token.user.is_active:
        return None
    if token.application is not None and not token.application.enabled:
        return None
    return token
