"""CONNECT's /oauth endpoints (spec §1.1) on django-oauth-toolkit."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import json
from typing import Any
from urllib.parse import unquote_plus, urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException
from oauth2_provider import views as dot
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2.rfc6749 import errors as oauth_errors
from oauthlib.openid.connect.core import exceptions as oidc_errors

from accounts.audit import Actor
from accounts.hashers import secret_digest
from accounts.ids import API_USERNAME_PREFIX
from accounts.models import AccessToken, Client, Consent, RefreshToken, SignInSession
from accounts.oidc import keys
from accounts.oidc.claims import CLAIMS_SUPPORTED, claims_for, implied_scopes, missing_essential
from accounts.oidc.client_credentials import client_credentials_token
from accounts.oidc.server import ConnectServer
from accounts.oidc.sso import FRESH_KEY, current_session, end_session, sign_out
from accounts.oidc.tokens import (
    REALM,
    access_token_for_client,
    access_token_lookup,
    access_token_with_claims,
    bearer_challenge,
    bearer_from_header,
    checksum,
)
from accounts.services import api_credential_authenticate
from accounts.services.sessions import consent_grant
from accounts.signin.flow import ACR_VALUES
from connect_id import hotpath, metrics

# --- Authorization endpoint -------------------------------------------------------------------


class AuthorizeView(AuthorizationView):
    """DOT's authorization endpoint, with CONNECT's SSO, prompt, max_age, acr and consent rules.

    Unknown clients and unregistered redirect URIs get an error page, never a redirect
    (RFC 6749 §4.1.2.1); other errors go back to the client with error, description and state.
    """

    template_name = "oidc/authorize.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and current_session(request) is None:
            # Signed in to Django (the admin, say) but without a live SSO session: sign in again.
            logout(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        client = Client.objects.get(client_id=credentials["client_id"])
        prompt = set(request.GET.get("prompt", "").split())
        session = current_session(request)
        fresh = request.session.pop(FRESH_KEY, False)
        assert session is not None  # dispatch() sent everyone else to sign in
        reauth = not fresh and self._needs_authentication(session, client, prompt)
        # A code from a session that did not sign in just now says so: amr gains "SSO".
        request.session[SSO_KEY] = not fresh
        consent_scopes = [*scopes, *implied_scopes(credentials.get("claims"))]
        consented = client.skip_authorization or (
            "consent" not in prompt and _consent_covers(session.user_id, client, consent_scopes)
        )
        missing = [] if reauth else missing_essential(session.user, credentials.get("claims"))
        if "none" in prompt:
            # OIDC Core §3.1.2.6: no UI at all, so answer with an error instead.
            if reauth:
                return self._error(oidc_errors.LoginRequired, credentials, client)
            if missing:
                return self._error(oidc_errors.InteractionRequired, credentials, client)
            if not consented:
                return self._error(oidc_errors.ConsentRequired, credentials, client)
        elif reauth:
            if prompt & {"login", "select_account"}:
                # End the old SSO session rather than stack a second one beside it.
                sign_out(request)
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if missing:
            # spec §1.1 `claims`: an essential email or phone the account lacks is added and
            # verified during the flow, before the code is issued.
            page = "gui:signin-add-email" if missing[0] == "email" else "gui:signin-add-phone"
            return HttpResponseRedirect(
                f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}"
            )
        if consented:
            try:
                uri, _headers, _body, _status = self.create_authorization_response(
                    request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
                )
            except OAuthToolkitError as error:
                return self.error_response(error, client)
            return self.redirect(uri, client)
        return self._consent_page(scopes, credentials, client)

    def _needs_authentication(
        self, session: SignInSession, client: Client, prompt: set[str]
    ) -> bool:
        if prompt & {"login", "select_account"} or not client.sso_enabled:
            return True
        max_age = self.request.GET.get("max_age", "")
        if max_age.isdigit():
            age = (timezone.now() - session.auth_time).total_seconds()
            if age > int(max_age):
                return True
        # The authorization request's `claims` may also ask for acr (OIDC Core §5.5.1.1).
        wanted = [v for v in self.request.GET.get("acr_values", "").split() if v in ACR_VALUES]
        # acr_values lists acceptable levels (OIDC Core §3.1.2.1); CONNECT: "1" or "2".
        return bool(wanted) and session.acr < min(wanted)

    def _error(
        self, error_class: type, credentials: dict[str, Any], client: Client
    ) -> HttpResponse:
        error = error_class(state=credentials.get("state"))
        return self.error_response(
            OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"]), client
        )

    # django-stubs pins AccessMixin's return type to HttpResponseRedirect, but the mixin's
    # caller (dispatch) returns any HttpResponse; this one renders error pages too.
    def handle_no_permission(self) -> HttpResponse:  # type: ignore[override]
        """Not signed in: check the request first (an unknown client or redirect URI gets its
        error page now, not after signing in), then prompt=none is login_required (OIDC Core
        §3.1.2.6), and everyone else signs in and comes back."""
        try:
            _scopes, credentials = self.validate_authorization_request(self.request)
        except OAuthToolkitError as error:
            return self.error_response(error)
        if "none" in self.request.GET.get("prompt", "").split():
            client = Client.objects.get(client_id=credentials["client_id"])
            return self._error(oidc_errors.LoginRequired, credentials, client)
        return redirect_to_login(self.request.get_full_path(), settings.LOGIN_URL)

    def error_response(
        self, error: OAuthToolkitError, application: Client | None = None, **kwargs: Any
    ) -> HttpResponse:
        """Every authorization error: an error page when the client or redirect URI cannot be
        trusted (RFC 6749 §4.1.2.1), otherwise a redirect with error, error_description, state
        and iss (RFC 9207 §2)."""
        oauthlib_error = error.oauthlib_error
        if not oauthlib_error.description:
            oauthlib_error.description = ERROR_DESCRIPTIONS.get(
                oauthlib_error.error, "The authorization request was refused."
            )
        params = self.request.GET if self.request.method == "GET" else self.request.POST
        if application is None:
            application = Client.objects.filter(client_id=params.get("client_id", "")).first()
        redirect_uri = oauthlib_error.redirect_uri
        if not redirect_uri and application is not None and not isinstance(error, FatalClientError):
            # oauthlib leaves some late errors (a malformed claims parameter) without the
            # redirect URI it had already checked; use it only if it is registered.
            candidate = params.get("redirect_uri", "")
            redirect_uri = candidate if application.redirect_uri_allowed(candidate) else ""
        if isinstance(error, FatalClientError) or not redirect_uri or application is None:
            return self.render_to_response(
                {"error": oauthlib_error}, status=oauthlib_error.status_code
            )
        if not oauthlib_error.state and params.get("state"):
            oauthlib_error.state = params["state"]
        location = add_params_to_uri(
            redirect_uri, [*oauthlib_error.twotuples, ("iss", settings.ISSUER)]
        )
        return self.redirect(location, application)

    def form_valid(self, form: Any) -> HttpResponse:
        # The consent form round-trips the request in hidden fields: check them again, as the
        # GET did, before DOT trusts them (RFC 6749 §4.1.2.1: never redirect to an unverified
        # URI).
        client = Client.objects.filter(client_id=form.cleaned_data.get("client_id") or "").first()
        if client is None or not client.redirect_uri_allowed(
            form.cleaned_data.get("redirect_uri") or ""
        ):
            return self._bad_form("Unknown client or unregistered redirect URI.")
        pending = self.request.session.get(PENDING_CONSENTS_KEY, [])
        digest = _consent_digest(form.cleaned_data)
        if digest not in pending:
            # The decision covers only what the pending authorization request asked for: a
            # hidden field edited in the browser (a scope the client did not ask for) is refused.
            return self._bad_form("The consent form does not match the authorization request.")
        self.request.session[PENDING_CONSENTS_KEY] = [d for d in pending if d != digest]
        return super().form_valid(form)

    def form_invalid(self, form: Any) -> HttpResponse:
        return self._bad_form("The consent form is incomplete.")

    def _bad_form(self, description: str) -> HttpResponse:
        error = oauth_errors.InvalidRequestError(description=description)
        return self.render_to_response({"error": error}, status=400)

    def _consent_page(
        self, scopes: list[str], credentials: dict[str, Any], client: Client
    ) -> HttpResponse:
        catalogue = settings.OAUTH2_PROVIDER["SCOPES"]
        shown = list(dict.fromkeys([*scopes, *implied_scopes(credentials.get("claims"))]))
        self.oauth2_data = {
            **credentials,
            "scopes": scopes,
            "claims": json.dumps(credentials["claims"]) if credentials.get("claims") else None,
        }
        form = self.get_form(self.get_form_class())
        # Remember what this consent page asks (a few, for several tabs) to check the answer.
        pending = self.request.session.get(PENDING_CONSENTS_KEY, [])
        self.request.session[PENDING_CONSENTS_KEY] = [*pending, _consent_digest(form.initial)][-5:]
        context = {
            "form": form,
            "client": client,
            "scopes": [(scope, catalogue.get(scope, scope)) for scope in shown],
        }
        return self.render_to_response(self.get_context_data(**context))

    def create_authorization_response(
        self, request: HttpRequest, scopes: str, credentials: dict[str, Any], allow: bool
    ) -> Any:
        session = current_session(request)
        if session is not None:
            credentials["connect_session_id"] = session.pk
            credentials["connect_sso"] = bool(request.session.get(SSO_KEY, False))
            if allow and request.method == "POST":
                client = Client.objects.get(client_id=credentials["client_id"])
                implied = implied_scopes(credentials.get("claims"))
                consent_grant(user=session.user, client=client, scopes=[*scopes.split(), *implied])
        return super().create_authorization_response(request, scopes, credentials, allow)


SSO_KEY = "connect_sso"
PENDING_CONSENTS_KEY = "connect_consents"
_CONSENT_FIELDS = (
    "client_id",
    "redirect_uri",
    "scope",
    "response_type",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "claims",
    "resource",
)


def _consent_digest(values: dict[str, Any]) -> str:
    """A digest of the authorization request a consent form carries in its hidden fields."""
    canonical = json.dumps([str(values.get(name) or "") for name in _CONSENT_FIELDS])
    return hashlib.sha256(canonical.encode()).hexdigest()


ERROR_DESCRIPTIONS = {
    "invalid_scope": "The client asked for a scope it is not registered for.",
    "access_denied": "The user did not allow the request.",
    "login_required": "The user is not signed in (prompt=none).",
    "consent_required": "The user has not allowed this client these scopes (prompt=none).",
    "unsupported_response_type": "Only response_type=code is supported.",
    "invalid_request": "The authorization request is malformed.",
}


def _consent_covers(user_id: str, client: Client, scopes: list[str]) -> bool:
    consent = Consent.objects.filter(user_id=user_id, client=client).first()
    return consent is not None and consent.covers(scopes)


# --- Token endpoint ---------------------------------------------------------------------------


def client_auth_problem(request: HttpRequest) -> HttpResponse | None:
    """RFC 6749 §2.3: a client uses one authentication method per request."""
    basic = request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("basic ")
    if basic and "client_secret" in request.POST:
        return JsonResponse(
            {
                "error": "invalid_request",
                "error_description": "Use one client authentication method, not two.",
            },
            status=400,
        )
    return None


def with_basic_challenge(response: HttpResponse) -> HttpResponse:
    """RFC 6749 §5.2: a 401 for client authentication challenges the scheme clients use
    (oauthlib answers with Bearer)."""
    if response.status_code == 401:
        response["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return response


class TokenView(dot.TokenView):
    """DOT's token endpoint: without its post-issue re-read of the token (it only feeds the
    app_authorized signal, which nothing here listens to), with RFC 6749's client
    authentication rules, and without the device grant (not offered)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        problem = client_auth_problem(request)
        if problem is not None:
            return problem
        grant = request.POST.get("grant_type", "")
        if grant not in ConnectServer.GRANTS:
            return JsonResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Grants: " + ", ".join(ConnectServer.GRANTS) + ".",
                },
                status=400,
            )
        basic = _basic_credentials(request)
        response = None
        if grant == "client_credentials":
            # The busiest request, without oauthlib's generic machinery (None: not the plain,
            # valid case, which the general path below answers, errors included).
            response = client_credentials_token(request, basic)
        if response is None:
            response = with_basic_challenge(super().post(request, *args, **kwargs))
        client_id = basic[0] if basic else request.POST.get("client_id", "")
        metrics.token_answer(client_id=client_id, grant=grant, response=response)
        return response

    @method_decorator(
        sensitive_post_parameters(
            "password", "client_secret", "code", "refresh_token", "code_verifier"
        )
    )
    def authorization_flow_token_response(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


class RevokeTokenView(dot.RevokeTokenView):
    """RFC 7009 revocation, with the same client authentication rules as the token endpoint."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        problem = client_auth_problem(request)
        if problem is not None:
            return problem
        return with_basic_challenge(super().post(request, *args, **kwargs))


# --- Bearer-protected resources -------------------------------------------------------------


def bearer_error(status: int, error: str, description: str, *, scope: str = "") -> JsonResponse:
    """RFC 6750 §3: the WWW-Authenticate challenge, and the same error as JSON (spec §1.0)."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["WWW-Authenticate"] = bearer_challenge(
        error=error, description=description, scope=scope
    )
    response["Cache-Control"] = "no-store"
    return response


