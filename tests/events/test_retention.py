"""Events are kept EVENT_RETENTION_DAYS, then go with their queue messages and deliveries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from events.models import Event, QueueMessage, WebhookDelivery
from events.services import event_publish, events_purge
from events.tasks import purge_events
from tests.events.factories import EventQueueFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db
RETENTION = dt.timedelta(days=14)


def publish(owner: str = "shop") -> Event:
    return event_publish(
        name="com.comoyo.events.right.RightGranted",
        user_id="5984355786103463936",
        owners=[owner],
        body={"grantorId": owner},
    )


def age(event: Event, days: int) -> None:
    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - dt.timedelta(days=days))


def test_old_events_go_with_their_unacknowledged_messages_and_fresh_ones_stay(settings):
    settings.JOBS_EAGER = False  # keep the webhook deliveries pending until we say otherwise
    EventQueueFactory(owner_id="shop")
    old, fresh = publish(), publish()
    age(old, 15)
    assert QueueMessage.objects.filter(event=old).exists()
    assert events_purge(retention=RETENTION) == 1
    assert list(Event.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not QueueMessage.objects.filter(event_id=old.pk).exists()
    assert QueueMessage.objects.filter(event=fresh).exists()


def test_an_event_whose_webhook_is_still_being_retried_is_kept_until_it_ends(settings):
    settings.JOBS_EAGER = False
    WebhookEndpointFactory(owner_id="shop")
    event = publish()
    age(event, 30)
    assert WebhookDelivery.objects.get(event=event).state == WebhookDelivery.State.PENDING
    assert events_purge(retention=RETENTION) == 0
    WebhookDelivery.objects.filter(event=event).update(state=WebhookDelivery.State.FAILED)
    assert events_purge(retention=RETENTION) == 1
    assert not WebhookDelivery.objects.exists()


def test_the_hourly_job_uses_the_retention_setting(settings):
    settings.EVENT_RETENTION_DAYS = 2
    event = publish("nobody")
    age(event, 3)
    purge_events(timestamp=0)
    assert not Event.objects.filter(pk=event.pk).exists()
