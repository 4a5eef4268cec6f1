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

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Preferred:
        email, email_verified, phone, phone_verified = row
        return cls(email, bool(email_verified), phone, bool(phone_verified))


def preferred_sql(user_ref: str) -> tuple[list[str], list[str]]:
    """SELECT columns and LEFT JOINs that add the preferred email and phone of the user whose
    id is the SQL expression *user_ref* (a column or %s): see Preferred.from_row."""
    joins = [
        # Identifiers from model metadata; user_ref is a column or a %s placeholder.
        f'LEFT JOIN LATERAL (SELECT "{column}", "verified" FROM "{model._meta.db_table}" '  # noqa: S608
        f'WHERE "user_id" = {user_ref} AND "preferred" LIMIT 1) {alias} ON TRUE'
        for alias, model, column in (("pe", Email, "address"), ("pp", Phone, "number"))
    ]
    return ['pe."address"', 'pe."verified"', 'pp."number"', 'pp."verified"'], joins


@functools.cache
def _preferred_statement() -> str:
    select, joins = preferred_sql("%s")
    # Identifiers from model metadata; the user id is a bound parameter.
    return f"SELECT {', '.join(select)} FROM (SELECT 1) one {' '.join(joins)}"  # noqa: S608


def preferred_for(user_id: str) -> Preferred:
    """The user's preferred email and phone in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_preferred_statement(), [user_id, user_id])
        return Preferred.from_row(cursor.fetchone())


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