def bearer_required(status: int = 401) -> JsonResponse:
    """No credentials at all: a challenge without an error code (RFC 6750 §3.1)."""
    response = JsonResponse({"error_description": "An access token is required."}, status=status)
    response["WWW-Authenticate"] = bearer_challenge()
    response["Cache-Control"] = "no-store"
    return response


def _token_from(request: HttpRequest) -> tuple[str | None, JsonResponse | None]:
    """The bearer token of the header or POST form body, RFC 6750 §2.1-2.2; never the query
    string (§2.3, forbidden by RFC 9700 §4.3.2)."""
    if "access_token" in request.GET:
        return None, bearer_error(
            400, "invalid_request", "Send the access token in the Authorization header."
        )
    token = bearer_from_header(request)
    form_body = request.content_type == "application/x-www-form-urlencoded"
    if token is None and request.method == "POST" and form_body:
        token = request.POST.get("access_token") or None
    return token, None


@csrf_exempt
@hotpath.never_cache
@require_http_methods(["GET", "POST", "PUT"])
def userinfo(request: HttpRequest) -> HttpResponse:
    """OIDC UserInfo (Core §5.3) in one statement; PhenixID-style callers may PUT and pass
    ?tenant (ignored)."""
    raw, error = _token_from(request)
    if error is not None:
        return error
    status = settings.USERINFO_INVALID_TOKEN_STATUS
    if not raw:
        return bearer_required(status)
    found = access_token_with_claims(raw)
    if found is None:
        return bearer_error(status, "invalid_token", "The access token is invalid or expired.")
    token, preferred = found
    scopes = set(token.scope.split())
    if token.user is None or "openid" not in scopes:
        return bearer_error(
            403, "insufficient_scope", "The token lacks the openid scope.", scope="openid"
        )
    return JsonResponse(claims_for(token.user, preferred, scopes, token.claims.split()))


