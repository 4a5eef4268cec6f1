"""The /id/ REST API (spec §1.2): users, their mails, phones and business-unit accounts.

Views translate: they check the shape of the input, call one service per write (one
transaction, one audit row) and render CONNECT's objects. Who may call what is declared per
view and method in `access_rules` (userdata.permissions); a method without a rule is refused.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.exceptions import MethodNotAllowed, NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from accounts import idempotency, selectors, services
from accounts.errors import AccountLinkNotFound, MailNotFound, PhoneNotFound, UserNotFound
from accounts.models import AccountLink, Email, Phone, User
from connect_id.errors import DomainError
from userdata import serializers as s
from userdata.permissions import (
    PUBLIC,
    AccessRule,
    Principal,
    authenticate,
    basic_only,
    bearer_or_basic,
    forbidden,
    subject_user_id,
)
from userdata.representations import account_json, mail_json, phone_json, user_json

RESOURCE_ID_RE = re.compile(r"[0-9a-f]{16}")
NO_BODY = {204: None}


class LookupParameterRequired(DomainError):
    code = "lookup_parameter_required"
    message = "Look a user up with ?username=… or ?type=phone&phone=…."


def _if_match(value: str | None) -> tuple[str, ...] | None:
    """The entity tags of an If-Match header (RFC 9110 §13.1.1): "*", or the opaque parts of the
    strong tags; weak or malformed tags are dropped, as they can never match strongly."""
    if value is None:
        return None
    if value.strip() == "*":
        return ("*",)
    tags = []
    for part in value.split(","):
        part = part.strip()
        if len(part) >= 2 and part[0] == '"' and part[-1] == '"':
            tags.append(part[1:-1])
    return tuple(tags)


class _Replay(Exception):
    """The stored answer to a retried POST, raised from initial() to skip the handler."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


