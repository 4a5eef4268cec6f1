"""/id/users/{id}/subs over HTTP: grantors see only their own; suspend, reactivate, cancel;
renewal across three periods through the job function with the clock moved."""

from __future__ import annotations

import datetime as dt

import pytest

from rights.models import Right, Subscription
from rights.tasks import renew_subscriptions
from tests.userdata.test_rights import JSON, grantor_client

# The HTTP layer uses the real clock: an anchor tomorrow, periods a week long.
START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(microsecond=0)
SPEC = f"R/{START:%Y-%m-%dT%H:%M:%SZ}/P7D"
WEEK = dt.timedelta(days=7)


@pytest.fixture
def shop(db):
    return grantor_client("shop")


def subscribe(http, user, **body):
    body.setdefault("timeSpec", "R//P1M")
    body.setdefault("rightsSpec", [{"sku": "CMO-STO-5-M", "serviceProviderId": "svc.example"}])
    return http.post(f"/id/users/{user.id}/subs", body, content_type=JSON)


def test_subscribe_answers_201_and_generates_the_current_right(alice, shop):
    response = subscribe(shop, alice, grantorContext="ctx")
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == body["href"]
    assert body["state"] == "ACTIVE" and body["grantorId"] == "shop"
    assert body["origTimeSpec"] == "R//P1M"
    assert body["effectiveTimeSpec"].startswith("R/") and body["effectiveTimeSpec"].endswith("/P1M")
    assert body["rightsSpec"] == [{"sku": "CMO-STO-5-M", "serviceProviderId": "svc.example"}]
    rights = shop.get(f"/id/users/{alice.id}/rights?active=NOW").json()["right"]
    assert len(rights) == 1
    [creator] = rights[0]["link"]
    assert creator["rel"] == "creator" and creator["idref"] == body["subscriptionId"]
    assert creator["href"] == body["href"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"timeSpec": "P1M"}, "time_spec_not_repeating"),
        ({"timeSpec": "R/nonsense/P1M"}, "time_spec_invalid"),
        ({"rightsSpec": []}, "validation_failed"),
        ({"rightsSpec": [{"sku": "A"}, {"sku": "A"}]}, "rights_spec_invalid"),
        ({"grantorId": "other"}, "grantor_mismatch"),
    ],
)
def test_bad_subscriptions_get_a_code(alice, shop, body, code):
    response = subscribe(shop, alice, **body)
    assert response.status_code in (400, 403) and response.json()["code"] == code
    assert not Subscription.objects.exists()


def test_a_credential_without_grantor_cannot_subscribe(alice, basic_client):
    response = subscribe(basic_client("subs:write"), alice)
    assert response.status_code == 403 and response.json()["code"] == "grantor_required"


def test_a_second_grantor_sees_none_of_the_first_grantors_subscriptions(alice, shop):
    sub = subscribe(shop, alice).json()
    url = sub["href"].removeprefix("http://testserver")
    other = grantor_client("other")
    assert other.get(f"/id/users/{alice.id}/subs").json()["subscription"] == []
    assert other.get(url).status_code == 404
    assert other.put(url, {"state": "SUSPENDED"}, content_type=JSON).status_code == 404
    assert other.delete(url).status_code == 404
    [mine] = shop.get(f"/id/users/{alice.id}/subs").json()["subscription"]
    assert mine["subscriptionId"] == sub["subscriptionId"]


def test_bearer_reads_its_users_subscriptions(alice, bob, shop, bearer_client):
    subscribe(shop, alice)
    http = bearer_client(alice, "id.user.sub.read")
    assert len(http.get("/id/users/me/subs").json()["subscription"]) == 1
    response = bearer_client(bob, "id.user.sub.read").get(f"/id/users/{alice.id}/subs")
    assert response.status_code == 403


def test_suspend_reactivate_and_cancel_over_http(alice, shop):
    url = subscribe(shop, alice).json()["href"].removeprefix("http://testserver")
    response = shop.put(url, {"state": "SUSPENDED"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["state"] == "SUSPENDED"
    [right] = shop.get(f"/id/users/{alice.id}/rights").json()["right"]
    assert right["state"] == "SUSPENDED"
    response = shop.put(url, {"state": "ACTIVE"}, content_type=JSON, HTTP_IF_MATCH='"2"')
    assert response.status_code == 200 and response.json()["state"] == "ACTIVE"
    [right] = shop.get(f"/id/users/{alice.id}/rights").json()["right"]
    assert right["state"] == "SUSPENDED"  # reactivation does not wake old rights
    assert (
        shop.put(url, {"state": "SUSPENDED", "generation": "1"}, content_type=JSON).status_code
        == 409
    )
    assert shop.delete(url).status_code == 204
    cancelled = shop.get(url).json()
    assert cancelled["state"] == "EXPIRED" and cancelled["effectiveTimeSpec"].startswith("R1/")
    assert len(shop.get(f"/id/users/{alice.id}/rights").json()["right"]) == 1  # kept
    response = shop.put(url, {"state": "ACTIVE"}, content_type=JSON)
    assert response.status_code == 409 and response.json()["code"] == "subscription_expired"


def test_renewal_across_three_periods_with_the_clock_moved(alice, shop, bearer_client):
    sub = subscribe(shop, alice, timeSpec=SPEC).json()
    periods = [START + WEEK * n for n in (1, 2, 3)]
    for start in periods:
        renew_subscriptions(now=start)
        renew_subscriptions(now=start)  # twice: each right once
    starts = sorted(r.start for r in Right.objects.filter(subscription_id=sub["subscriptionId"]))
    assert len(starts) == 4 and starts[1:] == periods
    http = bearer_client(alice, "id.user.right.read")
    inside = f"{periods[2] + dt.timedelta(days=3):%Y-%m-%dT%H:%M:%SZ}"
    third = http.get(f"/id/users/me/rights?active={inside}").json()["right"]
    assert [r["timeInterval"] for r in third] == [
        f"{periods[2]:%Y-%m-%dT%H:%M:%SZ}/{periods[2] + WEEK:%Y-%m-%dT%H:%M:%SZ}"
    ]
    assert third[0]["state"] == "CREATED"  # today, it has not started yet
