"""POST/GET /agreements and stopping them over HTTP (spec §5.3): API credentials and bearer
tokens, the PAYMENT link of the first payment, listing by user and state, the /payment prefix."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings

from payments.models import Agreement, Transaction
from payments.services import PayChoice, transaction_pay
from tests.factories import TEST_ACTOR, ClientFactory
from tests.payments.conftest import GOOD_CARD, MERCHANT, OTHER_MERCHANT

pytestmark = pytest.mark.django_db


def first_payment(**changes: Any) -> dict[str, Any]:
    data = {
        "orderId": "sub-1",
        "purchaseDescription": "News, monthly",
        "amount": "NOK 99.00",
        "vatRate": "0.25",
        "successRedirect": "https://shop.example/ok",
        "cancelRedirect": "https://shop.example/cancel",
    }
    data.update(changes)
    return data


def body(user, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "connectId": user.pk,
        "merchantName": "News Ltd",
        "recurrenceTimeSpec": "R//P1M",
        "verificationTransaction": first_payment(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post(http, path: str, data: Any, **headers: str):
    return http.post(path, json.dumps(data), content_type="application/json", **headers)


def create(http, user, prefix: str = "", **changes: Any) -> dict[str, Any]:
    response = post(http, f"{prefix}/agreements", body(user, **changes))
    assert response.status_code == 201, response.content
    return response.json()


def pay_first(agreement: dict[str, Any], user) -> None:
    outcome = transaction_pay(
        transaction_id=agreement["verificationTransactionId"],
        user=user,
        choice=PayChoice(kind="CARD", card=GOOD_CARD),
        actor=TEST_ACTOR,
    )
    assert outcome.paid


def assert_error(response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert (data["errorNamespace"], data["errorCode"]) == ("payment", code)
    if field is not None:
        assert data["field"] == field


def test_a_merchant_creates_an_agreement_with_location_and_payment_link(merchant_client, alice):
    response = post(merchant_client(), "/agreements", body(alice))
    assert response.status_code == 201
    data = response.json()
    assert response["Location"] == f"http://testserver/agreements/{data['id']}"
    first_id = data["verificationTransactionId"]
    assert data["links"] == [
        {"rel": "PAYMENT", "href": f"{settings.SITE_URL}/gui/payment/{first_id}"}
    ]
    assert data["state"] == "CREATED"
    assert (data["connectId"], data["merchantName"]) == (alice.pk, "News Ltd")
    assert data["recurrenceTimeSpec"] == "R//P1M"
    nested = data["verificationTransaction"]
    assert (nested["id"], nested["amount"], nested["state"]) == (first_id, "NOK 99.00", "STARTED")
    assert nested["chargingAgreementId"] == data["id"]
    for name in ("paymentMethod", "paymentMethodId", "paymentInstrument", "subscriptionId"):
        assert data[name] is None
    assert data["creationTime"].endswith("Z")
    agreement = Agreement.objects.get(pk=data["id"])
    assert (agreement.merchant_id, agreement.user_id) == (MERCHANT, alice.pk)


def test_the_first_payment_activates_the_agreement_as_read_over_the_api(merchant_client, alice):
    http = merchant_client()
    created = create(http, alice)
    pay_first(created, alice)
    data = http.get(f"/agreements/{created['id']}").json()
    assert data["state"] == "ACTIVE"
    assert data["links"] == []
    assert data["paymentMethod"] == "CARD"
    assert data["paymentInstrument"] == "visa ****4242"
    assert data["paymentMethodId"].startswith("pm_")
    assert data["verificationTransaction"]["state"] == "COMPLETED"
    tx = http.get(f"/transactions/{created['verificationTransactionId']}").json()
    assert tx["chargingAgreementId"] == created["id"]


def test_a_trial_and_confirmation_transaction_are_accepted(merchant_client, alice):
    http = merchant_client()
    dotted = create(
        http,
        alice,
        **{"trial.period": "P14D", "verificationTransaction": None},
        confirmationTransaction=first_payment(),
    )
    assert dotted["trial"] == {"period": "P14D"}
    nested = create(
        http, alice, trial={"period": "P1M"}, verificationTransaction=first_payment(orderId="sub-2")
    )
    assert nested["trial"] == {"period": "P1M"}
    assert Agreement.objects.get(pk=nested["id"]).trial_period == "P1M"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"connectId": None}, "field_invalid", "connectId"),
        ({"merchantName": None}, "field_invalid", "merchantName"),
        ({"recurrenceTimeSpec": None}, "field_invalid", "recurrenceTimeSpec"),
        ({"recurrenceTimeSpec": "R//monthly"}, "time_spec_invalid", None),
        ({"recurrenceTimeSpec": "monthly"}, "time_spec_not_repeating", None),
        ({"recurrenceTimeSpec": "P1M"}, "time_spec_not_repeating", None),
        ({"trial.period": "two weeks"}, "time_spec_invalid", None),
        ({"trial": "P1M"}, "field_invalid", "trial"),
        ({"verificationTransaction": None}, "field_invalid", "verificationTransaction"),
        ({"verificationTransaction": []}, "field_invalid", "verificationTransaction"),
        (
            {"verificationTransaction": first_payment(amount="NOK 1.001")},
            "amount_invalid",
            "verificationTransaction.amount",
        ),
        (
            {"verificationTransaction": first_payment(orderId="o" * 101)},
            "field_invalid",
            "verificationTransaction.orderId",
        ),
        ({"connectId": "1234567890123456789"}, "field_invalid", "connectId"),
    ],
)
def test_bad_agreements_are_refused(merchant_client, alice, changes, code, field):
    response = post(merchant_client(), "/agreements", body(alice, **changes))
    assert_error(response, 400, code, field)
    assert not Agreement.objects.exists()
    assert not Transaction.objects.exists()


def test_a_nested_connect_id_of_another_user_is_refused(merchant_client, alice, bob):
    data = body(alice, verificationTransaction=first_payment(connectId=bob.pk))
    assert_error(
        post(merchant_client(), "/agreements", data),
        400,
        "field_invalid",
        "verificationTransaction.connectId",
    )


def test_a_merchant_reads_only_its_own_agreements(merchant_client, alice):
    theirs = create(merchant_client(OTHER_MERCHANT), alice)
    mine = merchant_client()
    assert_error(mine.get(f"/agreements/{theirs['id']}"), 404, "agreement_not_found")
    assert_error(mine.post(f"/agreements/{theirs['id']}/stop"), 404, "agreement_not_found")
    assert Agreement.objects.get(pk=theirs["id"]).state == "CREATED"
    assert mine.get("/agreements", {"connectID": alice.pk}).json() == []


def test_agreements_are_listed_by_user_and_state(merchant_client, alice, bob):
    http = merchant_client()
    active = create(http, alice)
    pay_first(active, alice)
    waiting = create(http, alice, verificationTransaction=first_payment(orderId="sub-2"))
    create(http, bob, verificationTransaction=first_payment(orderId="sub-3"))
    listed = http.get("/agreements", {"connectID": alice.pk}).json()
    assert [a["id"] for a in listed] == [waiting["id"], active["id"]]
    by_state = http.get("/agreements", {"connectId": alice.pk, "state": "ACTIVE"}).json()
    assert [a["id"] for a in by_state] == [active["id"]]
    assert len(http.get("/agreements").json()) == 3
    assert_error(http.get("/agreements", {"state": "ASLEEP"}), 400, "field_invalid", "state")
    assert_error(http.get("/agreements", {"connectID": "bob"}), 400, "field_invalid")


def test_listing_agreements_takes_a_bounded_number_of_queries(
    merchant_client, alice, django_assert_max_num_queries
):
    http = merchant_client()
    for n in range(5):
        create(http, alice, verificationTransaction=first_payment(orderId=f"sub-{n}"))
    with django_assert_max_num_queries(3):
        assert len(http.get("/agreements", {"connectID": alice.pk}).json()) == 5


@pytest.mark.parametrize("verb", ["get", "post"])
def test_an_agreement_is_stopped_by_get_or_post(merchant_client, alice, verb):
    http = merchant_client()
    created = create(http, alice)
    pay_first(created, alice)
    response = getattr(http, verb)(f"/agreements/{created['id']}/stop")
    assert response.status_code == 200
    data = response.json()
    assert data["state"] == "STOPPED"
    assert int(data["generation"]) > int(created["generation"])
    assert getattr(http, verb)(f"/agreements/{created['id']}/stop").json()["state"] == "STOPPED"
    assert http.get(f"/agreements/{created['id']}").json()["state"] == "STOPPED"


def test_stopping_an_unpaid_agreement_cancels_it(merchant_client, alice):
    http = merchant_client()
    created = create(http, alice)
    assert http.post(f"/agreements/{created['id']}/stop").json()["state"] == "CANCELLED"


def test_stopping_needs_the_write_operation(merchant_client, alice):
    created = create(merchant_client(), alice)
    reader = merchant_client(MERCHANT, "agreements:read")
    assert reader.get(f"/agreements/{created['id']}").status_code == 200
    assert_error(reader.get(f"/agreements/{created['id']}/stop"), 403, "operation_not_allowed")
    assert_error(post(reader, "/agreements", body(alice)), 403, "operation_not_allowed")
    tx_only = merchant_client(MERCHANT, "transactions:write")
    assert_error(tx_only.get(f"/agreements/{created['id']}"), 403, "operation_not_allowed")


def test_no_credentials_are_challenged(anon, db):
    response = anon.get("/agreements")
    assert_error(response, 401, "authentication_required")
    assert "Basic" in response["WWW-Authenticate"]
    assert "Bearer" in response["WWW-Authenticate"]


def test_a_wrong_verb_is_405(merchant_client, alice):
    http = merchant_client()
    created = create(http, alice)
    response = http.delete(f"/agreements/{created['id']}")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"].startswith("GET")
    assert http.put(f"/agreements/{created['id']}/stop").status_code == 405


def test_the_agreement_api_answers_under_the_payment_prefix(merchant_client, alice):
    http = merchant_client()
    response = post(http, "/payment/agreements", body(alice))
    assert response.status_code == 201
    agreement_id = response.json()["id"]
    assert response["Location"] == f"http://testserver/payment/agreements/{agreement_id}"
    assert http.get(f"/payment/agreements/{agreement_id}").status_code == 200
    assert http.post(f"/payment/agreements/{agreement_id}/stop").json()["state"] == "CANCELLED"


def test_an_idempotent_retry_creates_one_agreement(merchant_client, alice):
    http = merchant_client()
    first = post(http, "/agreements", body(alice), HTTP_IDEMPOTENCY_KEY="ag-1")
    again = post(http, "/agreements", body(alice), HTTP_IDEMPOTENCY_KEY="ag-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Agreement.objects.count() == 1


# --- bearer tokens ----------------------------------------------------------------------------


def agreements_client():
    return ClientFactory(allowed_scopes=["payment.agreements.write", "payment.agreements.read"])


def test_a_user_creates_reads_lists_and_stops_an_agreement_with_a_token(bearer_client, alice):
    client = agreements_client()
    http = bearer_client(alice, "payment.agreements.write", client=client)
    created = create(http, alice)
    assert Agreement.objects.get(pk=created["id"]).merchant_id == client.client_id
    without_id = create(
        http, alice, connectId=None, verificationTransaction=first_payment(orderId="sub-2")
    )
    assert without_id["connectId"] == alice.pk
    reader = bearer_client(alice, "payment.agreements.read", client=client)
    assert reader.get(f"/agreements/{created['id']}").status_code == 200
    assert len(reader.get("/agreements").json()) == 2
    assert_error(reader.post(f"/agreements/{created['id']}/stop"), 403, "insufficient_scope")
    assert http.post(f"/agreements/{created['id']}/stop").json()["state"] == "CANCELLED"


def test_a_user_cannot_create_or_list_agreements_of_another_user(bearer_client, alice, bob):
    client = agreements_client()
    http = bearer_client(alice, "payment.agreements.write", client=client)
    assert_error(post(http, "/agreements", body(bob)), 403, "user_mismatch")
    assert_error(http.get("/agreements", {"connectID": bob.pk}), 403, "user_mismatch")
    bobs = create(bearer_client(bob, "payment.agreements.write", client=client), bob)
    assert_error(http.get(f"/agreements/{bobs['id']}"), 404, "agreement_not_found")
    assert_error(http.get(f"/agreements/{bobs['id']}/stop"), 404, "agreement_not_found")
    assert Agreement.objects.get(pk=bobs["id"]).state == "CREATED"


def test_the_transactions_scope_does_not_reach_agreements(bearer_client, alice):
    http = bearer_client(alice, "payment.transactions.write")
    response = post(http, "/agreements", body(alice))
    assert_error(response, 403, "insufficient_scope")
    assert 'scope="payment.agreements.write"' in response["WWW-Authenticate"]
