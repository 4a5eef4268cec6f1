"""Retention: events are kept EVENT_RETENTION_DAYS, then deleted with what hangs off them."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from events.models import Event, WebhookDelivery

logger = logging.getLogger(__name__)


@transaction.atomic
def events_purge(*, retention: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete the events older than *retention*, with their queue messages (acknowledged or
    not: a consumer that has not fetched an event in that time will not, like SQS's retention
    period) and their webhook deliveries and attempts. An event with a webhook delivery still
    being retried is kept until that delivery ends. Return how many events went."""
    cutoff = (now or timezone.now()) - retention
    old = Event.objects.filter(created_at__lt=cutoff).exclude(
        webhook_deliveries__state=WebhookDelivery.State.PENDING
    )
    _, by_model = old.delete()
    count = by_model.get(Event._meta.label, 0)
    if count:
        logger.info("purged %d events older than %s", count, cutoff.isoformat())
    return count
