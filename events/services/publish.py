"""event_publish: the outbox write and its fan-out to queues and webhook endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from events.ids import new_event_id
from events.models import Event, EventQueue, QueueMessage, WebhookDelivery, WebhookEndpoint

# The fan-out is two INSERT … SELECT statements written once: one round trip each, whatever the
# number of queues or endpoints, and no ORM statement to build on a hot write path.
_FAN_OUT_QUEUES = f"""
    INSERT INTO {QueueMessage._meta.db_table}
        (queue_id, event_id, message_id, visible_after, receipt_digest, receive_count, created_at)
    SELECT q.id, %(event)s, gen_random_uuid(), %(now)s, '', 0, %(now)s
    FROM {EventQueue._meta.db_table} q
    WHERE q.owner_id = ANY(%(owners)s) AND q.enabled
"""  # noqa: S608 (table names from the models; values are bound parameters)
_FAN_OUT_ENDPOINTS = f"""
    INSERT INTO {WebhookDelivery._meta.db_table}
        (endpoint_id, event_id, state, attempts, last_error, next_attempt_at, created_at)
    SELECT e.id, %(event)s, 'pending', 0, '', %(now)s, %(now)s
    FROM {WebhookEndpoint._meta.db_table} e
    WHERE e.owner_id = ANY(%(owners)s) AND e.enabled
    RETURNING id
"""  # noqa: S608 (table names from the models; values are bound parameters)


def event_message(
    *, event_id: str, name: str, user_id: str, at: dt.datetime, body: dict[str, Any]
) -> dict[str, Any]:
    """The event as consumers see it (spec §1.4): CONNECT's envelope, then the body's fields."""
    at_utc = at.astimezone(dt.UTC)
    message: dict[str, Any] = {
        "eventId": event_id,
        "eventName": name,
        "timestamp": int(at_utc.timestamp() * 1000),
        "isoTimestamp": at_utc.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{at_utc.microsecond // 1000:03d}Z",
        "userId": user_id,
    }
    for key, value in body.items():
        # The envelope is ours: a body cannot forge another event's id or name.
        message.setdefault(key, value)
    return message


@transaction.atomic(savepoint=False)
def event_publish(*, name: str, user_id: str, owners: list[str], body: dict[str, Any]) -> Event:
    """Record an event in the outbox, in the caller's transaction, and fan it out to the Event
    Queues and webhook endpoints of each owner (grantor or service provider id).

    Everything happens in the caller's transaction: if it rolls back, the event, its queue
    messages and its webhook jobs never existed. Costs three to five statements whatever the
    number of owners, queues and endpoints. Disabled queues and endpoints are skipped.
    """
    now = timezone.now()
    event_id = new_event_id()
    owner_ids = list(dict.fromkeys(owner for owner in owners if owner))
    payload = event_message(event_id=event_id, name=name, user_id=user_id, at=now, body=body)
    event = Event(
        id=event_id, name=name, user_id=user_id, owners=owner_ids, payload=payload, created_at=now
    )
    event.save(force_insert=True)
    if not owner_ids:
        return event
    params: dict[str, Any] = {"event": event_id, "now": now, "owners": owner_ids}
    with connection.cursor() as cursor:
        cursor.execute(_FAN_OUT_QUEUES, params)
        cursor.execute(_FAN_OUT_ENDPOINTS, params)
        delivery_ids = [row[0] for row in cursor.fetchall()]
    if delivery_ids:
        # Deferred through Django's connection, so inside this same transaction (see
        # events.tasks): a rolled-back change enqueues nothing.
        from events.tasks import webhook_deliver

        webhook_deliver.batch_defer(*({"delivery_id": pk} for pk in delivery_ids))
    return event
