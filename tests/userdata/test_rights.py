"""/id/users/{id}/rights over HTTP, with Basic grantor credentials and with bearer tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient

from events.models import Event
from rights.models import Right
from tests.factories import ApiCredentialFactory, ClientFactory
from tests.userdata.conftest import PROBLEM, basic_header

JSON = "application/json"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def grantor_client(grantor: str = "shop", *operations: str) -> HttpClient:
    credential = ApiCredentialFactory(operations=list(operations or ["*"]), grantor_id=grantor)
    http = HttpClient(HTTP_AUTHORIZATION=basic_header(credential.username, credential.secret))
    http.credential = credential  # type: ignore[attr-defined]
    return http


def post_right(http, user, **body):
    body.setdefault("sku", "CMO-STO-5-M")
    body.setdefault("timeSpec", "P2D")
    body.setdefault("serviceProviderId", "svc.example")
    return http.post(f"/id/users/{user.id}/rights", body, content_type=JSON)


@pytest.fixture
def shop(db):
    return grantor_client("shop")


def test_grant_answers_201_with_location_and_the_contract_shape(alice, shop):
    response = post_right(shop, alice, grantorContext="19368263")
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == body["href"]
    assert response["ETag"] == '"1"'
    assert body["href"] == f"http://testserver/id/users/{alice.id}/rights/{body['rightId']}"
    assert body["state"] == "ACTIVE" and body["used"] is False and body["generation"] == "1"
    assert body["grantorId"] == "shop" and body["grantorContext"] == "19368263"
    start, end = body["timeInterval"].split("/")
    assert start.endswith("Z") and end.endswith("Z")
    assert set(body) == {
        "rightId", "generation", "href", "state", "userId", "link", "grantorId",
        "grantorContext", "serviceProviderId", "timeInterval", "sku", "payload", "used",
    }  # fmt: skip
    assert Event.objects.get().name == "com.comoyo.events.right.RightGranted"


def test_grant_many_is_all_or_nothing(alice, shop):
    ok = [{"sku": "A", "timeSpec": "P1D"}, {"sku": "B", "timeInterval": f"{iso(NOW)}/P3D"}]
    response = shop.post(f"/id/users/{alice.id}/rights", ok, content_type=JSON)
    assert response.status_code == 201
    assert [r["sku"] for r in response.json()["right"]] == ["A", "B"]
    assert not response.has_header("Location")
    bad = [{"sku": "C", "timeSpec": "P1D"}, {"sku": "D", "timeSpec": "soon"}]
    response = shop.post(f"/id/users/{alice.id}/rights", bad, content_type=JSON)
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert Right.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "code", "pointer"),
    [
        ({"timeSpec": "tomorrow"}, "time_spec_invalid", "/timeSpec"),
        ({"timeSpec": "2026-01-01T00:00:00/P1D"}, "time_spec_invalid", "/timeSpec"),
        ({"timeSpec": f"{iso(NOW)}/{iso(NOW - dt.timedelta(days=1))}"},
         "time_interval_empty", "/timeSpec"),
        ({"timeSpec": None, "timeInterval": "R//P1M"}, "time_spec_invalid", "/timeInterval"),
    ],
)  # fmt: skip
def test_bad_time_specs_are_400_with_a_code(alice, shop, body, code, pointer):
    if body.get("timeSpec") is None:
        body.pop("timeSpec")
        response = shop.post(
            f"/id/users/{alice.id}/rights", {"sku": "A", **body}, content_type=JSON
        )
    else:
        response = post_right(shop, alice, **body)
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == code and problem["errors"][0]["pointer"] == pointer


def test_a_right_needs_a_time_spec(alice, shop):
    response = shop.post(f"/id/users/{alice.id}/rights", {"sku": "A"}, content_type=JSON)
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "/timeSpec"


def test_a_body_naming_another_grantor_is_403(alice, shop):
    response = post_right(shop, alice, grantorId="someone-else")
    assert response.status_code == 403 and response.json()["code"] == "grantor_mismatch"
    assert not Right.objects.exists()


def test_a_credential_without_grantor_cannot_grant(alice, basic_client):
    response = post_right(basic_client("rights:write"), alice)
    assert response.status_code == 403 and response.json()["code"] == "grantor_required"


def test_granting_needs_rights_write(alice):
    response = post_right(grantor_client("shop", "rights:read"), alice)
    assert response.status_code == 403 and response.json()["code"] == "operation_not_allowed"


def test_unknown_user_is_404(shop):
    response = shop.get("/id/users/1000000000000000000/rights")
    assert response.status_code == 404 and response.json()["code"] == "user_not_found"
    response = shop.post(
        "/id/users/1000000000000000000/rights", {"sku": "A", "timeSpec": "P1D"}, content_type=JSON
    )
    assert response.status_code == 404


def _make(alice, shop, **body) -> dict:
    response = post_right(shop, alice, **body)
    assert response.status_code == 201, response.content
    return response.json()


def test_active_now_at_the_interval_edges(alice, shop, bearer_client):
    current = _make(alice, shop, sku="NOW")
    future = _make(alice, shop, sku="LATER", timeSpec=f"{iso(NOW + dt.timedelta(hours=2))}/P1D")
    past = _make(alice, shop, sku="PAST", timeSpec=f"{iso(NOW - dt.timedelta(days=2))}/P1D")
    http = bearer_client(alice, "id.user.right.read")
    everything = http.get(f"/id/users/{alice.id}/rights").json()["right"]
    states = {r["sku"]: r["state"] for r in everything}
    assert states == {"NOW": "ACTIVE", "LATER": "CREATED", "PAST": "EXPIRED"}
    active = http.get(f"/id/users/{alice.id}/rights?active=NOW").json()["right"]
    assert [r["rightId"] for r in active] == [current["rightId"]]
    # Edges, with an explicit instant: the start is inclusive, the end exclusive.
    start, end = future["timeInterval"].split("/")
    assert [r["sku"] for r in http.get(f"/id/users/me/rights?active={start}").json()["right"]] == [
        "NOW",
        "LATER",
    ]
    at_end = http.get(f"/id/users/me/rights?active={end}&sku=LATER").json()["right"]
    assert at_end == []
    past_end = past["timeInterval"].split("/")[1]
    assert http.get(f"/id/users/me/rights?active={past_end}&sku=PAST").json()["right"] == []
    bad = http.get("/id/users/me/rights?active=yesterday")
    assert bad.status_code == 400 and bad.json()["code"] == "active_invalid"


def test_filters_by_sku_and_service_provider(alice, shop):
    _make(alice, shop, sku="A", serviceProviderId="p1")
    _make(alice, shop, sku="B", serviceProviderId="p2")
    url = f"/id/users/{alice.id}/rights"
    assert [r["sku"] for r in shop.get(url + "?sku=B").json()["right"]] == ["B"]
    assert [r["sku"] for r in shop.get(url + "?serviceProviderId=p1").json()["right"]] == ["A"]


def test_suspend_reactivate_extend_over_http(alice, shop):
    right = _make(alice, shop)
    url = right["href"].removeprefix("http://testserver")
    response = shop.put(url, {"state": "SUSPENDED"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["state"] == "SUSPENDED"
    assert response["ETag"] == '"2"'
    response = shop.put(url, {"state": "ACTIVE", "generation": "2"}, content_type=JSON)
    assert response.json()["state"] == "ACTIVE"
    new = f"{iso(NOW)}/P30D"
    response = shop.put(url, {"timeInterval": new}, content_type=JSON, HTTP_IF_MATCH='"3"')
    assert response.status_code == 200
    assert response.json()["timeInterval"].split("/")[1] == iso(NOW + dt.timedelta(days=30))
    names = [e.name.rsplit(".", 1)[1] for e in Event.objects.order_by("created_at")]
    assert names == ["RightGranted", "RightSuspended", "RightActive", "RightGranted"]


def test_stale_generations_are_412_and_409(alice, shop):
    url = _make(alice, shop)["href"].removeprefix("http://testserver")
    response = shop.put(url, {"state": "SUSPENDED"}, content_type=JSON, HTTP_IF_MATCH='"9"')
    assert response.status_code == 412
    response = shop.put(url, {"state": "SUSPENDED", "generation": "9"}, content_type=JSON)
    assert response.status_code == 409 and response.json()["code"] == "generation_mismatch"
    assert shop.delete(url, HTTP_IF_MATCH='"9"').status_code == 412


def test_terminate_then_the_right_is_gone(alice, shop):
    url = _make(alice, shop)["href"].removeprefix("http://testserver")
    assert shop.delete(url).status_code == 204
    assert shop.get(url).status_code == 404
    assert shop.get(f"/id/users/{alice.id}/rights").json()["right"] == []
    assert Event.objects.order_by("-created_at").first().name.endswith("RightDeleted")


def test_an_expired_right_cannot_change(alice, shop):
    past = f"{iso(NOW - dt.timedelta(days=3))}/P1D"
    url = _make(alice, shop, timeSpec=past)["href"].removeprefix("http://testserver")
    response = shop.put(url, {"state": "SUSPENDED"}, content_type=JSON)
    assert response.status_code == 409 and response.json()["code"] == "right_expired"


def test_a_second_grantor_sees_rights_but_cannot_change_them(alice, shop):
    url = _make(alice, shop)["href"].removeprefix("http://testserver")
    other = grantor_client("other")
    assert other.get(url).status_code == 200
    response = other.put(url, {"state": "SUSPENDED"}, content_type=JSON)
    assert response.status_code == 403 and response.json()["code"] == "grantor_mismatch"
    assert other.delete(url).status_code == 403
    assert other.post(url + "/usage").status_code == 403
    assert Right.objects.get().generation == 1


def test_usage_with_a_bearer_token_of_a_confidential_client(alice, shop, bearer_client):
    right = _make(alice, shop)
    url = f"/id/users/me/rights/{right['rightId']}/usage"
    http = bearer_client(alice, "id.user.right.use")
    response = http.post(url)
    assert response.status_code == 200 and response.json()["used"] is True
    again = http.post(url)
    assert again.status_code == 409 and again.json()["code"] == "right_already_used"
    assert Event.objects.order_by("-created_at").first().name.endswith("RightUsed")


def test_usage_is_refused_to_public_clients_and_without_the_scope(alice, shop, bearer_client):
    right = _make(alice, shop)
    url = f"/id/users/me/rights/{right['rightId']}/usage"
    public = ClientFactory(
        client_type="public", allowed_scopes=["openid"], redirect_uris=["https://app.example/cb"]
    )
    response = bearer_client(alice, "id.user.right.use", client=public).post(url)
    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"
    response = bearer_client(alice, "id.user.right.read").post(url)
    assert response.status_code == 403
    assert "insufficient_scope" in response["WWW-Authenticate"]


def test_usage_of_a_suspended_or_future_right_is_409(alice, shop):
    future = _make(alice, shop, timeSpec=f"{iso(NOW + dt.timedelta(days=1))}/P1D")
    response = shop.post(f"/id/users/{alice.id}/rights/{future['rightId']}/usage")
    assert response.status_code == 409 and response.json()["code"] == "right_not_active"


def test_usage_with_basic_of_the_service_provider(alice, shop):
    right = _make(alice, shop, serviceProviderId="svc.example")
    provider = grantor_client("svc.example", "rights:write")
    response = provider.post(f"/id/users/{alice.id}/rights/{right['rightId']}/usage")
    assert response.status_code == 200 and response.json()["used"] is True


def test_bearer_reads_only_its_own_users_rights(alice, bob, shop, bearer_client):
    _make(alice, shop)
    http = bearer_client(bob, "id.user.right.read")
    response = http.get(f"/id/users/{alice.id}/rights")
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    assert http.get("/id/users/me/rights").json()["right"] == []


def test_bearer_cannot_write_rights(alice, shop, bearer_client):
    right = _make(alice, shop)
    http = bearer_client(alice, "id.user.right.read id.user.right.use")
    response = http.put(f"/id/users/me/rights/{right['rightId']}", {}, content_type=JSON)
    assert response.status_code == 401


def test_anonymous_gets_401_with_challenges(alice, anon):
    response = anon.get(f"/id/users/{alice.id}/rights")
    assert response.status_code == 401
    assert "Bearer" in response["WWW-Authenticate"] and "Basic" in response["WWW-Authenticate"]


def test_idempotency_key_replays_a_grant(alice, shop):
    url = f"/id/users/{alice.id}/rights"
    body = {"sku": "A", "timeSpec": "P1D"}
    first = shop.post(url, body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-1")
    second = shop.post(url, body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and Right.objects.count() == 1


@pytest.mark.parametrize("count", [1, 50])
def test_the_rights_list_runs_a_constant_number_of_queries(
    alice, shop, bearer_client, django_assert_max_num_queries, count
):
    from rights.services import RightGrant, right_create
    from rights.validators.timespec import Interval
    from tests.factories import TEST_ACTOR

    for i in range(count):
        right_create(
            user=alice,
            grantor_id="shop",
            grant=RightGrant(sku=f"S{i}", interval=Interval(NOW, NOW + dt.timedelta(days=1))),
            actor=TEST_ACTOR,
        )
    bearer = bearer_client(alice, "id.user.right.read")
    with django_assert_max_num_queries(2):
        response = bearer.get("/id/users/me/rights?active=NOW")
    assert len(response.json()["right"]) == count
    reader = grantor_client("svc", "rights:read")
    reader.get(f"/id/users/{alice.id}/rights")  # records the credential's last use
    with django_assert_max_num_queries(2):
        response = reader.get(f"/id/users/{alice.id}/rights?active=NOW")
    assert len(response.json()["right"]) == count


def test_the_list_shows_each_right_exactly_as_its_own_get_does(alice, shop):
    # The list's rows are formatted by PostgreSQL, the single GET by Python: they must agree,
    # on fractions of a second (shown only when present, without trailing zeros) and on the
    # state at the moment of the read (CREATED before the interval, EXPIRED after it).
    now = dt.datetime.now(dt.UTC)
    intervals = [
        (now - dt.timedelta(days=1), now + dt.timedelta(days=1)),  # ACTIVE
        (now + dt.timedelta(days=1), now + dt.timedelta(days=2)),  # CREATED
        (now - dt.timedelta(days=3), now - dt.timedelta(days=2)),  # EXPIRED
    ]
    for start, end in intervals:
        right_id = post_right(shop, alice).json()["rightId"]
        Right.objects.filter(pk=right_id).update(
            start=start.replace(microsecond=0), end=end.replace(microsecond=0)
        )
    fractional = Right.objects.order_by("start").first()
    fractional.start = fractional.start.replace(microsecond=250000)
    fractional.end = fractional.end.replace(microsecond=120)
    fractional.save(update_fields=["start", "end"])
    listed = shop.get(f"/id/users/{alice.id}/rights").json()["right"]
    assert [r["state"] for r in listed] == ["EXPIRED", "ACTIVE", "CREATED"]
    for right in listed:
        assert right == shop.get(right["href"]).json()
    assert listed[0]["timeInterval"].split("/")[0].endswith(".25Z")
    assert listed[0]["timeInterval"].split("/")[1].endswith(".00012Z")
    assert "." not in listed[1]["timeInterval"]  # whole seconds: no fraction at all
