"""The payment API (spec §5.2, §5.3): /transactions and /agreements, also under PAYMENT_BASE_URL.

Views translate: they read the body (payments.api.parsing), call one service per write and render
CONNECT's objects. Authorisation, Idempotency-Key and 405s come from userdata's ApiView; errors are
rendered in CONNECT Payment's error model (payments.api.problems) instead of problem+json.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django.db.models import Q
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from payments import selectors
from payments.api import parsing, problems
from payments.api import serializers as s
from payments.api.auth import (
    AG_READ,
    AG_WRITE,
    TX_READ,
    TX_REFUND,
    TX_WRITE,
    Merchant,
    PaymentRule,
    merchant_of,
    payer_for,
)
from payments.api.representations import agreement_json, transaction_json
from payments.errors import AgreementNotFound, FieldInvalid, TransactionNotFound
from payments.models import Agreement, Transaction
from payments.services import agreement_create, agreement_stop, transaction_create
from payments.services import transaction_refund as refund_service
from userdata.permissions import PUBLIC, AccessProblem, authenticate
from userdata.views import ApiView

# Our ids are `tx_`/`ag_` and hex; anything else (or a NUL, which PostgreSQL refuses) is unknown.
_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")
NAMESPACE = "payment-api"
LIST_LIMIT = 200


class PaymentView(ApiView):
    """Base of the payment API's views: after the access rule, the caller must be a merchant."""

    # For the OpenAPI document (userdata.schema): errors are CONNECT's ErrorModel in JSON.
    error_serializer: ClassVar[type] = s.PaymentErrorOut
    error_media_type: ClassVar[str] = problems.MEDIA_TYPE
    problem_statuses: ClassVar[dict[str, str]] = {
        "400": "Invalid request: `errorCode` says what, `field` where.",
        "401": "No or invalid credentials; see WWW-Authenticate.",
        "403": "Not allowed: scope, operation, no merchant, or another user.",
        "404": "No such transaction or agreement of this merchant.",
        "405": "Method not allowed (see Allow).",
        "406": "Not acceptable.",
        "409": "Conflict: orderId used before, or not in a state that allows this.",
        "415": "Unsupported request media type.",
    }
    extra_problem_statuses: ClassVar[dict[str, str]] = {}

    merchant: Merchant

    def get_exception_handler(self) -> Callable[..., Response | None]:
        return problems.exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = "GET" if request.method == "HEAD" else (request.method or "")
        rule = self.access_rules.get(method)
        try:
            super().initial(request, *args, **kwargs)
        except AccessProblem as problem:
            if not (
                problem.problem_code == "insufficient_scope"
                and isinstance(rule, PaymentRule)
                and rule.also_scope
            ):
                raise
            # A read also accepts its read scope: check the token against that one. ApiView's
            # initial() ended at authentication, so what follows it is done here (reads carry no
            # Idempotency-Key and no {connectId}).
            try:
                self.principal = authenticate(
                    request.META.get("HTTP_AUTHORIZATION", ""),
                    dataclasses.replace(rule, scope=rule.also_scope, also_scope=None),
                )
            except AccessProblem as second:
                if second.problem_code == "insufficient_scope":
                    raise problem from None
                raise
            self.base = f"{request.scheme}://{request.get_host()}"
        if rule is not None and not rule.public:
            self.merchant = merchant_of(self.principal)

    # --- helpers for the handlers ---

    def url(self, name: str, pk: str) -> str:
        """The absolute URL of a resource under the prefix this request came in by."""
        match = getattr(self.request, "resolver_match", None)
        namespace = (match.namespace if match else "") or NAMESPACE
        return f"{self.base}{reverse(f'{namespace}:{name}', args=[pk])}"

    def created(self, data: dict[str, Any], name: str) -> Response:
        headers = {"Location": self.url(name, data["id"]), "ETag": f'"{data["generation"]}"'}
        return Response(data, status=201, headers=headers)

    def payer(self, connect_id: str | None, *, required: bool = False) -> User | None:
        """The payer a body names: a bearer token's own user, or an existing user by id."""
        payer_id = payer_for(self.merchant, connect_id)
        if self.merchant.user is not None:
            return self.merchant.user
        if payer_id is None:
            if required:
                raise FieldInvalid("connectId is required.", field="connectId")
            return None
        user = User.objects.filter(pk=payer_id).first()
        if user is None:
            raise FieldInvalid("connectId names no CONNECT ID user.", field="connectId")
        return user

    def visible(self, user_id: str | None) -> bool:
        """A bearer token sees only its own user's transactions and agreements."""
        return self.merchant.user is None or user_id == self.merchant.user.pk

    def transaction(self, transaction_id: str) -> Transaction:
        tx = None
        if _ID_RE.fullmatch(transaction_id):
            tx = selectors.transaction_of_merchant(
                merchant_id=self.merchant.id, transaction_id=transaction_id
            )
        if tx is None or not self.visible(tx.user_id):
            # Another merchant's transaction is as unknown as one that does not exist.
            raise TransactionNotFound()
        return tx

    def agreement(self, agreement_id: str) -> Agreement:
        agreement = None
        if _ID_RE.fullmatch(agreement_id):
            agreement = selectors.agreement_of_merchant(
                merchant_id=self.merchant.id, agreement_id=agreement_id
            )
        if agreement is None or not self.visible(agreement.user_id):
            raise AgreementNotFound()
        return agreement


