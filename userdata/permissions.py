"""Who may call an /id/ endpoint: every view declares an AccessRule per method (fail closed).

Bearer tokens (RFC 6750) are checked against CONNECT's scope table (spec §1.2) and may only act
on their own user; HTTP Basic API credentials (never OAuth client secrets) need the endpoint's
operation and may act on any user.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from rest_framework.exceptions import APIException

from accounts.audit import Actor
from accounts.errors import UserNotFound
from accounts.models import ApiCredential, Client, User
from accounts.oidc.tokens import REALM, access_token_lookup, bearer_challenge
from accounts.services import api_credential_authenticate

USER_ID_RE = re.compile(r"[0-9]{19}")
ME = "me"


@dataclass(frozen=True)
class AccessRule:
    """How one method of one endpoint is authorised.

    `scope`: Bearer tokens are accepted when they hold it (None: Bearer is refused).
    `operation`: Basic API credentials are accepted when they hold it, or `*` (None: refused).
    `confidential_only`: Bearer tokens of public clients are refused (spec §1.2, id.user.write).
    `public`: no credentials needed (the schema and its documentation page only).
    """

    scope: str | None = None
    operation: str | None = None
    confidential_only: bool = False
    public: bool = False

    @property
    def challenges(self) -> list[str]:
        out = []
        if self.scope:
            out.append(bearer_challenge(scope=self.scope))
        if self.operation:
            out.append(f'Basic realm="{REALM}", charset="UTF-8"')
        return out


def bearer_or_basic(scope: str, operation: str, *, confidential_only: bool = False) -> AccessRule:
    return AccessRule(scope=scope, operation=operation, confidential_only=confidential_only)


def basic_only(operation: str) -> AccessRule:
    return AccessRule(operation=operation)


PUBLIC = AccessRule(public=True)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user through a bearer token, or an API credential, or nobody (public)."""

    actor: Actor
    user: User | None = None
    credential: ApiCredential | None = None


ANONYMOUS = Principal(actor=Actor.system("anonymous"))


class AccessProblem(APIException):
    """An authentication or authorisation failure, rendered as problem+json with its challenge.

    `oauth_error` carries RFC 6750's error code (also put in the body as `error`)."""

    def __init__(
        self,
        *,
        status: int,
        code: str,
        detail: str,
        challenges: list[str] | None = None,
        oauth_error: str | None = None,
    ) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code = status
        self.problem_code = code
        self.challenges = challenges or []
        self.oauth_error = oauth_error

    @property
    def headers(self) -> dict[str, str]:
        # RFC 9110 §11.6.1: several challenges may share one WWW-Authenticate field.
        return {"WWW-Authenticate": ", ".join(self.challenges)} if self.challenges else {}


def _unauthorized(rule: AccessRule, code: str, detail: str, **bearer: str) -> AccessProblem:
    challenges = rule.challenges
    if bearer and rule.scope:
        # RFC 6750 §3: the error attributes go on the Bearer challenge.
        challenges = [
            bearer_challenge(
                error=bearer.get("error"), description=bearer.get("error_description")
            ),
            *challenges[1:],
        ]
    return AccessProblem(
        status=401,
        code=code,
        detail=detail,
        challenges=challenges,
        oauth_error=bearer.get("error"),
    )


def _insufficient_scope(rule: AccessRule, detail: str) -> AccessProblem:
    # RFC 6750 §3.1: 403 with error="insufficient_scope" and the scope needed.
    return AccessProblem(
        status=403,
        code="insufficient_scope",
        detail=detail,
        challenges=[
            bearer_challenge(error="insufficient_scope", description=detail, scope=rule.scope)
        ],
        oauth_error="insufficient_scope",
    )


def forbidden(code: str, detail: str) -> AccessProblem:
    return AccessProblem(status=403, code=code, detail=detail)


def _basic_credentials(param: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(param.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    username, sep, secret = decoded.partition(":")
    if not sep or not username or len(username) > 64 or "\x00" in username:
        return None
    return username, secret


def authenticate(authorization: str, rule: AccessRule) -> Principal:
    """The caller of a request with this Authorization header, under *rule*; raise AccessProblem
    (401 with challenges, or 403)."""
    if rule.public:
        return ANONYMOUS
    scheme, _, param = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and rule.scope:
        return _bearer(param.strip(), rule)
    if scheme == "basic" and rule.operation:
        return _basic(param, rule)
    kinds = " or ".join(
        name for name, ok in (("a bearer token", rule.scope), ("HTTP Basic", rule.operation)) if ok
    )
    raise _unauthorized(rule, "authentication_required", f"Authenticate with {kinds}.")


def _bearer(raw: str, rule: AccessRule) -> Principal:
    token = access_token_lookup(raw) if raw else None
    if token is None:
        detail = "The access token is invalid or has expired."
        raise _unauthorized(
            rule, "invalid_token", detail, error="invalid_token", error_description=detail
        )
    if rule.scope not in token.scope.split():
        raise _insufficient_scope(rule, f"This request needs the scope {rule.scope}.")
    client = token.application
    if rule.confidential_only and client is not None and client.client_type == Client.CLIENT_PUBLIC:
        raise _insufficient_scope(rule, f"{rule.scope} is not available to public clients.")
    if token.user is None:
        raise forbidden("token_without_user", "This access token was issued to no user.")
    via = client.client_id if client is not None else None
    return Principal(actor=Actor.of_user(token.user, via_client=via), user=token.user)


def _basic(param: str, rule: AccessRule) -> Principal:
    pair = _basic_credentials(param)
    credential = api_credential_authenticate(*pair) if pair else None
    if credential is None:
        raise _unauthorized(rule, "invalid_credentials", "The API credentials are wrong.")
    if not credential.allows(rule.operation or ""):
        # Authenticated but not allowed: 403 (RFC 9110 §15.5.4), not a new challenge.
        raise forbidden(
            "operation_not_allowed",
            f"This API credential does not hold the operation {rule.operation}.",
        )
    return Principal(actor=Actor.of_api_credential(credential), credential=credential)


def subject_user_id(principal: Principal, connect_id: str) -> str:
    """The id of the user a `{connectId}` path names for this caller.

    A bearer token may only name its own user (`me` is an alias): 403 otherwise (spec §1.2).
    An API credential may name any user by id; a malformed id is UserNotFound.
    """
    if principal.user is not None:
        if connect_id in (ME, principal.user.pk):
            return principal.user.pk
        raise forbidden("user_mismatch", "A bearer token may only be used on its own user.")
    if not USER_ID_RE.fullmatch(connect_id):
        raise UserNotFound()
    return connect_id
