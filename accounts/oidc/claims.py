"""Which user claims a token's scopes release (spec §A4, OIDC Core §5.4)."""

from __future__ import annotations

import functools
import json
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
# The scope that releases each claim: a claim asked for with the `claims` parameter is shown on
# the consent page as that scope, and only released to clients registered for it.
CLAIM_SCOPES = {claim: scope for scope, claims in SCOPE_CLAIMS.items() for claim in claims}
# Essential claims the sign-in flow can satisfy by adding and verifying a value (spec §1.1).
ESSENTIAL_FLOWS = {"email": "email", "email_verified": "email", "phone_number": "phone"}


def claims_request(claims: Any) -> dict[str, Any]:
    """The `claims` parameter (OIDC Core §5.5) as a dict: oauthlib parses it, the consent form
    carries it as JSON; anything malformed is no request."""
    if isinstance(claims, str):
        try:
            claims = json.loads(claims) if claims else {}
        except ValueError:
            return {}
    return claims if isinstance(claims, dict) else {}


def requested_claims(
    claims: Any, member: str, *, allowed_scopes: list[str] | None = None
) -> list[str]:
    """The supported claims named under *member* ("userinfo" or "id_token"), limited to those
    whose scope the client is registered for."""
    names = claims_request(claims).get(member)
    if not isinstance(names, dict):
        return []
    return [
        name
        for name in names
        if name in CLAIM_SCOPES and (allowed_scopes is None or CLAIM_SCOPES[name] in allowed_scopes)
    ]


def implied_scopes(claims: Any) -> list[str]:
    """The scopes whose claims a `claims` parameter asks for (for consent)."""
    names = [*requested_claims(claims, "userinfo"), *requested_claims(claims, "id_token")]
    return sorted({CLAIM_SCOPES[name] for name in names})


def missing_essential(user: User, claims: Any) -> list[str]:
    """What the account lacks for the essential claims asked for: "email" when it has no
    verified preferred email, "phone" likewise; empty when nothing is missing."""
    request = claims_request(claims)
    wanted: list[str] = []
    for member in ("userinfo", "id_token"):
        names = request.get(member)
        if not isinstance(names, dict):
            continue
        for name, spec in names.items():
            flow = ESSENTIAL_FLOWS.get(name)
            if flow and isinstance(spec, dict) and spec.get("essential") is True:
                wanted.append(flow)
    if not wanted:
        return []
    preferred = preferred_for(user.pk)
    have = {"email": preferred.email_verified, "phone": preferred.phone_verified}
    return [flow for flow in ("email", "phone") if flow in wanted and not have[flow]]


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


def claims_for(
    user: User,
    preferred: Preferred,
    scopes: set[str] | list[str],
    requested: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """The claims *scopes* release about the user, plus those *requested* by name with the
    `claims` parameter (OIDC Core §5.5); empty values are left out (OIDC Core §5.3.2)."""
    values: dict[str, Any] = {
        "name": user.realname,
        "locale": user.language or (user.attributes or {}).get("user-locale"),
        "email": preferred.email,
        "email_verified": preferred.email_verified,
        "phone_number": preferred.phone,
        "phone_number_verified": preferred.phone_verified,
    }
    claims: dict[str, Any] = {"sub": user.pk}
    for scope, names in SCOPE_CLAIMS.items():
        if scope not in scopes:
            names = tuple(name for name in names if name in requested)
        for name in names:
            if name.endswith("_verified"):
                if values[name.removesuffix("_verified")] is not None:
                    claims[name] = values[name]
            elif values[name] not in (None, ""):
                claims[name] = values[name]
    return claims