class ApiView(APIView):
    """Base of every /id/ view: authorises from `access_rules` before the handler runs."""

    access_rules: ClassVar[dict[str, AccessRule]] = {}
    # Authorisation is done in initial() from access_rules; DRF's classes are not used.
    authentication_classes: ClassVar[list[Any]] = []
    permission_classes: ClassVar[list[Any]] = []
    # Domain errors name service fields; some endpoints call them differently.
    error_field_aliases: ClassVar[dict[str, str]] = {}

    principal: Principal
    subject_id: str
    base: str
    _idempotency_key: str | None = None
    _claim: idempotency.Claim | None = None

    @property
    def allowed_methods(self) -> list[str]:
        methods = list(self.access_rules)
        return [*methods, "HEAD"] if "GET" in methods else methods

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Most machine clients send no Accept (or */*): DRF would then parse the header and rank
        # every renderer to pick the first one; pick it at once (about 8 % of a GET's CPU).
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        if accept == "*/*" and "format" not in request.query_params:
            renderer = self.get_renderers()[0]
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        method = "GET" if request.method == "HEAD" else (request.method or "")
        rule = self.access_rules.get(method)
        if rule is None:
            if method == "OPTIONS" or not hasattr(self, method.lower()):
                raise MethodNotAllowed(method)
            # Fail closed: a handler nobody declared a rule for is never reachable.
            raise forbidden("no_access_rule", "This endpoint declares no access rule.")
        self.principal = authenticate(request.META.get("HTTP_AUTHORIZATION", ""), rule)
        if "connectId" in kwargs:
            self.subject_id = subject_user_id(self.principal, kwargs["connectId"])
        self.base = f"{request.scheme}://{request.get_host()}"
        if self._idempotency_key is not None:
            self._claim_idempotency_key(request, self._idempotency_key)

    # --- Idempotency-Key on POST (accounts.idempotency) ---

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        header = request.META.get("HTTP_IDEMPOTENCY_KEY")
        if request.method != "POST" or header is None:
            return super().dispatch(request, *args, **kwargs)
        self._idempotency_key = header
        # Claim, handle and store in one transaction: a concurrent retry waits for this one.
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if self._claim is not None:
                if response.status_code >= 500:
                    transaction.set_rollback(True)  # nothing stored: a retry runs afresh
                else:
                    if isinstance(response, Response):
                        response.render()
                    assert isinstance(response, HttpResponse)
                    idempotency.complete(self._claim, response)
        return response

    def _claim_idempotency_key(self, request: Request, header: str) -> None:
        key = idempotency.parse_key(header)
        actor = self.principal.actor
        owner = f"{actor.label}:{actor.client_id}" if actor.client_id else actor.label
        # The raw body, read before DRF parses it (Django keeps it for the parser).
        digest = idempotency.fingerprint("POST", request.get_full_path(), request._request.body)
        claimed = idempotency.claim(owner=owner, key=key, fingerprint=digest)
        if isinstance(claimed, HttpResponse):
            raise _Replay(claimed)
        self._claim = claimed

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            return exc.response  # type: ignore[return-value]  # finalize_response takes any
        return super().handle_exception(exc)

    # --- helpers for the handlers ---

    def body(self, serializer_class: type[Serializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def precondition(self, generation: str | None = None) -> services.Precondition:
        return services.Precondition(
            if_match=_if_match(self.request.META.get("HTTP_IF_MATCH")), generation=generation
        )

    def entity(self, data: dict[str, Any], *, status: int = 200, created: bool = False) -> Response:
        headers = {"ETag": f'"{data["generation"]}"'}
        if created:
            status, headers["Location"] = 201, data["href"]
        return Response(data, status=status, headers=headers)

    def require_subject(self) -> None:
        """404 unless the user in the path exists (a bearer token's user does)."""
        if self.principal.user is None and not User.objects.filter(pk=self.subject_id).exists():
            raise UserNotFound()

    def subject_row(self) -> User:
        user = User.objects.filter(pk=self.subject_id).first()
        if user is None:
            raise UserNotFound()
        return user

    def subject_json(self) -> dict[str, Any]:
        user = selectors.user_with_username(self.subject_id)
        if user is None:
            raise UserNotFound()
        return user_json(user, self.base)

    def owned(self, model: type[Any], not_found: type[DomainError], pk: str) -> Any:
        if not RESOURCE_ID_RE.fullmatch(pk):
            raise not_found()
        obj = model.objects.filter(pk=pk, user_id=self.subject_id).first()
        if obj is None:
            raise not_found()
        return obj


# --- Users -----------------------------------------------------------------------------------

LOOKUP_PARAMETERS = [
    OpenApiParameter("username", str, description="A verified email address or phone number."),
    OpenApiParameter("type", str, enum=["phone"], description="With `phone`: look up by phone."),
    OpenApiParameter("phone", str, description="E.164 digits without +, with `type=phone`."),
]


class UsersView(ApiView):
    access_rules = {"GET": basic_only("users:read"), "POST": basic_only("users:write")}
    error_field_aliases = {"address": "username", "number": "username"}

    @extend_schema(
        operation_id="users_lookup",
        tags=["users"],
        parameters=LOOKUP_PARAMETERS,
        responses=s.UserOut,
        summary="Look a user up by verified username (email or phone), or by phone.",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        if "username" in params:
            found = selectors.user_find_by_login(params["username"])
        elif params.get("type") == "phone" and "phone" in params:
            phone = params["phone"]
            found = None if "@" in phone else selectors.user_find_by_login(phone)
        else:
            raise LookupParameterRequired()
        if found is None:
            raise UserNotFound()
        self.subject_id = found.pk
        return self.entity(self.subject_json())

    @extend_schema(
        operation_id="users_create",
        tags=["users"],
        request=s.UserCreateIn,
        responses={201: s.UserOut},
        summary="Create a user with an email address or phone number as username.",
    )
    def post(self, request: Request) -> Response:
        data = self.body(s.UserCreateIn)
        user = services.user_register(
            actor=self.principal.actor,
            username=data["username"],
            verified=data["username_verified"],
            password=data.get("password") or None,
            realname=data.get("realname") or "",
            birthdate=data.get("birthdate"),
            attributes=data.get("attributes"),
        )
        self.subject_id = user.pk
        return self.entity(self.subject_json(), created=True)


class UserView(ApiView):
    access_rules = {
        "GET": bearer_or_basic("id.user.read", "users:read"),
        "PUT": bearer_or_basic("id.user.write", "users:write", confidential_only=True),
        "DELETE": basic_only("users:write"),
    }

    @extend_schema(operation_id="users_get", tags=["users"], responses=s.UserOut)
    def get(self, request: Request, connectId: str) -> Response:
        return self.entity(self.subject_json())

    @extend_schema(
        operation_id="users_update",
        tags=["users"],
        request=s.UserUpdateIn,
        responses=s.UserOut,
        summary="Update basic user information (fields sent are changed); honours If-Match.",
    )
    def put(self, request: Request, connectId: str) -> Response:
        data = self.body(s.UserUpdateIn)
        changes: dict[str, Any] = {}
        if "realname" in data:
            changes["realname"] = data["realname"] or ""
        if "birthdate" in data:
            changes["birthdate"] = data["birthdate"]
        if "attributes" in data:
            changes["attributes"] = data["attributes"]
        services.user_update_guarded(
            user_id=self.subject_id,
            actor=self.principal.actor,
            precondition=self.precondition(data.get("generation")),
            **changes,
        )
        return self.entity(self.subject_json())

    @extend_schema(operation_id="users_delete", tags=["users"], responses=NO_BODY)
    def delete(self, request: Request, connectId: str) -> Response:
        services.user_delete_guarded(
            user_id=self.subject_id, actor=self.principal.actor, precondition=self.precondition()
        )
        return Response(status=204)


# --- Mails -----------------------------------------------------------------------------------


class MailsView(ApiView):
    access_rules = {
        "GET": bearer_or_basic("id.user.email.read", "mails:read"),
        "POST": basic_only("mails:write"),
    }

    @extend_schema(operation_id="mails_list", tags=["mails"], responses=s.MailListOut)
    def get(self, request: Request, connectId: str) -> Response:
        mails = selectors.emails_of(self.subject_id)
        if not mails:  # an unknown user is a 404; asked only then, saving a query per read
            self.require_subject()
        return Response({"mail": [mail_json(m, self.base) for m in mails]})

    @extend_schema(
        operation_id="mails_add",
        tags=["mails"],
        request=s.MailIn,
        responses={201: s.MailOut},
        summary="Add an email address; no verification mail is sent (spec §1.2).",
    )
    def post(self, request: Request, connectId: str) -> Response:
        data = self.body(s.MailIn)
        mail = services.email_add_exclusive(
            user=self.subject_row(),
            address=data["address"],
            actor=self.principal.actor,
            verified=data["verified"],
            priority=data.get("priority"),
        )
        return self.entity(mail_json(mail, self.base), created=True)


class MailView(ApiView):
    access_rules = {
        "GET": bearer_or_basic("id.user.email.read", "mails:read"),
        "DELETE": basic_only("mails:write"),
    }

    @extend_schema(operation_id="mails_get", tags=["mails"], responses=s.MailOut)
    def get(self, request: Request, connectId: str, mailId: str) -> Response:
        return self.entity(mail_json(self.owned(Email, MailNotFound, mailId), self.base))

    @extend_schema(operation_id="mails_delete", tags=["mails"], responses=NO_BODY)
    def delete(self, request: Request, connectId: str, mailId: str) -> Response:
        services.contact_delete_guarded(
            contact=self.owned(Email, MailNotFound, mailId),
            actor=self.principal.actor,
            precondition=self.precondition(),
        )
        return Response(status=204)


class MailSendVerificationView(ApiView):
    access_rules = {"POST": basic_only("mails:write")}

    @extend_schema(
        operation_id="mails_send_verification",
        tags=["mails"],
        request=None,
        responses=NO_BODY,
        summary="Mail a verification link to this address (sent after commit).",
    )
    def post(self, request: Request, connectId: str, mailId: str) -> Response:
        services.email_send_verification(
            email=self.owned(Email, MailNotFound, mailId), actor=self.principal.actor
        )
        return Response(status=204)


class MailMakePrimaryView(ApiView):
    access_rules = {"POST": basic_only("mails:write")}

    @extend_schema(
        operation_id="mails_make_primary",
        tags=["mails"],
        request=None,
        responses=s.MailOut,
        summary="Make this verified address the preferred one.",
    )
    def post(self, request: Request, connectId: str, mailId: str) -> Response:
        mail = services.contact_make_preferred(
            contact=self.owned(Email, MailNotFound, mailId), actor=self.principal.actor
        )
        return self.entity(mail_json(mail, self.base))  # type: ignore[arg-type]


# --- Phones ----------------------------------------------------------------------------------


class PhonesView(ApiView):
    access_rules = {
        "GET": bearer_or_basic("id.user.phone.read", "phones:read"),
        "POST": basic_only("phones:write"),
    }

    @extend_schema(operation_id="phones_list", tags=["phones"], responses=s.PhoneListOut)
    def get(self, request: Request, connectId: str) -> Response:
        phones = selectors.phones_of(self.subject_id)
        if not phones:  # as for mails
            self.require_subject()
        return Response({"phone": [phone_json(p, self.base) for p in phones]})

    @extend_schema(
        operation_id="phones_add",
        tags=["phones"],
        request=s.PhoneIn,
        responses={201: s.PhoneOut},
        summary="Add a phone number; unverified unless `verified` is true.",
    )
    def post(self, request: Request, connectId: str) -> Response:
        data = self.body(s.PhoneIn)
        phone = services.phone_add_exclusive(
            user=self.subject_row(),
            number=data["number"],
            actor=self.principal.actor,
            verified=data["verified"],
            priority=data.get("priority"),
            type=data["type"],
        )
        return self.entity(phone_json(phone, self.base), created=True)


class PhoneView(ApiView):
    access_rules = {
        "GET": bearer_or_basic("id.user.phone.read", "phones:read"),
        "DELETE": basic_only("phones:write"),
    }

    @extend_schema(operation_id="phones_get", tags=["phones"], responses=s.PhoneOut)
    def get(self, request: Request, connectId: str, phoneId: str) -> Response:
        return self.entity(phone_json(self.owned(Phone, PhoneNotFound, phoneId), self.base))

    @extend_schema(operation_id="phones_delete", tags=["phones"], responses=NO_BODY)
    def delete(self, request: Request, connectId: str, phoneId: str) -> Response:
        services.contact_delete_guarded(
            contact=self.owned(Phone, PhoneNotFound, phoneId),
            actor=self.principal.actor,
            precondition=self.precondition(),
        )
        return Response(status=204)


class PhoneSendVerificationView(ApiView):
    access_rules = {"POST": basic_only("phones:write")}
    extra_problem_statuses = {"429": "Too many PINs texted to this number within the hour."}

    @extend_schema(
        operation_id="phones_send_verification",
        tags=["phones"],
        request=None,
        responses=NO_BODY,
        summary="Text a verification PIN to this number (sent after commit).",
    )
    def post(self, request: Request, connectId: str, phoneId: str) -> Response:
        services.phone_send_verification(
            phone=self.owned(Phone, PhoneNotFound, phoneId), actor=self.principal.actor
        )
        return Response(status=204)


class PhoneVerifyView(ApiView):
    access_rules = {"POST": basic_only("phones:write")}

    @extend_schema(
        operation_id="phones_verify",
        tags=["phones"],
        request=s.PhoneVerifyIn,
        responses=s.PhoneOut,
        summary="Verify this number with the PIN texted to it.",
    )
    def post(self, request: Request, connectId: str, phoneId: str) -> Response:
        phone = self.owned(Phone, PhoneNotFound, phoneId)
        data = self.body(s.PhoneVerifyIn)
        phone = services.phone_verify_pin(
            phone=phone, code=data["verificationCode"], actor=self.principal.actor
        )
        return self.entity(phone_json(phone, self.base))


class PhoneMakePrimaryView(ApiView):
    access_rules = {"POST": basic_only("phones:write")}

    @extend_schema(
        operation_id="phones_make_primary",
        tags=["phones"],
        request=None,
        responses=s.PhoneOut,
        summary="Make this verified number the preferred one.",
    )
    def post(self, request: Request, connectId: str, phoneId: str) -> Response:
        phone = services.contact_make_preferred(
            contact=self.owned(Phone, PhoneNotFound, phoneId), actor=self.principal.actor
        )
        return self.entity(phone_json(phone, self.base))  # type: ignore[arg-type]


# --- Accounts (business-unit links) ----------------------------------------------------------


class AccountsView(ApiView):
    access_rules = {
        "GET": bearer_or_basic("id.user.account.read", "accounts:read"),
        "POST": basic_only("accounts:write"),
    }
    error_field_aliases = {"number": "msisdn"}

    @extend_schema(operation_id="accounts_list", tags=["accounts"], responses=s.AccountListOut)
    def get(self, request: Request, connectId: str) -> Response:
        self.require_subject()
        links = AccountLink.objects.filter(user_id=self.subject_id)
        return Response({"account": [account_json(a, self.base) for a in links]})

    @extend_schema(
        operation_id="accounts_add",
        tags=["accounts"],
        request=s.AccountIn,
        responses={201: s.AccountOut},
        summary="Hard-link a third party's customer to this user.",
    )
    def post(self, request: Request, connectId: str) -> Response:
        data = self.body(s.AccountIn)
        link = services.account_link_add(
            user=self.subject_row(),
            type=data["type"],
            external_user_id=data["userid"],
            msisdn=data.get("msisdn") or "",
            actor=self.principal.actor,
        )
        return self.entity(account_json(link, self.base), created=True)


class AccountView(ApiView):
    access_rules = {
        "GET": bearer_or_basic("id.user.account.read", "accounts:read"),
        "DELETE": basic_only("accounts:write"),
    }

    @extend_schema(operation_id="accounts_get", tags=["accounts"], responses=s.AccountOut)
    def get(self, request: Request, connectId: str, accountId: str) -> Response:
        link = self.owned(AccountLink, AccountLinkNotFound, accountId)
        return self.entity(account_json(link, self.base))

    @extend_schema(operation_id="accounts_delete", tags=["accounts"], responses=NO_BODY)
    def delete(self, request: Request, connectId: str, accountId: str) -> Response:
        services.account_link_delete_guarded(
            link=self.owned(AccountLink, AccountLinkNotFound, accountId),
            actor=self.principal.actor,
            precondition=self.precondition(),
        )
        return Response(status=204)


# --- Schema, documentation, and problem+json 404s for the rest of /id/ -----------------------


class SchemaView(ApiView, SpectacularAPIView):
    """The OpenAPI 3.1 schema (the committed userdata/openapi.yaml must equal it)."""

    access_rules = {"GET": PUBLIC}
    in_schema = False


class DocsView(ApiView, SpectacularRedocView):
    access_rules = {"GET": PUBLIC}
    url_name = "userdata:schema"
    in_schema = False


class UnknownPathView(ApiView):
    """Any other path under /id/: a problem+json 404 rather than an HTML page."""

    access_rules = dict.fromkeys(("GET", "POST", "PUT", "PATCH", "DELETE"), PUBLIC)
    in_schema = False

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotFound("No such endpoint.")

    post = put = patch = delete = get
