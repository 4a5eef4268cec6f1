"""The one place that decides grants, tokens and claims: our django-oauth-toolkit validator."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import time
import uuid
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import refresh_token_expire_timedelta
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.openid.connect.core import exceptions as oidc_errors

from accounts import rows
from accounts.models import AccessToken, Client, Grant, RefreshToken, SignInSession, User
from accounts.oidc import keys
from accounts.oidc.claims import (
    Preferred,
    claims_for,
    preferred_for,
    preferred_sql,
    requested_claims,
)
from accounts.oidc.tokens import checksum
from accounts.rows import Columns

OIDC_SCOPES = {"openid", "profile", "email", "phone"}


class ConnectOAuth2Validator(OAuth2Validator):
    """CONNECT's rules on top of DOT: per-client grants and scopes, PKCE for public clients,
    single-use hashed codes with replay revocation, tokens bound to the SSO session, and ID tokens
    signed with our rotating keys."""

    # --- Clients: which grants, response types and scopes each may use -------------------

    def _load_application(self, client_id: str, request: OAuthRequest) -> Client | None:
        # DOT's lookup through the ORM, minus its statement-building cost (every token request
        # runs it); Client ID Metadata Documents are not supported here.
        cached = request.client
        if isinstance(cached, Client) and cached.client_id == client_id:
            return cached if cached.is_usable(request) else None
        client = rows.get_by(Client, "client_id", client_id)
        if client is None or not client.is_usable(request):
            request.client = None
            return None
        request.client = client
        return client

    def validate_grant_type(
        self,
        client_id: str,
        grant_type: str,
        client: Client,
        request: OAuthRequest,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return grant_type in client.grant_types

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Client,
        request: OAuthRequest,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        # Only the authorization code flow (RFC 9700 §2.1.2: no implicit, no hybrid).
        if response_type != "code":
            raise errors.UnsupportedResponseTypeError(request=request)
        return Client.GrantType.AUTHORIZATION_CODE in client.grant_types

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Client,
        request: OAuthRequest,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        allowed = set(client.allowed_scopes)
        if request.grant_type == "client_credentials":
            # No user, so no user claims: OpenID scopes make no sense here (RFC 6749 §4.4).
            allowed -= OIDC_SCOPES
        return set(scopes) <= allowed

    def get_default_scopes(
        self, client_id: str, request: OAuthRequest, *args: Any, **kwargs: Any
    ) -> list[str]:
        # RFC 6749 §3.3: without a scope parameter, a client gets what it is registered for.
        scopes = list(request.client.allowed_scopes)
        if request.grant_type == "client_credentials":
            return [s for s in scopes if s not in OIDC_SCOPES]
        return scopes

    def is_pkce_required(self, client_id: str, request: OAuthRequest) -> bool:
        # oauthlib asks this of every authorization request before it checks PKCE, so it is
        # also where the parameters oauthlib stores unchecked are held to their syntax.
        _check_authorization_parameters(request)
        # RFC 7636 / RFC 9700 §2.1.1: required for public clients; a confidential client that
        # sends a code_challenge is held to it by oauthlib all the same.
        client = request.client or Client.objects.filter(client_id=client_id).first()
        return client is None or client.client_type == Client.CLIENT_PUBLIC

    # --- Authorization codes: stored hashed, single use -----------------------------------

    def _grant(self, code: str, request: OAuthRequest) -> Grant | None:
        cached = getattr(request, "_connect_grant", None)
        if cached is not None and cached._raw_code == code:
            return cached
        grants = Grant.objects.filter(code=code)
        if request.client is not None:
            grants = grants.filter(application=request.client)
        grant = grants.first()
        if grant is not None and request.client is not None:
            grant._raw_code = code  # type: ignore[attr-defined]
            request._connect_grant = grant
        return grant

    def validate_code(
        self,
        client_id: str,
        code: str,
        client: Client,
        request: OAuthRequest,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        grant = self._grant(code, request)
        if grant is None:
            return False
        if not grant.code_challenge and getattr(request, "code_verifier", None):
            # RFC 9700 §4.8.2: a code_verifier for a code issued without a challenge is a PKCE
            # downgrade attempt.
            return False
        if grant.used_at is not None:
            # RFC 6749 §4.1.2: a code used twice is refused and what it issued is revoked.
            revoke_tokens_of_grant(grant)
            return False
        if grant.is_expired():
            return False
        request.scopes = grant.scope.split()
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: OAuthRequest, *args: Any, **kwargs: Any
    ) -> None:
        # Keep the row, marked used, so a replay can be recognised (and punished).
        grant = self._grant(code, request)
        if grant is None:  # no such code: nothing to mark used
            raise errors.InvalidGrantError(request=request)
        used = Grant.objects.filter(pk=grant.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not used:  # a concurrent request redeemed it first
            raise errors.InvalidGrantError(request=request)

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        client: Client,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        request = kwargs.get("request") or (args[0] if args else None)
        grant = self._grant(code, request) if request is not None else None
        if grant is None:
            grant = Grant.objects.filter(code=code, application=client).first()
        # RFC 6749 §4.1.3: identical to the redirect_uri of the authorization request; §5.2 names
        # a mismatch invalid_grant (oauthlib would say invalid_request).
        if grant is None or grant.redirect_uri != redirect_uri:
            raise errors.InvalidGrantError(
                description="redirect_uri does not match the authorization request.",
                request=request,
            )
        return True

    def get_code_challenge(self, code: str, request: OAuthRequest) -> str | None:
        grant = self._grant(code, request)
        return (grant.code_challenge or None) if grant else None

    def get_code_challenge_method(self, code: str, request: OAuthRequest) -> str | None:
        grant = self._grant(code, request)
        return (grant.code_challenge_method or None) if grant else None

    def get_authorization_code_scopes(
        self, client_id: str, code: str, redirect_uri: str, request: OAuthRequest
    ) -> list[str]:
        grant = self._grant(code, request)
        return grant.scope.split() if grant else []

    def get_authorization_code_nonce(
        self, client_id: str, code: str, redirect_uri: str, request: OAuthRequest
    ) -> str | None:
        grant = self._grant(code, request)
        return (grant.nonce or None) if grant else None

    def _create_authorization_code(
        self, request: OAuthRequest, code: dict[str, str], expires: Any = None
    ) -> Grant:
        grant = super()._create_authorization_code(request, code, expires)
        session_id = getattr(request, "connect_session_id", None)
        if session_id:
            # Authorization is rare next to tokens; one more UPDATE keeps DOT's checks intact.
            sso = bool(getattr(request, "connect_sso", False))
            Grant.objects.filter(pk=grant.pk).update(session_id=session_id, sso=sso)
        return grant

    # --- Tokens: bound to the grant and SSO session they came from ------------------------

    def _session_id(self, request: OAuthRequest) -> str | None:
        grant = getattr(request, "_connect_grant", None)
        if grant is not None:
            return grant.session_id
        previous = getattr(request, "refresh_token_instance", None)
        return previous.session_id if previous is not None else None

    def _create_access_token(
        self,
        expires: Any,
        request: OAuthRequest,
        token: dict[str, Any],
        source_refresh_token: RefreshToken | None = None,
    ) -> AccessToken:
        access_token = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            application=request.client,
            source_refresh_token=source_refresh_token,
            source_grant=getattr(request, "_connect_grant", None),
            session_id=self._session_id(request),
            resource=getattr(request, "resource", []),
            claims=self._userinfo_claims(request),
        )
        self._set_token_value(access_token, token["access_token"])
        return rows.insert(access_token)  # one prepared INSERT: every token request runs it

    def _userinfo_claims(self, request: OAuthRequest) -> str:
        """The UserInfo claims the authorization request asked for by name (OIDC Core §5.5),
        kept on the access token; a refreshed token keeps its predecessor's."""
        previous = getattr(request, "refresh_token_instance", None)
        if previous is not None:
            return getattr(request, "connect_claims", "")
        if request.client is None or not getattr(request, "claims", None):
            return ""
        allowed = list(request.client.allowed_scopes)
        return " ".join(requested_claims(request.claims, "userinfo", allowed_scopes=allowed))

    def _create_refresh_token(
        self,
        request: OAuthRequest,
        refresh_token_code: str,
        access_token: AccessToken,
        previous_refresh_token: RefreshToken | None,
    ) -> RefreshToken:
        grant = getattr(request, "_connect_grant", None)
        if previous_refresh_token is not None:
            family = previous_refresh_token.token_family
        elif grant is not None:
            family = grant_token_family(grant)  # found again if the code is replayed
        else:
            family = uuid.uuid4()
        refresh_token = RefreshToken(
            user=request.user,
            application=request.client,
            access_token=access_token,
            token_family=family,
            session_id=self._session_id(request),
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(refresh_token, refresh_token_code)
        return rows.insert(refresh_token)

    # --- Refresh: rotation with reuse detection and a grace window -----------------------

    def validate_refresh_token(
        self, refresh_token: str, client: Client, request: OAuthRequest, *args: Any, **kwargs: Any
    ) -> bool:
        """DOT's rules (rotation, reuse revokes the family, sliding expiry) in one query, plus
        a grace window for concurrent refreshes."""
        found = _refresh_token_row(checksum(refresh_token), client.pk)
        if found is None:
            return False
        rt, preferred = found
        if rt.revoked is not None:
            # Superseded by rotation (an access token was minted from it), not revoked on
            # purpose, which is final (RFC 7009 §2.1).
            superseded = AccessToken.objects.filter(source_refresh_token=rt).exists()
            grace = dt.timedelta(seconds=settings.REFRESH_TOKEN_GRACE_SECONDS)
            if not (superseded and rt.revoked > timezone.now() - grace):
                # RFC 9700 §4.14.2: a rotated token used again revokes its whole family.
                RefreshToken.revoke_family(rt.token_family)
                return False
            # Two requests refreshed with the same token at once: the slower one gets a new
            # pair in the same family instead of tripping reuse detection.
            request.connect_grace = True
        else:
            # A live refresh token always has its access token; its age slides with it.
            lifetime = refresh_token_expire_timedelta()
            if rt.access_token is None:
                return False
            if lifetime and rt.access_token.expires + lifetime <= timezone.now():
                return False
        request.user = rt.user
        request.connect_preferred = preferred  # read moments later by finalize_id_token
        request.refresh_token = refresh_token
        request.refresh_token_instance = rt
        request.connect_claims = rt.access_token.claims if rt.access_token else ""
        return True

    def save_bearer_token(
        self, token: dict[str, Any], request: OAuthRequest, *args: Any, **kwargs: Any
    ) -> Any:
        if request.grant_type == "client_credentials" and "refresh_token" not in token:
            # A single INSERT is atomic by itself; DOT's transaction would add a round trip
            # to the busiest write path.
            return self._save_bearer_token(token, request, *args, **kwargs)
        return super().save_bearer_token(token, request, *args, **kwargs)

    def _save_bearer_token(
        self, token: dict[str, Any], request: OAuthRequest, *args: Any, **kwargs: Any
    ) -> None:
        previous = getattr(request, "refresh_token_instance", None)
        if request.grant_type != "refresh_token" or not isinstance(previous, RefreshToken):
            super()._save_bearer_token(token, request, *args, **kwargs)
            return
        # Rotation (RFC 9700 §4.14.2) in four statements, inside DOT's transaction: retire the
        # presented token and unlink its access token in one UPDATE that only one concurrent
        # request can win, delete that access token, insert the new pair in the same family.
        expires = timezone.now() + dt.timedelta(
            seconds=token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        )
        rotated = not getattr(request, "connect_grace", False) and _retire(previous)
        access_token = self._create_access_token(
            expires, request, token, source_refresh_token=previous if rotated else None
        )
        # A request that lost the race (or came within the grace window) gets a new pair in
        # the same family; the old token is already retired.
        self._create_refresh_token(request, token["refresh_token"], access_token, previous)

    # --- OpenID Connect -------------------------------------------------------------------

    def validate_silent_login(self, request: OAuthRequest) -> bool:
        # The authorize view only lets signed-in users this far; prompt=none without a session
        # is answered there with login_required (OIDC Core §3.1.2.6).
        return True

    def validate_silent_authorization(self, request: OAuthRequest) -> bool:
        # Consent for prompt=none is decided by the authorize view, which knows the user.
        return True

    def get_oidc_issuer_endpoint(self, request: OAuthRequest) -> str:
        return settings.ISSUER

    def finalize_id_token(
        self,
        id_token: dict[str, Any],
        token: dict[str, Any],
        token_handler: Any,
        request: OAuthRequest,
    ) -> str:
        """Sign the ID token (OIDC Core §2): RS256 with the active key's kid; `aud` an array as
        CONNECT sends it; auth_time, acr, amr and sid from the SSO session; user claims by scope.
        """
        now = int(time.time())
        allowed = list(request.client.allowed_scopes)
        wanted = requested_claims(
            getattr(request, "claims", None), "id_token", allowed_scopes=allowed
        )
        id_token.update(claims_for(request.user, _preferred(request), request.scopes, wanted))
        id_token.update(
            iss=settings.ISSUER,
            aud=[request.client.client_id],
            iat=now,
            exp=now + oauth2_settings.ID_TOKEN_EXPIRE_SECONDS,
        )
        session_id = self._session_id(request)
        session = SignInSession.objects.filter(pk=session_id).first() if session_id else None
        if session is not None:
            grant = getattr(request, "_connect_grant", None)
            amr = list(session.amr)
            if grant is not None and grant.sso and "SSO" not in amr:
                amr.append("SSO")  # spec §2.2: the existing CONNECT session was used
            id_token.update(
                auth_time=int(session.auth_time.timestamp()),
                acr=session.acr,
                amr=amr,
                sid=session.pk,
                # spec §2.2: true when the person did not tick "stay signed in".
                td_sls=session.short_lived,
            )
            if session.username and {"email", "phone"} <= set(request.scopes):
                # spec §2.2: what the person typed, only when both scopes were asked for.
                id_token["td_au"] = session.username
        elif request.user.last_login:
            id_token["auth_time"] = int(request.user.last_login.timestamp())
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        return keys.sign_jwt(id_token)


_FAMILY_NAMESPACE = uuid.UUID("8f6c2a57-3c1e-4a0e-9d57-6f1e4c7b2a10")


def grant_token_family(grant: Grant) -> uuid.UUID:
    """The refresh-token family of an authorization code: derivable from the grant alone."""
    return uuid.uuid5(_FAMILY_NAMESPACE, f"grant:{grant.pk}")


def revoke_tokens_of_grant(grant: Grant) -> None:
    """Revoke every token issued from an authorization code, refresh family included."""
    RefreshToken.revoke_family(grant_token_family(grant))
    AccessToken.objects.filter(source_grant=grant).delete()
    Grant.objects.filter(pk=grant.pk).update(expires=F("created"))


# RFC 7636 §4.2: 43-128 characters of the unreserved set.
_CODE_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")
_MAX_NONCE = 255  # what the grant stores


def _check_authorization_parameters(request: OAuthRequest) -> None:
    # OIDC Core §6: request objects are not supported, and saying so beats ignoring them.
    # Read the parameters themselves: oauthlib's credentials round trip sets an attribute
    # `request` (the oauthlib request) when the authorization response is created.
    params = getattr(request, "_params", {})
    if params.get("request"):
        raise oidc_errors.RequestNotSupported(request=request)
    if params.get("request_uri"):
        raise oidc_errors.RequestURINotSupported(request=request)
    challenge = getattr(request, "code_challenge", None)
    if challenge is not None and not _CODE_CHALLENGE.fullmatch(challenge):
        raise errors.InvalidRequestError(
            description="code_challenge must be 43-128 characters of [A-Za-z0-9._~-] (RFC 7636).",
            request=request,
        )
    nonce = getattr(request, "nonce", None)
    if nonce is not None and len(nonce) > _MAX_NONCE:
        raise errors.InvalidRequestError(
            description=f"nonce must be at most {_MAX_NONCE} characters.", request=request
        )


@functools.cache
def _retire_statements() -> tuple[str, str]:
    rt, at = RefreshToken._meta.db_table, AccessToken._meta.db_table
    # Identifiers from model metadata; values are bound parameters.
    retire = (
        f'UPDATE "{rt}" SET "revoked" = %s, "updated" = %s, "access_token_id" = NULL '  # noqa: S608
        'WHERE "id" = %s AND "revoked" IS NULL RETURNING "id"'
    )
    return retire, f'DELETE FROM "{at}" WHERE "id" = %s'  # noqa: S608


def _retire(refresh_token: RefreshToken) -> bool:
    """Revoke a refresh token and delete its access token; False if another request already
    did (under READ COMMITTED the loser's UPDATE re-checks "revoked IS NULL" and matches
    nothing)."""
    retire, delete = _retire_statements()
    now = timezone.now()
    access_token_id = refresh_token.access_token_id
    with connection.cursor() as cursor:
        cursor.execute(retire, [now, now, refresh_token.pk])
        if cursor.fetchone() is None:
            return False
        if access_token_id is not None:
            cursor.execute(delete, [access_token_id])
    return True


def _preferred(request: OAuthRequest) -> Preferred:
    """The user's preferred email and phone: read with the refresh token on a refresh."""
    preferred = getattr(request, "connect_preferred", None)
    return preferred if preferred is not None else preferred_for(request.user.pk)


@functools.cache
def _refresh_lookup() -> tuple[str, tuple[Columns, ...]]:
    parts = (Columns.of(RefreshToken, "r"), Columns.of(User, "u"), Columns.of(AccessToken, "a"))
    # The user's preferred email and phone too, for the ID token's claims: one round trip less.
    extra_select, extra_joins = preferred_sql('r."user_id"')
    select = ", ".join([column for part in parts for column in part.sql] + extra_select)
    # Identifiers from model metadata; values are bound parameters. Several rows may share a
    # checksum (uniqueness is on (checksum, revoked)): the live one first, as DOT orders them.
    sql = (
        f'SELECT {select} FROM "{RefreshToken._meta.db_table}" r '  # noqa: S608
        f'LEFT JOIN "{User._meta.db_table}" u ON u."id" = r."user_id" '
        f'LEFT JOIN "{AccessToken._meta.db_table}" a ON a."id" = r."access_token_id" '
        f"{' '.join(extra_joins)} "
        'WHERE r."token_checksum" = %s AND r."application_id" = %s '
        'ORDER BY r."revoked" DESC NULLS FIRST LIMIT 1'
    )
    return sql, parts


def _refresh_token_row(
    token_checksum: str, client_pk: int
) -> tuple[RefreshToken, Preferred] | None:
    """The refresh token with its user and access token, and the user's preferred email and
    phone, in one prepared statement."""
    sql, parts = _refresh_lookup()
    found = rows.fetch_joined(sql, [token_checksum, client_pk], parts)
    if found is None:
        return None
    (refresh_token, user, access_token), extra = found
    refresh_token.user = user
    refresh_token.access_token = access_token
    return refresh_token, Preferred.from_row(extra)
