"""RFC 9457 problem details for every failure; no input gives a 500; JSON and the legacy type."""

from __future__ import annotations

import pytest

from tests.userdata.conftest import PROBLEM

LEGACY = "application/vnd.comoyo.api-v20120202+json"


def test_legacy_media_type_is_accepted_and_answered_with_json(alice, basic_client):
    http = basic_client()
    response = http.post(
        f"/id/users/{alice.id}/mails",
        '{"address": "legacy@example.com"}',
        content_type=LEGACY,
        HTTP_ACCEPT=LEGACY,
    )
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    response = http.get(f"/id/users/{alice.id}", HTTP_ACCEPT=LEGACY)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_an_unacceptable_accept_is_406_problem(alice, basic_client):
    response = basic_client().get(f"/id/users/{alice.id}", HTTP_ACCEPT="text/html")
    assert response.status_code == 406 and response["Content-Type"] == PROBLEM


def test_a_form_body_is_415_problem(alice, basic_client):
    response = basic_client().post(f"/id/users/{alice.id}/mails", {"address": "a@example.com"})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_validation_errors_list_pointers_and_codes(alice, basic_client):
    response = basic_client().put(
        f"/id/users/{alice.id}",
        {"realname": "x" * 201, "birthdate": "yesterday", "attributes": [1]},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "urn:connect-id:problem:validation_failed"
    assert body["title"] == "Bad Request" and body["status"] == 400
    by_pointer = {e["pointer"]: e["code"] for e in body["errors"]}
    assert by_pointer == {
        "/realname": "max_length",
        "/birthdate": "invalid",
        "/attributes": "not_object",
    }


@pytest.mark.parametrize(
    "raw",
    [
        "{bad json",
        "[" * 100_000,
        '{"address": NaN}',
        "\xff\xfe",
        "[]",
        "null",
        '"a string"',
        '{"address": ["a"]}',
        '{"address": {"x": 1}}',
        '{"address": "' + "a" * 100_000 + '@example.com"}',
        '{"address": "a\\u0000@example.com"}',
        '{"address": "\\ud800@example.com"}',
        '{"address": "a@example.com", "priority": 99999999999999999999}',
        '{"address": "a@example.com", "priority": "1e400"}',
        '{"address": "a@example.com", "verified": "maybe"}',
    ],
)
def test_malformed_bodies_are_4xx_problems(alice, basic_client, raw):
    response = basic_client().post(
        f"/id/users/{alice.id}/mails",
        raw.encode("utf-8", "surrogatepass"),
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    "body",
    [
        {"attributes": {"k": "\u0000"}},
        {"attributes": {"k": "\ud800"}},
        {"attributes": {"big": "x" * 10_000}},
        {"realname": "\u0000"},
        {"birthdate": "99999-01-01"},
        {"generation": True},
    ],
    ids=repr,
)
def test_put_rejects_what_postgres_could_not_store(alice, basic_client, body):
    import json

    raw = json.dumps(body).encode("utf-8", "surrogatepass")
    response = basic_client().put(f"/id/users/{alice.id}", raw, content_type="application/json")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    "path",
    [
        "/id/users/1234567890123456789/mails/zz",
        "/id/users/{u}/mails/0000000000000000",
        "/id/users/{u}/mails/%00",
        "/id/users/{u}/phones/" + "f" * 500,
        "/id/users/{u}/accounts/-1",
        "/id/nothing/here",
        "/id/users/{u}/",
    ],
)
def test_unknown_ids_and_paths_are_404_problems(alice, basic_client, path):
    response = basic_client().get(path.format(u=alice.id))
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM


@pytest.mark.parametrize("username", ["\x00", "a" * 10_000, "+", "@", "%"])
def test_odd_lookups_are_404(basic_client, db, username):
    response = basic_client().get("/id/users", {"username": username})
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    "authorization",
    ["Basic", "Basic !!!", "Basic " + "QQ==", "Basic AAAA", "Bearer", "Bearer \x00", "Digest x"],
)
def test_garbled_authorization_headers_are_401(alice, anon, authorization):
    response = anon.get(f"/id/users/{alice.id}", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401 and response["Content-Type"] == PROBLEM
    assert "WWW-Authenticate" in response


def test_an_undeclared_method_is_405_problem(alice, basic_client):
    response = basic_client().patch(f"/id/users/{alice.id}", {}, content_type="application/json")
    assert response.status_code == 405 and response["Content-Type"] == PROBLEM
    assert response["Allow"] == "GET, PUT, DELETE, HEAD"


def test_head_is_answered_like_get(alice, basic_client):
    response = basic_client().head(f"/id/users/{alice.id}")
    assert response.status_code == 200 and response["ETag"]


@pytest.mark.parametrize("number", ["1e999", "-1e999"])
def test_infinite_numbers_are_a_400_not_a_500(alice, basic_client, number):
    body = f'{{"attributes": {{"a": {number}}}}}'
    response = basic_client("users:write").put(
        f"/id/users/{alice.id}", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_a_bearer_write_is_audited_with_its_client(alice, bearer_client):
    from accounts.models import AuditEvent
    from tests.factories import ClientFactory

    client = ClientFactory(name="Auditing RP", allowed_scopes=["id.user.write"])
    http = bearer_client(alice, "id.user.write", client=client)
    response = http.put(
        f"/id/users/{alice.id}", {"realname": "Alice Audited"}, content_type="application/json"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="user.updated", subject=alice.id).latest("id")
    assert event.actor == f"user:{alice.id}"
    assert event.details["client_id"] == client.client_id


def test_an_oversized_body_is_a_413_problem(alice, basic_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = '{"realname": "' + "x" * 4096 + '"}'
    response = basic_client("users:write").put(
        f"/id/users/{alice.id}", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
