"""POST/GET /transactions and refunds over HTTP (spec §5.2): merchants by API credential or a
user's bearer token, CONNECT's error model, idempotent retries, the /payment prefix."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Client
from payments.api.views import PaymentView
from payments.models import Transaction
from payments.services import PayChoice, transaction_pay
from rights.models import Right
from tests.factories import TEST_ACTOR, ClientFactory
from tests.payments.conftest import GOOD_CARD, MERCHANT, OTHER_MERCHANT

pytestmark = pytest.mark.django_db


# spec §5.2 "Transaction response", the swagger's full field set.
TRANSACTION_FIELDS = [
    "id",
    "generation",
    "state",
    "orderId",
    "purchaseDescription",
    "amount",
    "vatRate",
    "vatAmount",
    "successRedirect",
    "cancelRedirect",
    "merchantName",
    "connectId",
    "creationTime",
    "startTime",
    "completedTime",
    "links",
    "chargingAgreementId",
    "verificationTransactionId",
    "previousTransactionId",
    "chargedPaymentMethod",
    "paymentInstrument",
    "sourceOfFundsId",
    "sourceOfFundsCode",
    "returnCode",
    "type",
    "vatModel",
    "attributes",
    "refundForTransactionId",
    "refundIssuer",
    "refundReason",
    "markedAsFraud",
    "markedAsFraudTime",
    "chargeToken",
    "clientCorrelator",
    "products",
]


def payment_link(tx_id: str) -> str:
    return f"{settings.SITE_URL}/gui/payment/{tx_id}"


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "orderId": "order-1",
        "purchaseDescription": "A month of news",
        "amount": "NOK 100.00",
        "vatRate": "0.25",
        "successRedirect": "https://shop.example/ok",
        "cancelRedirect": "https://shop.example/cancel",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post(http, path: str, data: Any, **headers: str):
    return http.post(path, json.dumps(data), content_type="application/json", **headers)


def create(http, prefix: str = "", **changes: Any) -> dict[str, Any]:
    response = post(http, f"{prefix}/transactions", body(**changes))
    assert response.status_code == 201, response.content
    return response.json()


def pay(tx_id: str, user) -> None:
    outcome = transaction_pay(
        transaction_id=tx_id,
        user=user,
        choice=PayChoice(kind="CARD", card=GOOD_CARD),
        actor=TEST_ACTOR,
    )
    assert outcome.paid


def payment_client(scopes: str, *, client_type: str = Client.CLIENT_CONFIDENTIAL) -> Client:
    return ClientFactory(allowed_scopes=scopes.split(), client_type=client_type)


def assert_error(response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["errorNamespace"] == "payment"
    assert data["errorCode"] == code
    assert data["errorMessage"]
    if field is not None:
        assert data["field"] == field
    return data


# --- create and read --------------------------------------------------------------------------


def test_a_merchant_creates_a_transaction_with_location_and_payment_link(merchant_client):
    response = post(merchant_client(), "/transactions", body())
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert response["Location"] == f"http://testserver/transactions/{data['id']}"
    assert data["links"] == [{"rel": "PAYMENT", "href": payment_link(data["id"])}]
    assert data["state"] == "STARTED"
    assert data["amount"] == "NOK 100.00"
    assert data["vatRate"] == "0.25"
    assert data["vatAmount"] == "NOK 20.00"
    assert data["type"] == "PURCHASE"
    assert data["markedAsFraud"] is False
    assert data["connectId"] is None
    assert data["generation"] == "1"
    assert data["creationTime"].endswith("Z")
    stored = Transaction.objects.get(pk=data["id"])
    assert (stored.merchant_id, stored.order_id, stored.amount_minor) == (
        MERCHANT,
        "order-1",
        10000,
    )


def test_the_transaction_carries_connects_full_field_set(merchant_client):
    data = create(merchant_client())
    assert not set(TRANSACTION_FIELDS) - set(data)


def test_a_merchant_reads_its_transaction(merchant_client):
    http = merchant_client()
    created = create(http)
    response = http.get(f"/transactions/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert response["ETag"] == '"1"'


def test_reading_a_transaction_takes_a_bounded_number_of_queries(
    merchant_client, django_assert_max_num_queries
):
    http = merchant_client()
    created = create(http)
    http.get(f"/transactions/{created['id']}")  # the credential's last use is recorded once
    with django_assert_max_num_queries(3):
        assert http.get(f"/transactions/{created['id']}").status_code == 200


def test_products_with_a_sku_and_optional_fields_are_kept(merchant_client, alice):
    products = [
        {"productId": "p1", "name": "News", "price": "NOK 60.00", "vatRate": "0.25"},
        {
            "productId": "p2",
            "name": "Sports",
            "price": "NOK 40.00",
            "vatRate": "0.25",
            "sku": "SPORTS",
            "timeSpec": "P30D",
        },
    ]
    data = create(
        merchant_client(),
        products=products,
        connectId=alice.pk,
        merchantName="News Ltd",
        clientCorrelator="corr-7",
        allowedPaymentMethods=["CARD"],
        attributes={"campaign": "spring"},
    )
    assert data["products"] == products
    assert (data["connectId"], data["merchantName"]) == (alice.pk, "News Ltd")
    assert data["clientCorrelator"] == "corr-7"
    assert data["attributes"] == {"campaign": "spring"}
    assert Transaction.objects.get(pk=data["id"]).allowed_methods == ["CARD"]


def test_vat_percentage_is_an_alias_of_vat_rate(merchant_client):
    data = create(merchant_client(), vatRate=None, vatPercentage="0.12")
    assert data["vatRate"] == "0.12"


def test_the_merchants_transactions_of_an_order_are_listed(merchant_client, alice):
    http = merchant_client()
    created = create(http, connectId=alice.pk)
    create(http, orderId="order-2")
    create(merchant_client(OTHER_MERCHANT), orderId="order-1")
    pay(created["id"], alice)
    refund = post(
        http,
        f"/transactions/{created['id']}/refunds",
        {"refundIssuer": "support", "refundReason": "late", "amount": "NOK 10.00"},
    ).json()
    response = http.get("/transactions", {"orderId": "order-1"})
    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [created["id"], refund["id"]]
    assert http.get("/transactions", {"orderId": "nothing"}).json() == []


def test_listing_without_an_order_id_is_refused(merchant_client):
    assert_error(merchant_client().get("/transactions"), 400, "field_invalid", "orderId")


def test_the_api_answers_under_the_payment_prefix_too(merchant_client):
    http = merchant_client()
    response = post(http, "/payment/transactions", body())
    assert response.status_code == 201
    tx_id = response.json()["id"]
    assert response["Location"] == f"http://testserver/payment/transactions/{tx_id}"
    assert http.get(f"/payment/transactions/{tx_id}").json()["id"] == tx_id
    assert http.get(f"/transactions/{tx_id}").status_code == 200


# --- merchants see only their own -------------------------------------------------------------


def test_a_merchant_cannot_read_another_merchants_transaction(merchant_client):
    theirs = create(merchant_client(OTHER_MERCHANT))
    response = merchant_client().get(f"/transactions/{theirs['id']}")
    assert_error(response, 404, "transaction_not_found")
    unknown = merchant_client().get("/transactions/tx_0000")
    assert unknown.json()["errorCode"] == "transaction_not_found"


def test_a_merchant_cannot_refund_another_merchants_transaction(merchant_client, alice):
    theirs = create(merchant_client(OTHER_MERCHANT), connectId=alice.pk)
    pay(theirs["id"], alice)
    response = post(
        merchant_client(),
        f"/transactions/{theirs['id']}/refunds",
        {"refundIssuer": "me", "refundReason": "why not"},
    )
    assert_error(response, 404, "transaction_not_found")
    assert Transaction.objects.get(pk=theirs["id"]).refunded_minor == 0


def test_another_merchants_orders_are_not_listed(merchant_client):
    create(merchant_client(OTHER_MERCHANT))
    assert merchant_client().get("/transactions", {"orderId": "order-1"}).json() == []


def test_an_order_id_is_used_once_per_merchant(merchant_client):
    http = merchant_client()
    create(http)
    assert_error(post(http, "/transactions", body()), 409, "order_id_taken", "orderId")
    create(merchant_client(OTHER_MERCHANT))  # another merchant's order of the same id


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"amount": "NOK 100.001"}, "amount_invalid", "amount"),
        ({"amount": "XXX 100.00"}, "amount_invalid", "amount"),
        ({"amount": "NOK -5.00"}, "amount_invalid", "amount"),
        ({"amount": "NOK 0"}, "amount_invalid", "amount"),
        ({"amount": 100}, "amount_invalid", "amount"),
        ({"vatRate": "1.5"}, "vat_rate_invalid", "vatRate"),
        ({"vatRate": True}, "vat_rate_invalid", "vatRate"),
        ({"vatRate": None}, "field_invalid", "vatRate"),
        (
            {
                "products": [
                    {"productId": "p", "name": "n", "price": "NOK 90.00", "vatRate": "0.25"}
                ]
            },
            "products_invalid",
            "products",
        ),
        (
            {
                "products": [
                    {"productId": "p", "name": "n", "price": "NOK 100.00", "vatRate": "0.15"}
                ]
            },
            "products_invalid",
            "products",
        ),
        (
            {
                "products": [
                    {"productId": "p", "name": "n", "price": "SEK 100.00", "vatRate": "0.25"}
                ]
            },
            "currency_mismatch",
            None,
        ),
        (
            {
                "products": [
                    {
                        "productId": "p",
                        "name": "n",
                        "price": "NOK 100.00",
                        "vatRate": "0.25",
                        "sku": "S",
                    }
                ]
            },
            "field_invalid",
            "products[0].timeSpec",
        ),
        ({"products": "all"}, "field_invalid", "products"),
        ({"products": [3]}, "field_invalid", "products[0]"),
        ({"orderId": None}, "field_invalid", "orderId"),
        ({"orderId": 17}, "field_invalid", "orderId"),
        ({"orderId": "x" * 101}, "field_invalid", "orderId"),
        ({"purchaseDescription": "d" * 1024}, "field_invalid", "purchaseDescription"),
        ({"successRedirect": "https://shop.example/" + "a" * 130}, "field_invalid", None),
        ({"successRedirect": "/relative"}, "field_invalid", "successRedirect"),
        ({"cancelRedirect": "javascript:alert(1)"}, "field_invalid", "cancelRedirect"),
        ({"cancelRedirect": "http://[::1"}, "field_invalid", "cancelRedirect"),
        ({"allowedPaymentMethods": ["CASH"]}, "field_invalid", "allowedPaymentMethods"),
        ({"allowedPaymentMethods": "CARD"}, "field_invalid", "allowedPaymentMethods"),
        ({"connectId": "12345"}, "field_invalid", "connectId"),
        ({"connectId": "1234567890123456789"}, "field_invalid", "connectId"),
        ({"attributes": [1]}, "field_invalid", "attributes"),
        ({"attributes": {"a": "nul\u0000"}}, "field_invalid", "attributes"),
        ({"attributes": {"a": "x" * 5000}}, "field_invalid", "attributes"),
        ({"orderId": "a\u0000b"}, "field_invalid", "orderId"),
        ({"purchaseDescription": "two\nlines\u0000"}, "field_invalid", "purchaseDescription"),
        ({"merchantName": "m" * 146}, "field_invalid", "merchantName"),
    ],
)
def test_bad_transactions_are_refused_in_connects_error_model(
    merchant_client, changes, code, field
):
    response = post(merchant_client(), "/transactions", body(**changes))
    data = assert_error(response, 400, code, field)
    if "successRedirect" in changes and field is None:
        assert data["field"] == "successRedirect"
    assert not Transaction.objects.exists()


def test_a_product_name_longer_than_145_is_refused(merchant_client):
    product = {"productId": "p", "name": "n" * 146, "price": "NOK 100.00", "vatRate": "0.25"}
    response = post(merchant_client(), "/transactions", body(products=[product]))
    assert_error(response, 400, "field_invalid", "products[0].name")


@pytest.mark.parametrize("raw", ["[]", '"text"', "17", "null", "{", '{"a": NaN}'])
def test_a_body_that_is_not_a_json_object_is_refused(merchant_client, raw):
    response = merchant_client().post("/transactions", raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errorNamespace"] == "payment"


def test_a_form_body_is_an_unsupported_media_type(merchant_client):
    response = merchant_client().post("/transactions", {"orderId": "x"})
    assert_error(response, 415, "unsupported_media_type")


def test_a_malformed_transaction_id_is_not_found(merchant_client):
    assert_error(merchant_client().get("/transactions/tx%00x"), 404, "transaction_not_found")
    assert_error(merchant_client().get("/transactions/a/b"), 404, "not_found")


def test_a_wrong_verb_is_405_with_allow(merchant_client):
    http = merchant_client()
    created = create(http)
    response = http.delete(f"/transactions/{created['id']}")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"] and "DELETE" not in response["Allow"]
    assert http.put("/transactions").status_code == 405
    assert http.get(f"/transactions/{created['id']}/refunds").status_code == 405


# --- authentication and authorisation ---------------------------------------------------------


def test_no_credentials_are_challenged_for_basic_and_bearer(anon, db):
    response = post(anon, "/transactions", body())
    assert_error(response, 401, "authentication_required")
    challenge = response["WWW-Authenticate"]
    assert "Basic" in challenge and "Bearer" in challenge
    assert anon.get("/transactions/tx_1").status_code == 401


def test_wrong_basic_credentials_are_401(merchant_client):
    http = merchant_client()
    http.defaults["HTTP_AUTHORIZATION"] = "Basic Zm9vOmJhcg=="
    assert_error(post(http, "/transactions", body()), 401, "invalid_credentials")


def test_a_credential_without_the_operation_is_403(merchant_client):
    http = merchant_client(MERCHANT, "transactions:read")
    assert_error(post(http, "/transactions", body()), 403, "operation_not_allowed")
    assert http.get("/transactions", {"orderId": "o"}).status_code == 200
    reader = merchant_client(MERCHANT, "agreements:read")
    assert_error(reader.get("/transactions/tx_1"), 403, "operation_not_allowed")


def test_a_credential_without_a_grantor_id_is_no_merchant(merchant_client):
    http = merchant_client("", "transactions:write")
    assert_error(post(http, "/transactions", body()), 403, "merchant_required")


def test_a_user_creates_a_transaction_with_a_bearer_token(bearer_client, alice):
    client = payment_client("payment.transactions.write")
    http = bearer_client(alice, "payment.transactions.write", client=client)
    response = post(http, "/transactions", body())
    assert response.status_code == 201
    data = response.json()
    assert data["connectId"] == alice.pk
    assert data["merchantName"] == client.name
    stored = Transaction.objects.get(pk=data["id"])
    assert stored.merchant_id == client.client_id
    assert http.get(f"/transactions/{data['id']}").status_code == 200
    reader = bearer_client(alice, "payment.transactions.read", client=client)
    assert reader.get(f"/transactions/{data['id']}").status_code == 200
    listed = reader.get("/transactions", {"orderId": "order-1"}).json()
    assert [t["id"] for t in listed] == [data["id"]]


def test_a_user_cannot_create_a_transaction_for_another_connect_id(bearer_client, alice, bob):
    client = payment_client("payment.transactions.write")
    http = bearer_client(alice, "payment.transactions.write", client=client)
    response = post(http, "/transactions", body(connectId=bob.pk))
    assert_error(response, 403, "user_mismatch")
    assert not Transaction.objects.exists()


def test_a_bearer_token_sees_neither_other_users_nor_other_clients(bearer_client, alice, bob):
    client = payment_client("payment.transactions.write")
    alices = create(bearer_client(alice, "payment.transactions.write", client=client))
    bobs_token = bearer_client(bob, "payment.transactions.write", client=client)
    assert bobs_token.get(f"/transactions/{alices['id']}").status_code == 404
    assert bobs_token.get("/transactions", {"orderId": "order-1"}).json() == []
    elsewhere = bearer_client(alice, "payment.transactions.write", client=payment_client(""))
    assert elsewhere.get(f"/transactions/{alices['id']}").status_code == 404


def test_a_token_without_the_payment_scope_is_403(bearer_client, alice):
    http = bearer_client(alice, "openid profile")
    response = post(http, "/transactions", body())
    assert_error(response, 403, "insufficient_scope")
    assert 'scope="payment.transactions.write"' in response["WWW-Authenticate"]
    assert response.json()["error"] == "insufficient_scope"
    read = bearer_client(alice, "payment.agreements.read").get("/transactions/tx_1")
    assert_error(read, 403, "insufficient_scope")


def test_the_read_scope_does_not_allow_creating(bearer_client, alice):
    http = bearer_client(alice, "payment.transactions.read")
    assert_error(post(http, "/transactions", body()), 403, "insufficient_scope")


def test_a_public_client_cannot_create_transactions(bearer_client, alice):
    # Registration refuses the scope to public clients; a token holding it anyway is refused too.
    client = payment_client("openid", client_type=Client.CLIENT_PUBLIC)
    http = bearer_client(alice, "payment.transactions.write", client=client)
    assert_error(post(http, "/transactions", body()), 403, "insufficient_scope")


def test_an_invalid_token_is_401_invalid_token(anon, db):
    anon.defaults["HTTP_AUTHORIZATION"] = "Bearer not-a-token"
    response = anon.get("/transactions/tx_1")
    assert_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_user_token_cannot_refund(bearer_client, alice):
    client = payment_client("payment.transactions.write")
    http = bearer_client(alice, "payment.transactions.write", client=client)
    created = create(http)
    pay(created["id"], alice)
    response = post(http, f"/transactions/{created['id']}/refunds", {"refundIssuer": "a"})
    assert response.status_code == 401  # refunds take the merchant's API credential only
    assert "Basic" in response["WWW-Authenticate"]


# --- Idempotency-Key --------------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer(merchant_client):
    http = merchant_client()
    first = post(http, "/transactions", body(), HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(http, "/transactions", body(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Transaction.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_422(merchant_client):
    http = merchant_client()
    post(http, "/transactions", body(), HTTP_IDEMPOTENCY_KEY="k-1")
    response = post(http, "/transactions", body(orderId="o-2"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert_error(response, 422, "idempotency_key_reused")
    assert Transaction.objects.count() == 1


def test_without_an_idempotency_key_a_retry_is_a_new_request(merchant_client):
    http = merchant_client()
    create(http)
    assert post(http, "/transactions", body()).status_code == 409


# --- refunds ----------------------------------------------------------------------------------


def paid(merchant_client, alice, **changes: Any) -> tuple[Any, dict[str, Any]]:
    http = merchant_client()
    created = create(http, connectId=alice.pk, **changes)
    pay(created["id"], alice)
    return http, created


def test_a_full_refund_gives_everything_back(merchant_client, alice):
    http, created = paid(merchant_client, alice)
    assert http.get(f"/transactions/{created['id']}").json()["state"] == "COMPLETED"
    response = post(
        http,
        f"/transactions/{created['id']}/refunds",
        {"refundIssuer": "support", "refundReason": "Changed their mind"},
    )
    assert response.status_code == 201
    refund = response.json()
    assert response["Location"] == f"http://testserver/transactions/{refund['id']}"
    assert (refund["type"], refund["state"], refund["amount"]) == (
        "REFUND",
        "COMPLETED",
        "NOK 100.00",
    )
    assert refund["refundForTransactionId"] == created["id"]
    assert (refund["refundIssuer"], refund["refundReason"]) == ("support", "Changed their mind")
    assert refund["links"] == []
    purchase = http.get(f"/transactions/{created['id']}").json()
    assert (purchase["state"], purchase["refundedAmount"]) == ("REFUNDED", "NOK 100.00")


def test_partial_refunds_never_exceed_what_was_paid(merchant_client, alice):
    http, created = paid(merchant_client, alice)
    url = f"/transactions/{created['id']}/refunds"
    first = post(http, url, {"refundIssuer": "s", "refundReason": "r", "amount": "NOK 30.00"})
    assert first.status_code == 201
    assert first.json()["amount"] == "NOK 30.00"
    assert http.get(f"/transactions/{created['id']}").json()["state"] == "COMPLETED"
    too_much = post(http, url, {"refundIssuer": "s", "refundReason": "r", "amount": "NOK 70.01"})
    assert_error(too_much, 400, "refund_too_large", "amount")
    other = post(http, url, {"refundIssuer": "s", "refundReason": "r", "amount": "SEK 1.00"})
    assert_error(other, 400, "refund_too_large", "amount")
    rest = post(http, url, {"refundIssuer": "s", "refundReason": "r"})
    assert rest.json()["amount"] == "NOK 70.00"
    assert http.get(f"/transactions/{created['id']}").json()["state"] == "REFUNDED"
    assert_error(
        post(http, url, {"refundIssuer": "s", "refundReason": "r"}), 409, "refund_not_allowed"
    )


def test_a_refund_of_an_unpaid_transaction_is_refused(merchant_client):
    http = merchant_client()
    created = create(http)
    response = post(
        http, f"/transactions/{created['id']}/refunds", {"refundIssuer": "s", "refundReason": "r"}
    )
    assert_error(response, 409, "refund_not_allowed")


def test_a_full_refund_ends_the_rights_of_the_skus(merchant_client, alice):
    product = {
        "productId": "p1",
        "name": "News",
        "price": "NOK 100.00",
        "vatRate": "0.25",
        "sku": "NEWS-MONTH",
        "timeSpec": "P30D",
    }
    http, created = paid(merchant_client, alice, products=[product])
    right = Right.objects.get(user=alice, sku="NEWS-MONTH")
    assert right.deleted_at is None
    post(http, f"/transactions/{created['id']}/refunds", {"refundIssuer": "s", "refundReason": "r"})
    right.refresh_from_db()
    assert right.deleted_at is not None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"refundReason": "r"}, "refundIssuer"),
        ({"refundIssuer": "s"}, "refundReason"),
        ({"refundIssuer": "s" * 146, "refundReason": "r"}, "refundIssuer"),
        ({"refundIssuer": "s", "refundReason": "r" * 1024}, "refundReason"),
        ({"refundIssuer": "s", "refundReason": "r", "amount": "10"}, "amount"),
    ],
)
def test_bad_refund_bodies_are_refused(merchant_client, alice, data, field):
    http, created = paid(merchant_client, alice)
    response = post(http, f"/transactions/{created['id']}/refunds", data)
    assert response.status_code == 400
    assert response.json()["field"] == field


# --- every payment view declares its rules ----------------------------------------------------


def _payment_views() -> list[tuple[str, type]]:
    found: list[tuple[str, type]] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                api = "transactions" in route or "agreements" in route
                if api and not route.startswith("gui/"):  # the portal has its own views
                    found.append((route, getattr(p.callback, "cls", None) or p.callback))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_payment_view_declares_a_rule_for_each_of_its_methods():
    views = _payment_views()
    assert len(views) == 14  # seven routes, at the root and under /payment/
    for route, view in views:
        assert isinstance(view, type) and issubclass(view, PaymentView), route
        rules = view.__dict__.get("access_rules")
        assert rules, route
        for handler in ("get", "post", "put", "patch", "delete"):
            if hasattr(view, handler):
                assert handler.upper() in rules, f"{route}: {handler} has no rule"
        public = [m for m, rule in rules.items() if rule.public]
        assert not public or view.__name__ == "UnknownPaymentPathView", route