@csrf_exempt
@hotpath.never_cache
@require_http_methods(["GET", "POST"])
def tokeninfo(request: HttpRequest) -> HttpResponse:
    """CONNECT's tokeninfo (spec §A3): clientid, scope, userid, ttl; ID and logout tokens are
    verified and decoded for developers. GET with the token in the query is CONNECT's form;
    POST with a form body keeps the token out of URLs (RFC 9700 §4.3.2) and is preferred."""
    params = request.POST if request.method == "POST" else request.GET
    for name in ("id_token", "logout_token"):
        if name in params:
            claims = _verified_jwt_claims(params[name], check_expiry=name == "logout_token")
            if claims is None:
                return JsonResponse(
                    {"error": "invalid_token", "error_description": "Signature or issuer invalid."},
                    status=400,
                )
            return JsonResponse(claims)
    raw = params.get("access_token") or bearer_from_header(request)
    token = access_token_lookup(raw) if raw else None
    if token is None:
        return JsonResponse(
            {
                "error": "invalid_token",
                "error_description": "The access token is invalid or expired.",
            },
            status=400,
        )
    ttl = int((token.expires - timezone.now()).total_seconds())
    return JsonResponse(
        {
            "clientid": token.application.client_id if token.application else None,
            "scope": token.scope,
            "userid": token.user_id,
            "ttl": max(ttl, 0),
        }
    )


