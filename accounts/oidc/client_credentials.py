"""The token endpoint's busiest request, client_credentials with HTTP Basic, answered directly.

The general path (DOT's OAuthLibCore, then oauthlib's TokenEndpoint and grant) re-encodes the
form body, copies every header into an oauthlib Request, parses the body again and walks the
generic checks before our validator decides; on this request that costs more CPU than the two
statements it runs. Here the plain, valid request is issued its token with the same rules
(ConnectOAuth2Validator: the client's grants and scopes, OpenID scopes never for a machine) and
the same answer (RFC 6749 §5.1: body, Cache-Control: no-store, Pragma: no-cache). Anything
else, every error included, returns None and takes the general path, so that errors keep
oauthlib's exact RFC 6749 §5.2 form.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from accounts.hashers import secret_matches
from accounts.models import Client
from accounts.oidc.tokens import checksum, random_token
from accounts.oidc.validator import OIDC_SCOPES

# Form parameters this shortcut understands; any other (client_id, client_secret, resource,
# ...) takes the general path.
_PARAMETERS = frozenset({"grant_type", "scope"})

# Only the columns this decision reads: building the whole Client (some thirty columns, with
# array and JSON converters) cost more CPU than the lookup itself.
_CLIENT = (
    'SELECT "id", "enabled", "client_type", "grant_types", "client_secret", "allowed_scopes" '
    'FROM "accounts_client" WHERE "client_id" = %s'
)
# The new token's row as AccessToken.save() writes it for this grant (no user, session, grant,
# refresh or ID token, no resource or claims), with the values at hand: building the model and
# running its fourteen fields' save hooks cost more CPU than the statement.
# test_the_shortcut_answers_as_the_general_path compares the two paths' rows column by column.
_INSERT = (
    'INSERT INTO "accounts_accesstoken" ("application_id", "token", "token_checksum", '
    '"expires", "scope", "resource", "claims", "created", "updated") '
    "VALUES (%s, %s, %s, %s, %s, '[]', '', %s, %s)"
)


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
    with connection.cursor() as cursor:
        cursor.execute(_CLIENT, [client_id])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, enabled, client_type, grant_types, secret_digest, allowed_scopes = row
    if (
        not enabled
        or client_type != Client.CLIENT_CONFIDENTIAL
        or Client.GrantType.CLIENT_CREDENTIALS not in grant_types
        or not secret_matches(secret, secret_digest)
    ):
        return None
    # RFC 6749 §3.3 and §4.4: no user, so no OpenID scopes; no scope asks for all the others.
    allowed = [scope for scope in allowed_scopes if scope not in OIDC_SCOPES]
    if "scope" in form:
        scopes = form["scope"].split(" ")
        if "" in scopes or not set(scopes) <= set(allowed):
            return None
    else:
        scopes = allowed
    raw = random_token(None)
    expires_in = oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
    scope = " ".join(scopes)
    now = timezone.now()
    # RFC 9700 token storage (set_token_value): the checksum only, an empty token column.
    stored = "" if oauth2_settings.COMPLIANT_BCP_RFC9700_TOKEN_STORAGE else raw
    expires = now + dt.timedelta(seconds=expires_in)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [pk, stored, checksum(raw), expires, scope, now, now])
    # oauthlib's BearerToken.create_token: the same members in the same order.
    body = {"access_token": raw, "expires_in": expires_in, "token_type": "Bearer", "scope": scope}
    response = HttpResponse(json.dumps(body), content_type="application/json")
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response
