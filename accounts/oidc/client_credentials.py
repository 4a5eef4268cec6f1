"""The token endpoint's busiest request, client_credentials with HTTP Basic, answered directly.

The general path (DOT's OAuthLibCore, then oauthlib's TokenEndpoint and grant) re-encodes the
form body, copies every header into an oauthlib Request, parses the body again and walks the
generic checks before our validator decides; on this request that costs more CPU than the
statements it runs. Here the plain, valid request is issued its token with the same rules
(ConnectOAuth2Validator: the client's grants and scopes, OpenID scopes never for a machine) and
the same answer (RFC 6749 §5.1: body, Cache-Control: no-store, Pragma: no-cache). Anything
else, every error included, returns None and takes the general path, so that errors keep
oauthlib's exact RFC 6749 §5.2 form.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from accounts.hashers import secret_digest
from accounts.models import Client
from accounts.oidc.tokens import checksum, random_token
from accounts.oidc.validator import OIDC_SCOPES

# Form parameters this shortcut understands; any other (client_id, client_secret, resource,
# ...) takes the general path.
_PARAMETERS = frozenset({"grant_type", "scope"})

# The whole decision and the new token's row in one statement, one round trip: the client is
# found by its id and the digest of the presented secret (secrets are unsalted SHA-256 digests of
# 256 random bits, accounts.hashers, so equality on the digest is as safe as the token lookups by
# checksum), must be enabled, confidential and hold the grant; the token's scope is the requested
# one if the client may ask for all of it, else, with no scope asked, every scope the client may
# ask for but the OpenID ones (RFC 6749 §3.3 and §4.4: no user, so no OpenID scopes). No row
# comes back when anything does not hold, and the general path then answers. The row is the
# one AccessToken.save() writes for this grant (no user, session, grant, refresh or ID token, no
# resource or claims): building the model and running its fourteen fields' save hooks cost more
# CPU than the statement, and the client lookup as a separate statement cost as much as the
# insert (test_the_shortcut_answers_as_the_general_path compares the rows column by column).
_OIDC_SCOPES = sorted(OIDC_SCOPES)
_ISSUE = """
    WITH "client" AS (
        SELECT "id", ARRAY(
            SELECT "s" FROM unnest("allowed_scopes") WITH ORDINALITY AS "a" ("s", "n")
            WHERE "s" <> ALL (%(oidc_scopes)s) ORDER BY "n"
        ) AS "offered"
        FROM "accounts_client"
        WHERE "client_id" = %(client_id)s AND "client_secret" = %(digest)s AND "enabled"
            AND "client_type" = %(confidential)s AND %(grant)s = ANY ("grant_types")
    )
    INSERT INTO "accounts_accesstoken" ("application_id", "token", "token_checksum", "expires",
        "scope", "resource", "claims", "created", "updated")
    SELECT "id", %(token)s, %(checksum)s, %(expires)s,
        coalesce(%(scope)s, array_to_string("offered", ' ')), '[]', '', %(now)s, %(now)s
    FROM "client"
    WHERE %(requested)s::varchar[] IS NULL OR %(requested)s::varchar[] <@ "offered"
    RETURNING "scope"
"""


def client_credentials_token(
    request: HttpRequest, credentials: tuple[str, str] | None
) -> HttpResponse | None:
    """The token response for a valid client_credentials request authenticated with Basic
    (*credentials*, already form-decoded), or None to let the general path answer."""
    if credentials is None or request.GET:  # oauthlib would also read query parameters
        return None
    form = request.POST
    if not set(form) <= _PARAMETERS or any(len(form.getlist(name)) != 1 for name in form):
        return None  # duplicates are invalid_request (RFC 6749 §3.2): oauthlib says so
    client_id, secret = credentials
    if "\x00" in client_id:  # PostgreSQL text cannot hold NUL; no client has one
        return None
    requested = form["scope"].split(" ") if "scope" in form else None
    if requested is not None and "" in requested:
        return None  # an empty scope-token (RFC 6749 §3.3): oauthlib's invalid_scope
    raw = random_token(None)
    expires_in = oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
    now = timezone.now()
    parameters: dict[str, Any] = {
        "client_id": client_id,
        "digest": secret_digest(secret),
        # RFC 9700 token storage (set_token_value): the checksum only, an empty token column.
        "token": "" if oauth2_settings.COMPLIANT_BCP_RFC9700_TOKEN_STORAGE else raw,
        "checksum": checksum(raw),
        "expires": now + dt.timedelta(seconds=expires_in),
        "scope": None if requested is None else " ".join(requested),
        "requested": requested,
        "now": now,
        "oidc_scopes": _OIDC_SCOPES,
        "confidential": Client.CLIENT_CONFIDENTIAL,
        "grant": Client.GrantType.CLIENT_CREDENTIALS.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(_ISSUE, parameters)
        row = cursor.fetchone()
    if row is None:
        return None
    (scope,) = row
    # oauthlib's BearerToken.create_token: the same members in the same order.
    body = {"access_token": raw, "expires_in": expires_in, "token_type": "Bearer", "scope": scope}
    response = HttpResponse(json.dumps(body), content_type="application/json")
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response
