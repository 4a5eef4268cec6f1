"""Users: CONNECT's user object, lookup, create, update with generations, delete."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, RetiredUserId, User
from tests.factories import UserFactory
from tests.userdata.conftest import PROBLEM

USER_KEYS = {
    "id",
    "href",
    "generation",
    "username",
    "username_verified",
    "active",
    "realname",
    "birthdate",
    "attributes",
    "pinAuthenticationAllowed",
    "authenticationExpiry",
    "rights_href",
    "link",
}


def test_alice_reads_herself_as_connects_user_object(alice, bearer_client):
    response = bearer_client(alice, "id.user.read").get("/id/users/me")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body.keys() == USER_KEYS
    href = f"http://testserver/id/users/{alice.id}"
    assert body["id"] == alice.id and body["href"] == href
    assert body["generation"] == str(alice.generation)
    assert response["ETag"] == f'"{alice.generation}"'
    assert body["username"] == "alice@example.com" and body["username_verified"] is True
    assert body["active"] is True and body["pinAuthenticationAllowed"] is True
    assert body["realname"] == "Alice Example" and body["birthdate"] is None
    assert body["authenticationExpiry"] == 0
    assert body["rights_href"] == f"{href}/rights"
    rels = {link["rel"]: link["href"] for link in body["link"]}
    assert rels["self"] == href and rels["mails"] == f"{href}/mails"
    assert set(rels) == {
        "self",
        "accounts",
        "mails",
        "phones",
        "rights",
        "subs",
        "tnc",
        "attributes",
    }
    assert all(link.keys() == {"rel", "href", "type", "idref"} for link in body["link"])


def test_hrefs_follow_the_requests_host(alice, bearer_client, settings):
    settings.ALLOWED_HOSTS = ["api.example.net"]
    http = bearer_client(alice, "id.user.read")
    body = http.get("/id/users/me", HTTP_HOST="api.example.net").json()
    assert body["href"].startswith("http://api.example.net/id/users/")


def test_username_is_the_phone_when_no_email_is_verified(basic_client):
    user = UserFactory(email=None, phone="4791234567", verified=True, password=None)
    body = basic_client("users:read").get(f"/id/users/{user.id}").json()
    assert body["username"] == "4791234567" and body["username_verified"] is True
    assert body["active"] is False and body["pinAuthenticationAllowed"] is False
    assert body["realname"] is not None


def test_lookup_by_username_and_by_phone(alice, bob, basic_client):
    http = basic_client("users:read")
    assert http.get("/id/users", {"username": "ALICE@example.com"}).json()["id"] == alice.id
    assert http.get("/id/users", {"username": "4792222222"}).json()["id"] == bob.id
    response = http.get("/id/users", {"type": "phone", "phone": "4791111111"})
    assert response.json()["id"] == alice.id


def test_lookup_of_an_unknown_username_is_404(basic_client, db):
    response = basic_client("users:read").get("/id/users", {"username": "nobody@example.com"})
    assert response.status_code == 404 and response.json()["code"] == "user_not_found"


def test_lookup_without_parameters_is_400(basic_client, db):
    response = basic_client("users:read").get("/id/users")
    assert response.status_code == 400
    assert response.json()["code"] == "lookup_parameter_required"


def test_create_user_answers_201_with_location(basic_client, db):
    response = basic_client("users:write").post(
        "/id/users",
        {
            "username": "new@example.com",
            "password": "a long passphrase 42",
            "realname": "New",
            "birthdate": "1990-05-17",
            "attributes": {"user-locale": "no"},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == body["href"]
    assert body["username"] == "new@example.com" and body["username_verified"] is False
    assert body["active"] is True and body["birthdate"] == "1990-05-17"
    assert body["attributes"] == {"user-locale": "no"}
    assert AuditEvent.objects.filter(subject=body["id"], action="user.created").exists()


def test_create_with_a_username_verified_on_another_account_is_409(alice, basic_client):
    response = basic_client("users:write").post(
        "/id/users", {"username": "alice@example.com"}, content_type="application/json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "email_taken"
    assert body["errors"][0]["pointer"] == "/username"


def test_create_with_an_invalid_username_points_at_it(basic_client, db):
    response = basic_client("users:write").post(
        "/id/users", {"username": "not a phone"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"pointer": "/username", "detail": response.json()["detail"], "code": "phone_invalid"}
    ]


def test_put_changes_the_fields_sent_and_bumps_the_generation(alice, bearer_client):
    http = bearer_client(alice, "id.user.write id.user.read")
    before = alice.generation
    response = http.put(
        "/id/users/me",
        {"realname": "Alice B.", "attributes": {"user-locale": "sv"}, "username": "ignored"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["realname"] == "Alice B." and body["attributes"] == {"user-locale": "sv"}
    assert body["generation"] == str(before + 1) and response["ETag"] == f'"{before + 1}"'
    alice.refresh_from_db()
    assert alice.realname == "Alice B." and alice.birthdate is None
    assert AuditEvent.objects.filter(subject=alice.id, action="user.updated").exists()


def test_put_with_a_matching_if_match_applies(alice, basic_client):
    response = basic_client("users:write").put(
        f"/id/users/{alice.id}",
        {"birthdate": "1980-01-02"},
        content_type="application/json",
        HTTP_IF_MATCH=f'"{alice.generation}"',
    )
    assert response.status_code == 200
    assert response.json()["birthdate"] == "1980-01-02"


@pytest.mark.parametrize("if_match", ['"1"', 'W/"{g}"', "garbage", '"999", "998"'])
def test_put_with_a_stale_if_match_is_412_and_changes_nothing(alice, basic_client, if_match):
    response = basic_client("users:write").put(
        f"/id/users/{alice.id}",
        {"realname": "Mallory"},
        content_type="application/json",
        HTTP_IF_MATCH=if_match.format(g=alice.generation),
    )
    assert response.status_code == 412
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "precondition_failed"
    alice.refresh_from_db()
    assert alice.realname == "Alice Example"


def test_put_with_a_stale_generation_in_the_body_is_409(alice, basic_client):
    response = basic_client("users:write").put(
        f"/id/users/{alice.id}",
        {"realname": "X", "generation": "1"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "generation_mismatch"


def test_put_with_the_current_generation_in_the_body_applies(alice, basic_client):
    response = basic_client("users:write").put(
        f"/id/users/{alice.id}",
        {"realname": "X", "generation": alice.generation},
        content_type="application/json",
    )
    assert response.status_code == 200


def test_delete_user_retires_the_id(alice, basic_client):
    response = basic_client("users:write").delete(f"/id/users/{alice.id}", HTTP_IF_MATCH="*")
    assert response.status_code == 204
    assert not User.objects.filter(pk=alice.id).exists()
    assert RetiredUserId.objects.filter(pk=alice.id).exists()


def test_delete_user_with_a_stale_if_match_is_412(alice, basic_client):
    response = basic_client("users:write").delete(f"/id/users/{alice.id}", HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert User.objects.filter(pk=alice.id).exists()


@pytest.mark.parametrize("connect_id", ["1234567890123456789", "abc", "%00", "9" * 300])
def test_unknown_or_malformed_user_ids_are_404(connect_id, basic_client, db):
    response = basic_client().get(f"/id/users/{connect_id}")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"realname": "Eve\u202egnp.exe"}, "/realname"),  # right-to-left override
        ({"realname": "two\nlines"}, "/realname"),
        ({"birthdate": "2999-01-01"}, "/birthdate"),
        ({"birthdate": "1850-01-01"}, "/birthdate"),
    ],
)
def test_names_and_birthdates_are_validated(alice, basic_client, body, pointer):
    response = basic_client("users:write").put(
        f"/id/users/{alice.id}", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == pointer
    alice.refresh_from_db()
    assert alice.realname == "Alice Example" and alice.birthdate is None
