"""Services of the events domain: the only code that writes events, queues and webhooks."""

from events.services.publish import event_message, event_publish
from events.services.queues import (
    Delivery,
    event_queue_create,
    event_queue_set_enabled,
    queue_message_ack,
    queue_message_next,
)
from events.services.retention import events_purge
from events.services.webhooks import (
    DeliveryFailed,
    webhook_delivery_attempt,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
)

__all__ = [
    "Delivery",
    "DeliveryFailed",
    "event_message",
    "event_publish",
    "event_queue_create",
    "event_queue_set_enabled",
    "events_purge",
    "queue_message_ack",
    "queue_message_next",
    "webhook_delivery_attempt",
    "webhook_endpoint_create",
    "webhook_endpoint_disable",
    "webhook_endpoint_enable",
]
