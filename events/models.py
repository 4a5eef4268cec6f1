"""Models of the events domain: the outbox, Event Queues (spec §1.4) and webhook endpoints."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from events.ids import new_event_id, new_queue_id


class Event(models.Model):
    """The outbox row: one domain event, written in the transaction of the change it reports."""

    id = models.CharField(primary_key=True, max_length=19, default=new_event_id, editable=False)
    name = models.CharField(max_length=200, help_text="CONNECT's full event name.")
    user_id = models.CharField(max_length=64, blank=True, db_index=True)
    # The grantors or service providers the event was fanned out to.
    owners = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    # The event exactly as consumers see it (eventId, eventName, timestamp, …, the body fields).
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} {self.id}"


class EventQueue(models.Model):
    """A pull queue of one owner (a grantor or service provider): spec §1.4."""

    id = models.CharField(
        "queue id", primary_key=True, max_length=64, default=new_queue_id, editable=False
    )
    owner_id = models.CharField(
        max_length=100, db_index=True, help_text="The grantor or service provider id it serves."
    )
    name = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(
        default=True, help_text="A disabled queue receives no new events and answers 404."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner_id", "created_at"]

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.name or self.id}"


class QueueMessage(models.Model):
    """One event waiting in one queue until a consumer acknowledges it (at-least-once)."""

    queue = models.ForeignKey(EventQueue, on_delete=models.CASCADE, related_name="messages")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="queue_messages")
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # `next` hands out only messages whose visible_after has passed, then pushes it forward by the
    # visibility timeout (spec §1.4: 30 s) so an unacknowledged message comes back.
    visible_after = models.DateTimeField(default=timezone.now)
    # SHA-256 of the receipt handed out by the latest `next`; older receipts are stale.
    receipt_digest = models.CharField(max_length=64, blank=True, editable=False)
    receive_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["queue", "visible_after", "id"]
        indexes = [
            # "The next visible message of a queue": WHERE queue_id = … AND visible_after <= now
            # ORDER BY visible_after, id.
            models.Index(fields=["queue", "visible_after", "id"], name="queuemessage_next"),
        ]

    def __str__(self) -> str:
        return str(self.message_id)


class WebhookEndpoint(models.Model):
    """An owner's HTTPS endpoint that receives the same events pushed, signed per Standard
    Webhooks."""

    owner_id = models.CharField(
        max_length=100, db_index=True, help_text="The grantor or service provider id it serves."
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # The `whsec_…` secret encrypted with a key derived from SECRET_KEY (events.crypto): the
    # signer needs the secret itself, so a digest would not do. It is shown once, at creation.
    secret_encrypted = models.TextField(editable=False)
    contact_email = models.EmailField(
        help_text="Told by mail when the endpoint is disabled after repeated failures."
    )
    enabled = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Deliveries given up in a row; reset by a successful delivery."
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner_id", "created_at"]

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.url}"


class WebhookDelivery(models.Model):
    """The push of one event to one endpoint, retried with backoff until delivered or given up."""

    class State(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed", "failed (given up)"
        SKIPPED = "skipped", "skipped (endpoint disabled)"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="webhook_deliveries")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            # One delivery per event and endpoint: a job run twice delivers once.
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhookdelivery_once"),
            models.CheckConstraint(
                condition=~Q(state="delivered") | Q(delivered_at__isnull=False),
                name="webhookdelivery_delivered_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.endpoint_id} ({self.state})"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery, kept for the owner's and the operator's diagnosis."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhookattempt_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.number}: {self.status or self.error}"
