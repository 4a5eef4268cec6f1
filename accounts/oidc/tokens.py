"""Bearer tokens (RFC 6750): reading them from a request and finding them in one statement.

The hot paths (UserInfo, introspection, tokeninfo, the /id/ API) look a token up on every
request, so the SQL is written once per process: one indexed lookup of the SHA-256 checksum,
joined to the user and client (and, for claims, the preferred email and phone). Building it
through the ORM each time cost more than the query itself.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AccessToken, Client, User
from accounts.oidc.claims import Preferred, preferred_sql
from accounts.rows import Columns, fetch_joined

# The realm of every WWW-Authenticate challenge (RFC 7235 §2.2), Bearer and Basic alike.
REALM = "CONNECT ID"


def bearer_challenge(
    *, error: str | None = None, description: str | None = None, scope: str | None = None
) -> str:
    """The WWW-Authenticate value of a Bearer challenge (RFC 6750 §3), for every endpoint that
    takes a bearer token. A request that carried no credentials at all gets no error attribute
    (RFC 6750 §3.1); one with a bad token gets invalid_token, a narrow one insufficient_scope."""
    params = [f'realm="{REALM}"']
    params += [
        f'{name}="{value}"'
        for name, value in (("error", error), ("error_description", description), ("scope", scope))
        if value
    ]
    return "Bearer " + ", ".join(params)


def bearer_from_header(request: HttpRequest) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None


def random_token(request: Any, refresh_token: bool = False) -> str:
    """Access and refresh token values (OAUTH2_PROVIDER's ACCESS_TOKEN_GENERATOR): 256 random
    bits, base64url (RFC 6750 §2.1 b64token). oauthlib's default makes 30 SystemRandom draws,
    one urandom read per character, on every token request."""
    return secrets.token_urlsafe(32)


def checksum(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# What the bearer paths read of the token's client (userinfo, introspection, tokeninfo, the
# /id/ API's scope rules): four of its thirty-two columns. Building the rest (six arrays, three
# timestamps) was a tenth of a userinfo request's CPU.
_CLIENT_FIELDS = ("id", "client_id", "client_type", "enabled")
# What UserInfo and introspection read of the token and its user (None: every column, for the
# /id/ API, tokeninfo and logout, which read more): UserInfo the token's liveness, its scope
# and requested claims and claims_for's user fields; introspection the RFC 7662 §2.2 members.
_FIELDS: dict[str, tuple[tuple[str, ...] | None, tuple[str, ...] | None]] = {
    "bearer": (None, None),
    "userinfo": (
        ("id", "user", "application", "expires", "scope", "claims"),
        ("id", "realname", "language", "attributes", "is_active"),
    ),
    "introspection": (
        ("id", "user", "application", "expires", "scope", "created"),
        ("id", "is_active"),
    ),
}


@functools.cache
def _columns_and_joins(purpose: str) -> tuple[str, str, tuple[Columns, ...]]:
    """The token lookup's select list and joins (to the token alias t), and its parts."""
    token_fields, user_fields = _FIELDS[purpose]
    parts = (
        Columns.of(AccessToken, "t", only=token_fields),
        Columns.of(User, "u", only=user_fields),
        Columns.of(Client, "c", only=_CLIENT_FIELDS),
    )
    select = [column for part in parts for column in part.sql]
    joins = [
        f'LEFT JOIN "{User._meta.db_table}" u ON u."id" = t."user_id"',
        f'LEFT JOIN "{Client._meta.db_table}" c ON c."id" = t."application_id"',
    ]
    if purpose == "userinfo":  # and the preferred email and phone
        extra_select, extra_joins = preferred_sql('t."user_id"')
        select += extra_select
        joins += extra_joins
    return ", ".join(select), " ".join(joins), parts


@functools.cache
def _statement(purpose: str) -> tuple[str, tuple[Columns, ...]]:
    select, joins, parts = _columns_and_joins(purpose)
    # Identifiers come from model metadata; the only value is a bound parameter.
    table = AccessToken._meta.db_table
    sql = f'SELECT {select} FROM "{table}" t {joins} WHERE t."token_checksum" = %s'  # noqa: S608
    return sql, parts


@functools.cache
def _statement_with_caller() -> tuple[str, tuple[Columns, ...]]:
    """The token lookup beside a confidential client's authentication: always one row (the
    token's columns empty without a token), the caller's id or NULL last."""
    select, joins, parts = _columns_and_joins("introspection")
    # Identifiers come from model metadata; every value is a bound parameter.
    caller = (
        f'SELECT "id" FROM "{Client._meta.db_table}" WHERE "client_id" = %s '  # noqa: S608
        'AND "client_secret" = %s AND "client_type" = %s AND "enabled"'
    )
    sql = (
        f'SELECT {select}, ({caller}) FROM (VALUES (1)) AS "one" ("x") '  # noqa: S608
        f'LEFT JOIN "{AccessToken._meta.db_table}" t ON t."token_checksum" = %s {joins}'
    )
    return sql, parts


def _fetch(raw: str, purpose: str) -> tuple[AccessToken, tuple[Any, ...]] | None:
    sql, parts = _statement(purpose)
    found = fetch_joined(sql, [checksum(raw)], parts)
    if found is None:
        return None
    (token, user, client), extra = found
    token.user = user
    token.application = client
    return token, extra


def access_token_for_client(
    raw: str, client_id: str, digest: str
) -> tuple[int | None, AccessToken | None]:
    """(the id of the enabled confidential client *client_id* whose secret has *digest*, else
    None; access_token_lookup(raw) with the fields introspection reads) in one statement
    instead of two: introspection authenticates its caller and looks the token up on every
    request."""
    sql, parts = _statement_with_caller()
    params = [client_id, digest, Client.CLIENT_CONFIDENTIAL, checksum(raw)]
    found = fetch_joined(sql, params, parts)
    if found is None:  # never: the statement always returns its one row
        return None, None
    (token, user, client), (caller,) = found
    if token is not None:
        token.user = user
        token.application = client
    return caller, token if token is not None and _live(token) else None


def _live(token: AccessToken) -> bool:
    if token.expires <= timezone.now():
        return False
    if token.user is not None and not token.user.is_active:
        return False
    return token.application is None or token.application.enabled


def access_token_lookup(raw: str) -> AccessToken | None:
    """The live access token for *raw*, with its user and client, in one statement.

    Not found, expired, or belonging to a disabled user or client: None. Revoked tokens are
    deleted, so they are not found.
    """
    found = _fetch(raw, "bearer")
    if found is None or not _live(found[0]):
        return None
    return found[0]


def access_token_with_claims(raw: str) -> tuple[AccessToken, Preferred] | None:
    """access_token_lookup plus what the claims need, still one statement; for UserInfo, which
    reads only the fields named above (any other costs a query of its own)."""
    found = _fetch(raw, "userinfo")
    if found is None or not _live(found[0]):
        return None
    token, preferred = found
    return token, Preferred.from_row(preferred)
