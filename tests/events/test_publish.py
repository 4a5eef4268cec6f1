"""event_publish: the outbox row, its fan-out, and nothing left behind by a rolled-back change."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction

from events.models import Event, EventQueue, QueueMessage, WebhookDelivery
from events.services import event_publish
from tests.events.factories import EventQueueFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def _webhook_jobs() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'events.webhook_deliver'"
        )
        return cursor.fetchone()[0]


def test_publish_adds_connects_envelope_to_the_body():
    event = event_publish(
        name="com.comoyo.events.right.RightGranted",
        user_id="5984355786103463936",
        owners=["SOMEONE"],
        body={"grantorId": "SOMEONE", "rightId": "52fd09dbd3400000", "eventId": "forged"},
    )
    payload = Event.objects.get(pk=event.pk).payload
    assert re.fullmatch(r"[1-9]\d{18}", payload["eventId"])
    assert payload["eventId"] == event.pk
    assert payload["eventName"] == "com.comoyo.events.right.RightGranted"
    assert payload["userId"] == "5984355786103463936"
    assert isinstance(payload["timestamp"], int)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", payload["isoTimestamp"])
    assert payload["grantorId"] == "SOMEONE"
    assert payload["rightId"] == "52fd09dbd3400000"


def test_publish_fans_out_only_to_the_owners_queues_and_endpoints(settings):
    settings.JOBS_EAGER = False  # count the queued jobs
    mine = EventQueueFactory(owner_id="SOMEONE")
    mine_too = EventQueueFactory(owner_id="SOMEONE")
    other = EventQueueFactory(owner_id="OTHER")
    disabled = EventQueueFactory(owner_id="SOMEONE", enabled=False)
    endpoint = WebhookEndpointFactory(owner_id="SOMEONE")
    WebhookEndpointFactory(owner_id="OTHER")

    event = event_publish(name="X", user_id="1", owners=["SOMEONE", "SOMEONE"], body={})

    queues = set(QueueMessage.objects.filter(event=event).values_list("queue_id", flat=True))
    assert queues == {mine.pk, mine_too.pk}
    assert other.pk not in queues and disabled.pk not in queues
    assert list(WebhookDelivery.objects.filter(event=event).values_list("endpoint", flat=True)) == [
        endpoint.pk
    ]
    assert _webhook_jobs() == 1


def test_publish_is_cheap(settings, django_assert_max_num_queries):
    settings.JOBS_EAGER = False
    for _ in range(5):
        EventQueueFactory(owner_id="SOMEONE")
        WebhookEndpointFactory(owner_id="SOMEONE")
    with django_assert_max_num_queries(5):
        event_publish(name="X", user_id="1", owners=["SOMEONE", "OTHER"], body={})
    assert QueueMessage.objects.count() == 5
    assert WebhookDelivery.objects.count() == 5


def test_a_rolled_back_change_leaves_no_event_message_or_job(settings):
    settings.JOBS_EAGER = False  # jobs are rows in procrastinate_jobs
    EventQueueFactory(owner_id="SOMEONE")
    WebhookEndpointFactory(owner_id="SOMEONE")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        event_publish(name="X", user_id="1", owners=["SOMEONE"], body={})
        raise Boom

    assert not Event.objects.exists()
    assert not QueueMessage.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert _webhook_jobs() == 0
    assert EventQueue.objects.count() == 1