def _verified_jwt_claims(raw: str, *, check_expiry: bool) -> dict[str, Any] | None:
    """Claims of a JWT we signed (any published key), or None."""
    key_set = jwk.JWKSet.from_json(json.dumps(keys.key_set().jwks))
    try:
        token = jwt.JWT(
            jwt=raw,
            key=key_set,
            check_claims=False if not check_expiry else None,
            expected_type="JWS",
        )
        claims = json.loads(token.claims)
    except (JWException, ValueError, KeyError, TypeError):
        return None
    if claims.get("iss") != settings.ISSUER:
        return None
    return claims


# --- Introspection (RFC 7662) ---------------------------------------------------------------


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep:
        return None
    # RFC 6749 §2.3.1: client credentials are form-encoded before Basic encoding.
    return unquote_plus(username), unquote_plus(password)


ANY_CLIENT = 0  # an introspection caller that may see every client's tokens


def _introspection_caller(request: HttpRequest, raw: str) -> tuple[int | None, AccessToken | None]:
    """Who may introspect (RFC 7662 §2.1 requires authorization): a confidential client, which
    sees only its own tokens (its primary key is returned), or an API credential holding
    tokens:introspect, which sees all (ANY_CLIENT). None: not authenticated. Second, the live
    access token for *raw*, or None: for a client, found in the statement that authenticates
    it (both run on every request)."""
    credentials = _basic_credentials(request)
    if credentials is None and request.POST.get("client_id"):
        credentials = (request.POST["client_id"], request.POST.get("client_secret", ""))
    if credentials is None or "\x00" in credentials[0]:
        return None, None
    username, password = credentials
    if username.startswith(API_USERNAME_PREFIX):  # never a client_id (client_create refuses it)
        credential = api_credential_authenticate(username, password)
        if credential is None or not credential.allows("tokens:introspect"):
            return None, None
        return ANY_CLIENT, access_token_lookup(raw) if raw else None
    # Client secrets are unsalted SHA-256 digests of 256 random bits (accounts.hashers): the
    # statement compares digests, as token lookups compare checksums.
    return access_token_for_client(raw, username, secret_digest(password))