def _agreement_refs(txs: Iterable[Transaction]) -> dict[str, tuple[str, str]]:
    """For each transaction that verifies or charges an agreement: (agreement, its first
    transaction). One query for any number of transactions."""
    txs = list(txs)
    ids = [tx.pk for tx in txs]
    agreement_ids = {tx.agreement_id for tx in txs if tx.agreement_id}
    if not ids:
        return {}
    rows = Agreement.objects.filter(
        Q(verification_transaction_id__in=ids) | Q(pk__in=agreement_ids)
    ).values_list("id", "verification_transaction_id")
    by_agreement = dict(rows)
    out: dict[str, tuple[str, str]] = {}
    for agreement_id, first_id in by_agreement.items():
        out[first_id] = (agreement_id, first_id)
    for tx in txs:
        if tx.agreement_id and tx.agreement_id in by_agreement:
            out[tx.pk] = (tx.agreement_id, by_agreement[tx.agreement_id])
    return out


def _render(txs: list[Transaction]) -> list[dict[str, Any]]:
    refs = _agreement_refs(txs)
    out = []
    for tx in txs:
        agreement_id, first_id = refs.get(tx.pk, (None, None))
        out.append(
            transaction_json(
                tx,
                agreement_id=agreement_id,
                verification_id=first_id if first_id != tx.pk else None,
            )
        )
    return out


ERROR = OpenApiResponse(s.PaymentErrorOut)
TRANSACTION_ID = OpenApiParameter("transactionId", str, OpenApiParameter.PATH)
AGREEMENT_ID = OpenApiParameter("agreementId", str, OpenApiParameter.PATH)


# --- Transactions ----------------------------------------------------------------------------


class TransactionsView(PaymentView):
    access_rules = {"GET": TX_READ, "POST": TX_WRITE}

    @extend_schema(
        operation_id="transactions_by_order",
        tags=["transactions"],
        parameters=[
            OpenApiParameter("orderId", str, required=True, description="The merchant's orderId.")
        ],
        responses=s.TransactionOut(many=True),
        summary="The merchant's transactions of an order: its purchase, refunds and charges.",
    )
    def get(self, request: Request) -> Response:
        order_id = request.query_params.get("orderId", "")
        if not order_id or len(order_id) > parsing.ORDER_ID_MAX or "\x00" in order_id:
            raise FieldInvalid("orderId is required (at most 100 characters).", field="orderId")
        txs = selectors.transactions_of_merchant_by_order(
            merchant_id=self.merchant.id, order_id=order_id
        )
        return Response(_render([tx for tx in txs if self.visible(tx.user_id)][:LIST_LIMIT]))

    @extend_schema(
        operation_id="transactions_create",
        tags=["transactions"],
        request=s.TransactionIn,
        responses={201: s.TransactionOut},
        summary="Prepare a transaction; send the payer to its PAYMENT link.",
    )
    def post(self, request: Request) -> Response:
        """spec §5.2: 201 with Location; the `links` entry `PAYMENT` is the payment page."""
        parsed = parsing.new_transaction(request.data)
        user = self.payer(parsed.connect_id)
        tx = transaction_create(
            merchant_id=self.merchant.id,
            merchant_name=parsed.new.merchant_name or self.merchant.name(),
            new=parsed.new,
            user=user,
            actor=self.principal.actor,
        )
        return self.created(transaction_json(tx), "transaction")


class TransactionView(PaymentView):
    access_rules = {"GET": TX_READ}

    @extend_schema(
        operation_id="transactions_get",
        tags=["transactions"],
        parameters=[TRANSACTION_ID],
        responses=s.TransactionOut,
        summary="A transaction and its state: verify it before showing a receipt.",
    )
    def get(self, request: Request, transactionId: str) -> Response:
        data = _render([self.transaction(transactionId)])[0]
        return Response(data, headers={"ETag": f'"{data["generation"]}"'})


