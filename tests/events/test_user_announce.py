"""UserAnnounce: linking a business unit's customer queues an event for that business unit."""

from __future__ import annotations

import pytest

from events.models import Event
from tests.events.conftest import basic_header
from tests.events.factories import EventQueueFactory
from tests.factories import ApiCredentialFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


def _link(client, user_id: str, body: dict):
    return client.post(f"/id/users/{user_id}/accounts", body, content_type="application/json")


def test_linking_a_customer_announces_the_user_on_the_bus_queue(alice, grantor_client, client):
    queue = EventQueueFactory(owner_id="bu-1")
    other = EventQueueFactory(owner_id="bu-2")
    writer = ApiCredentialFactory(operations=["accounts:write"])
    client.defaults["HTTP_AUTHORIZATION"] = basic_header(writer.username, writer.secret)
    assert _link(client, alice.id, {"type": "bu-1", "userid": "c-9"}).status_code == 201

    bu = grantor_client("bu-1")
    body = bu.post(f"/event/queue/{queue.pk}/next").json()
    event = body["event"]
    assert event["eventName"] == "UserAnnounce"
    assert event["userId"] == alice.id
    assert event["userid"] == "c-9"
    assert event["type"] == "bu-1"
    # No msisdn in the link: the user's verified preferred phone is announced.
    assert event["msisdn"] == "4791111111"
    assert grantor_client("bu-2").post(f"/event/queue/{other.pk}/next").status_code == 204


def test_the_links_msisdn_is_announced(alice, client):
    writer = ApiCredentialFactory(operations=["accounts:write"])
    client.defaults["HTTP_AUTHORIZATION"] = basic_header(writer.username, writer.secret)
    _link(client, alice.id, {"type": "bu-1", "userid": "c-9", "msisdn": "4799999999"})
    assert Event.objects.get(name="UserAnnounce").payload["msisdn"] == "4799999999"


def test_a_refused_link_announces_nothing(alice, bob, client):
    writer = ApiCredentialFactory(operations=["accounts:write"])
    client.defaults["HTTP_AUTHORIZATION"] = basic_header(writer.username, writer.secret)
    assert _link(client, alice.id, {"type": "bu-1", "userid": "c-9"}).status_code == 201
    assert _link(client, bob.id, {"type": "bu-1", "userid": "c-9"}).status_code == 409
    assert Event.objects.filter(name="UserAnnounce").count() == 1