@csrf_exempt
@hotpath.never_cache
@require_POST
def introspect(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("token", "")
    caller, access_token = _introspection_caller(request, raw)
    if caller is None:
        response = JsonResponse(
            {"error": "invalid_client", "error_description": "Client authentication failed."},
            status=401,
        )
        response["WWW-Authenticate"] = f'Basic realm="{REALM}"'
        return response
    if not raw:
        return JsonResponse(
            {"error": "invalid_request", "error_description": "The token parameter is required."},
            status=400,
        )
    # RFC 7662 §2.1: the hint only orders the search (the access token is already looked up).
    token: AccessToken | RefreshToken | None
    if request.POST.get("token_type_hint", "") == "refresh_token":
        token = _introspect_refresh(raw) or access_token
    else:
        token = access_token or _introspect_refresh(raw)
    # RFC 7662 §4: a client learns nothing about other clients' tokens.
    if token is None or (caller != ANY_CLIENT and token.application_id != caller):
        return JsonResponse({"active": False})
    return JsonResponse(_introspection(token))


def _introspect_refresh(raw: str) -> RefreshToken | None:
    token = (
        RefreshToken.objects.select_related("application", "access_token")
        .filter(token_checksum=checksum(raw), revoked__isnull=True)
        .first()
    )
    if token is None or _refresh_expiry(token) <= timezone.now():
        return None
    return token


def _refresh_expiry(token: RefreshToken) -> Any:
    # The lifetime slides with the access token, as DOT enforces at refresh time.
    anchor = token.access_token.expires if token.access_token else token.created
    return anchor + dt.timedelta(seconds=oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS)


def _introspection(token: AccessToken | RefreshToken) -> dict[str, Any]:
    """RFC 7662 §2.2 members of an active token."""
    client = token.application
    if isinstance(token, AccessToken):
        exp, scope, kind = token.expires, token.scope, "Bearer"
    else:
        exp = _refresh_expiry(token)
        scope = token.access_token.scope if token.access_token else ""
        kind = "refresh_token"
    return {
        "active": True,
        "scope": scope,
        "client_id": client.client_id if client else None,
        "token_type": kind,
        "sub": token.user_id,
        "iss": settings.ISSUER,
        "iat": int(token.created.timestamp()),
        "exp": int(exp.timestamp()),
        "aud": client.client_id if client else None,
    }


# --- Logout -----------------------------------------------------------------------------------


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def logout_endpoint(request: HttpRequest) -> HttpResponse:
    """GET: RP-Initiated Logout 1.0. POST with a bearer token: CONNECT's native logout (§A7)."""
    if request.method == "POST":
        return _token_logout(request)
    return _browser_logout(request, request.GET, confirmed=False)


def _token_logout(request: HttpRequest) -> HttpResponse:
    raw = bearer_from_header(request)
    if not raw:
        return bearer_required()
    token = access_token_lookup(raw)
    if token is None:
        return bearer_error(401, "invalid_token", "The access token is invalid or expired.")
    session = (
        SignInSession.objects.filter(pk=token.session_id, ended_at__isnull=True).first()
        if token.session_id
        else None
    )
    if session is not None:
        end_session(session, actor=Actor.of_user(session.user))
    else:
        # Not from a browser session (nothing else to end): revoke this token's family.
        RefreshToken.objects.filter(access_token=token, revoked__isnull=True).update(
            revoked=timezone.now()
        )
        token.delete()
    return HttpResponse(status=204)


class _LogoutRequestInvalid(Exception):
    pass


def _logout_target(params: Any) -> tuple[str | None, Client | None, dict[str, Any]]:
    """Validate RP-initiated logout parameters; return the redirect (or None), the client and
    the id_token_hint's claims (empty without one)."""
    client_id = params.get("client_id", "")
    hint = params.get("id_token_hint", "")
    client: Client | None = None
    claims: dict[str, Any] = {}
    if "\x00" in client_id:
        raise _LogoutRequestInvalid("Unknown client_id.")
    if hint:
        verified = _verified_jwt_claims(hint, check_expiry=False)
        if verified is None:
            raise _LogoutRequestInvalid("The id_token_hint was not issued by this server.")
        claims = verified
        audiences = claims.get("aud")
        audiences = audiences if isinstance(audiences, list) else [audiences]
        if client_id and client_id not in audiences:
            raise _LogoutRequestInvalid("client_id does not match the id_token_hint.")
        client_id = client_id or (audiences[0] if audiences else "")
    if client_id:
        client = Client.objects.filter(client_id=client_id).first()
        if client is None:
            raise _LogoutRequestInvalid("Unknown client_id.")
    target = params.get("post_logout_redirect_uri", "")
    if not target:
        return None, client, claims
    # RP-Initiated Logout 1.0 §3: only a URI registered for the client, matched exactly.
    if client is None or target not in client.post_logout_redirect_uris.split():
        raise _LogoutRequestInvalid("post_logout_redirect_uri is not registered for this client.")
    state = params.get("state")
    if state:
        target += ("&" if "?" in target else "?") + urlencode({"state": state})
    return target, client, claims


def _browser_logout(request: HttpRequest, params: Any, *, confirmed: bool) -> HttpResponse:
    try:
        target, client, hint = _logout_target(params)
    except _LogoutRequestInvalid as exc:
        return render(
            request,
            "oidc/error.html",
            {"error": "invalid_request", "description": str(exc)},
            status=400,
        )
    session = current_session(request)
    # RP-Initiated Logout 1.0 §2, §4: skip the question only when the hint was issued to this
    # user in this session; anyone else's ID token proves nothing about this browser.
    hint_ok = (
        session is not None
        and hint.get("sub") == session.user_id
        and hint.get("sid", session.pk) == session.pk
    )
    if session is not None and not (confirmed or hint_ok):
        return render(
            request,
            "oidc/logout_confirm.html",
            {"params": {k: params[k] for k in params}, "client": client},
        )
    sign_out(request)
    if target:
        return HttpResponseRedirect(target, status=303)
    return render(request, "oidc/logged_out.html", {"client": client})


@csrf_protect
@never_cache
@require_POST
def logout_confirm(request: HttpRequest) -> HttpResponse:
    if "cancel" in request.POST:
        return HttpResponseRedirect("/")
    return _browser_logout(request, request.POST, confirmed=True)


# --- Keys and discovery ---------------------------------------------------------------------


@require_GET
def jwks(request: HttpRequest) -> HttpResponse:
    key_set = keys.signing_key_set()  # the key that signs is published, whichever process signs
    body = _jwks_body(key_set.loaded_at, key_set.active_kid)
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "public, max-age=600"
    return response


@functools.lru_cache(maxsize=4)
def _jwks_body(loaded_at: float, kid: str) -> bytes:
    return json.dumps(keys.key_set().jwks).encode()


@functools.lru_cache(maxsize=4)
def discovery_document(base: str, issuer: str) -> bytes:
    """OpenID Provider Metadata (Discovery 1.0 §3), built once per process; every URL absolute."""
    scopes = list(settings.OAUTH2_PROVIDER["SCOPES"])
    document = {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "jwks_uri": f"{base}/oauth/public_keys.jwks",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "end_session_endpoint": f"{base}/oauth/logout",
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [g.value for g in Client.GrantType],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            *CLAIMS_SUPPORTED,
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "sid",
            "at_hash",
        ],
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "acr_values_supported": ["1", "2"],
        "prompt_values_supported": ["none", "login", "consent", "select_account", "no_seam"],
        "ui_locales_supported": settings.UI_LOCALES_SUPPORTED,
        "claim_types_supported": ["normal"],
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
        "authorization_response_iss_parameter_supported": True,
    }
    return json.dumps(document).encode()


@require_GET
def discovery(request: HttpRequest) -> HttpResponse:
    body = discovery_document(settings.SITE_URL, settings.ISSUER)
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "public, max-age=3600"
    return response
