"""Which user claims a token's scopes release (spec §A4, OIDC Core §5.4)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection

from accounts.models import Email, Phone, User

# The standard claims each scope releases (CONNECT's table, spec §2.1); `sub` is always present.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "locale"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
}
CLAIMS_SUPPORTED = ["sub", *(claim for claims in SCOPE_CLAIMS.values() for claim in claims)]


@dataclass(frozen=True)
class Preferred:
    """A user's preferred email and phone: what `email` and `phone_number` release."""

    email: str | None
    email_verified: bool
    phone: str | None
    phone_verified: bool


@functools.cache
def _preferred_sql() -> str:
    lateral = (
        'LEFT JOIN LATERAL (SELECT "{column}", "verified" FROM "{table}" '
        'WHERE "user_id" = %s AND "preferred" LIMIT 1) {alias} ON TRUE'
    )
    return (
        # Identifiers from model metadata; the user id is a bound parameter.
        'SELECT e."address", e."verified", p."number", p."verified" FROM (SELECT 1) one '  # noqa: S608
        + lateral.format(column="address", table=Email._meta.db_table, alias="e")
        + " "
        + lateral.format(column="number", table=Phone._meta.db_table, alias="p")
    )


def preferred_for(user_id: str) -> Preferred:
    """The user's preferred email and phone in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_preferred_sql(), [user_id, user_id])
        email, email_verified, phone, phone_verified = cursor.fetchone()
    return Preferred(email, bool(email_verified), phone, bool(phone_verified))


def claims_for(user: User, preferred: Preferred, scopes: set[str] | list[str]) -> dict[str, Any]:
    """The claims *scopes* release about the user; empty values are left out (OIDC Core §5.3.2)."""
    values: dict[str, Any] = {
        "name": user.realname,
        "locale": (user.attributes or {}).get("user-locale"),
        "email": preferred.email,
        "email_verified": preferred.email_verified,
        "phone_number": preferred.phone,
        "phone_number_verified": preferred.phone_verified,
    }
    claims: dict[str, Any] = {"sub": user.pk}
    for scope, names in SCOPE_CLAIMS.items():
        if scope not in scopes:
            continue
        for name in names:
            if name.endswith("_verified"):
                if values[name.removesuffix("_verified")] is not None:
                    claims[name] = values[name]
            elif values[name] not in (None, ""):
                claims[name] = values[name]
    return claims