class RefundsView(PaymentView):
    access_rules = {"POST": TX_REFUND}
    extra_problem_statuses = {
        "503": "The payment provider cannot be reached; nothing was refunded, try again.",
    }

    @extend_schema(
        operation_id="transactions_refund",
        tags=["transactions"],
        parameters=[TRANSACTION_ID],
        request=s.RefundIn,
        responses={201: s.TransactionOut},
        summary="Refund a completed transaction, in full or in part (never more than paid).",
    )
    def post(self, request: Request, transactionId: str) -> Response:
        """The answer is the REFUND transaction; the purchase becomes REFUNDED when nothing is
        left to give back (and the rights its SKUs granted end)."""
        parsed = parsing.refund(request.data)
        tx = self.transaction(transactionId)
        refund = refund_service(
            transaction_id=tx.pk,
            merchant_id=self.merchant.id,
            actor=self.principal.actor,
            amount=parsed.amount,
            issuer=parsed.issuer,
            reason=parsed.reason,
        )
        return self.created(transaction_json(refund), "transaction")


# --- Agreements ------------------------------------------------------------------------------


class AgreementsView(PaymentView):
    access_rules = {"GET": AG_READ, "POST": AG_WRITE}

    @extend_schema(
        operation_id="agreements_list",
        tags=["agreements"],
        parameters=[
            OpenApiParameter("connectID", str, description="The user (alias: connectId)."),
            OpenApiParameter("state", str, enum=list(Agreement.State.values)),
        ],
        responses=s.AgreementOut(many=True),
        summary="The merchant's agreements, for a user and in a state when given.",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        raw = params.get("connectID") or params.get("connectId") or None
        connect_id = None if raw is None else parsing.user_id(raw, "connectID")
        user_id = payer_for(self.merchant, connect_id)
        agreements = selectors.agreements_of_merchant(
            merchant_id=self.merchant.id,
            user_id=user_id,
            state=parsing.agreement_state(params.get("state")),
        )[:LIST_LIMIT]
        return Response([agreement_json(a) for a in agreements])

    @extend_schema(
        operation_id="agreements_create",
        tags=["agreements"],
        request=s.AgreementIn,
        responses={201: s.AgreementOut},
        summary="Prepare a charging agreement; its first payment is made on the PAYMENT link.",
    )
    def post(self, request: Request) -> Response:
        """spec §5.3: 201 with Location; paying the verification transaction activates it."""
        parsed = parsing.new_agreement(request.data)
        user = self.payer(parsed.connect_id, required=True)
        assert user is not None
        agreement = agreement_create(
            merchant_id=self.merchant.id,
            merchant_name=parsed.new.merchant_name or self.merchant.name(),
            user=user,
            new=parsed.new,
            actor=self.principal.actor,
        )
        return self.created(agreement_json(agreement), "agreement")


class AgreementView(PaymentView):
    access_rules = {"GET": AG_READ}

    @extend_schema(
        operation_id="agreements_get",
        tags=["agreements"],
        parameters=[AGREEMENT_ID],
        responses=s.AgreementOut,
        summary="An agreement and its state.",
    )
    def get(self, request: Request, agreementId: str) -> Response:
        data = agreement_json(self.agreement(agreementId))
        return Response(data, headers={"ETag": f'"{data["generation"]}"'})


class AgreementStopView(PaymentView):
    # spec §5.3 documents GET (sic) for stopping; POST is accepted too.
    access_rules = {"GET": AG_WRITE, "POST": AG_WRITE}

    @extend_schema(
        operation_id="agreements_stop",
        tags=["agreements"],
        parameters=[AGREEMENT_ID],
        request=None,
        responses=s.AgreementOut,
        summary="Stop an agreement: no more charges; the paid period is kept.",
    )
    def post(self, request: Request, agreementId: str) -> Response:
        agreement = self.agreement(agreementId)
        agreement_stop(
            agreement_id=agreement.pk,
            actor=self.principal.actor,
            merchant_id=self.merchant.id,
            user=self.merchant.user,
        )
        return Response(agreement_json(self.agreement(agreementId)))

    @extend_schema(
        operation_id="agreements_stop_get",
        tags=["agreements"],
        parameters=[AGREEMENT_ID],
        responses=s.AgreementOut,
        summary="Stop an agreement (CONNECT's documented GET form of the POST).",
    )
    def get(self, request: Request, agreementId: str) -> Response:
        return self.post(request, agreementId)


class UnknownPaymentPathView(PaymentView):
    """Any other path under /transactions/ or /agreements/: a 404 in CONNECT's error model."""

    access_rules = dict.fromkeys(("GET", "POST", "PUT", "PATCH", "DELETE"), PUBLIC)
    in_schema = False

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotFound("No such endpoint.")

    post = put = patch = delete = get
