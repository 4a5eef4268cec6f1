"""Event Queue services (spec §1.4): create a queue, hand out the next message, acknowledge it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from events.errors import ReceiptRequired, ReceiptStale, ReceiptUnknown
from events.ids import new_receipt
from events.models import Event, EventQueue, QueueMessage
from events.validators import normalize_owner_id

logger = logging.getLogger(__name__)

# A receipt is the message's UUID (32 hex digits) followed by a fresh random part; only a digest
# of the random part is stored. The UUID lets `ack` tell a stale receipt (the message was handed
# out again since) from an unknown one (no such message: acknowledged already, or never issued).
_RECEIPT_RE = re.compile(r"([0-9a-f]{32})([A-Za-z0-9_-]{16,128})")

# One statement: pick the oldest visible message of the queue that no concurrent `next` holds
# (SKIP LOCKED: two consumers never get the same message), push its visibility forward, store the
# new receipt's digest, and return the event with it.
_NEXT = f"""
    UPDATE {QueueMessage._meta.db_table} m
    SET visible_after = %(until)s, receipt_digest = %(digest)s, receive_count = m.receive_count + 1
    FROM {Event._meta.db_table} e
    WHERE e.id = m.event_id AND m.id = (
        SELECT id FROM {QueueMessage._meta.db_table}
        WHERE queue_id = %(queue)s AND visible_after <= %(now)s
        ORDER BY visible_after, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    RETURNING m.message_id, m.receive_count, e.payload
"""  # noqa: S608 (table names from the models; values are bound parameters)


@dataclass(frozen=True)
class Delivery:
    """A message handed out by `next`: its id, the event, and the receipt that acknowledges it."""

    message_id: uuid.UUID
    receipt_id: str
    event: dict[str, Any]
    receive_count: int


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def event_queue_create(*, owner_id: str, actor: str, name: str = "") -> EventQueue:
    """Open an Event Queue for a grantor or service provider; events published to that owner from
    now on are queued in it. Raise OwnerIdInvalid."""
    queue = EventQueue.objects.create(owner_id=normalize_owner_id(owner_id), name=name.strip())
    # The audit trail lives in accounts, above this domain: the log records who opened it.
    logger.info("event queue %s opened for %s by %s", queue.pk, queue.owner_id, actor)
    return queue


@transaction.atomic
def queue_message_next(*, queue: EventQueue, now: dt.datetime | None = None) -> Delivery | None:
    """Hand out the next visible message of *queue* with a fresh receipt, or None when there is
    none. The message stays invisible for EVENT_QUEUE_VISIBILITY_SECONDS (spec §1.4: 30 s) and
    comes back with a new receipt unless acknowledged; the previous receipt becomes stale."""
    now = now or timezone.now()
    until = now + dt.timedelta(seconds=settings.EVENT_QUEUE_VISIBILITY_SECONDS)
    secret = new_receipt()
    params: dict[str, Any] = {
        "queue": queue.pk,
        "now": now,
        "until": until,
        "digest": _digest(secret),
    }
    with connection.cursor() as cursor:
        cursor.execute(_NEXT, params)
        row = cursor.fetchone()
    if row is None:
        return None
    message_id, receive_count, payload = row
    if isinstance(payload, str):  # Django's psycopg setup leaves jsonb to JSONField to decode
        payload = json.loads(payload)
    message_id = message_id if isinstance(message_id, uuid.UUID) else uuid.UUID(str(message_id))
    return Delivery(
        message_id=message_id,
        receipt_id=message_id.hex + secret,
        event=payload,
        receive_count=receive_count,
    )


@transaction.atomic
def queue_message_ack(*, queue: EventQueue, receipt_id: str) -> None:
    """Acknowledge and delete the message of *queue* that *receipt_id* was issued for.

    Raise ReceiptRequired (no receipt), ReceiptUnknown (no such message in this queue: already
    acknowledged, or never issued) or ReceiptStale (the message was handed out again since).
    """
    receipt_id = (receipt_id or "").strip()
    if not receipt_id:
        raise ReceiptRequired(field="receiptId")
    match = _RECEIPT_RE.fullmatch(receipt_id)
    if match is None:
        raise ReceiptUnknown(field="receiptId")
    message_id, secret = uuid.UUID(match[1]), match[2]
    message = (
        QueueMessage.objects.select_for_update()
        .filter(queue=queue, message_id=message_id)
        .only("pk", "receipt_digest")
        .first()
    )
    if message is None:
        raise ReceiptUnknown(field="receiptId")
    if not hmac.compare_digest(message.receipt_digest, _digest(secret)):
        raise ReceiptStale(field="receiptId")
    QueueMessage.objects.filter(pk=message.pk).delete()


@transaction.atomic
def event_queue_set_enabled(*, queue: EventQueue, enabled: bool, actor: str) -> EventQueue:
    """Enable or disable a queue. A disabled queue receives no new events and its API answers
    404; the messages it holds stay until it is enabled again (or deleted)."""
    if queue.enabled != enabled:
        queue.enabled = enabled
        queue.save(update_fields=["enabled"])
        logger.info(
            "event queue %s %s by %s", queue.pk, "enabled" if enabled else "disabled", actor
        )
    return queue
