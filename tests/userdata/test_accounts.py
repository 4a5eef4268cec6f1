"""Accounts: business units' hard links of their customers to CONNECT users."""

from __future__ import annotations

from accounts.models import AccountLink


def test_accounts_are_wrapped_under_account(alice_data, bearer_client):
    response = bearer_client(alice_data.user, "id.user.account.read").get("/id/users/me/accounts")
    assert response.status_code == 200
    (account,) = response.json()["account"]
    assert account == {
        "id": alice_data.account.id,
        "href": f"http://testserver/id/users/{alice_data.user.id}/accounts/{alice_data.account.id}",
        "generation": "1",
        "type": "telenor-no",
        "userid": "cust-1",
        "msisdn": None,
    }


def test_add_account_answers_201_with_location(alice, basic_client):
    response = basic_client("accounts:write").post(
        f"/id/users/{alice.id}/accounts",
        {"type": "bu-1", "userid": "c-9", "msisdn": "+47 91 11 11 11"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == body["href"]
    assert body["msisdn"] == "4791111111" and body["userid"] == "c-9"


def test_an_external_customer_linked_twice_is_409(alice_data, bob, basic_client):
    response = basic_client("accounts:write").post(
        f"/id/users/{bob.id}/accounts",
        {"type": "telenor-no", "userid": "cust-1"},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "account_link_taken"


def test_missing_fields_are_pointed_at(alice, basic_client):
    response = basic_client("accounts:write").post(
        f"/id/users/{alice.id}/accounts", {"msisdn": 5}, content_type="application/json"
    )
    assert response.status_code == 400
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/type", "/userid"}


def test_an_invalid_msisdn_points_at_msisdn(alice, basic_client):
    response = basic_client("accounts:write").post(
        f"/id/users/{alice.id}/accounts",
        {"type": "t", "userid": "u", "msisdn": "12"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "/msisdn"


def test_delete_account_with_if_match(alice_data, basic_client):
    url = f"/id/users/{alice_data.user.id}/accounts/{alice_data.account.id}"
    http = basic_client("accounts:write")
    assert http.delete(url, HTTP_IF_MATCH='"2"').status_code == 412
    assert http.delete(url, HTTP_IF_MATCH='"1"').status_code == 204
    assert not AccountLink.objects.filter(pk=alice_data.account.pk).exists()
