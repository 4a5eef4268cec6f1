"""Rights and subscriptions (spec §4): a right is a ticket for a time interval; a subscription
generates one right per SKU per period, up front."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.ids import new_resource_id


class Right(models.Model):
    """A user's entitlement to a SKU for [start, end).

    The stored `state` is what the grantor decided (ACTIVE or SUSPENDED; EXPIRED once written by
    no one: expiry is computed). What a reader sees is `state_at(now)`: CREATED before the
    interval starts, EXPIRED from its end on, the stored state in between. A terminated right
    keeps its row (`deleted_at`) so that its subscription never generates that period again.
    """

    class State(models.TextChoices):
        CREATED = "CREATED"
        ACTIVE = "ACTIVE"
        SUSPENDED = "SUSPENDED"
        EXPIRED = "EXPIRED"

    id = models.CharField(primary_key=True, max_length=16, default=new_resource_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rights"
    )
    grantor_id = models.CharField(max_length=100)
    grantor_context = models.CharField(max_length=200, blank=True)
    service_provider_id = models.CharField(max_length=200, blank=True)
    sku = models.CharField(max_length=100)
    payload = models.TextField(blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    used = models.BooleanField(default=False)
    generation = models.PositiveIntegerField(default=1)
    subscription = models.ForeignKey(
        "rights.Subscription",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rights",
    )
    # The start of the subscription period this right was generated for.
    period_start = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["user", "end"], name="rights_right_user_end")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="right_end_after_start"
            ),
            # Renewal idempotency: two runs, or two workers, generate a period's right once.
            models.UniqueConstraint(
                fields=["subscription", "period_start", "sku"],
                condition=Q(subscription__isnull=False),
                name="right_once_per_subscription_period",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["ACTIVE", "SUSPENDED"]), name="right_stored_state"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} for {self.user_id} ({self.pk})"

    def state_at(self, now: dt.datetime) -> str:
        if now >= self.end:
            return self.State.EXPIRED
        if now < self.start and self.state == self.State.ACTIVE:
            return self.State.CREATED
        return self.state

    def active_at(self, now: dt.datetime) -> bool:
        """ACTIVE and inside the interval: start inclusive, end exclusive."""
        return self.state == self.State.ACTIVE and self.start <= now < self.end


class Subscription(models.Model):
    """A right generator (spec §4) on a repeating time spec.

    `ends_at` is set when it stops for good (a bounded spec, or a cancel): it is EXPIRED from
    then on. `next_period` is the index of the first period whose rights are not generated yet.
    """

    class State(models.TextChoices):
        ACTIVE = "ACTIVE"
        SUSPENDED = "SUSPENDED"
        EXPIRED = "EXPIRED"

    id = models.CharField(primary_key=True, max_length=16, default=new_resource_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    grantor_id = models.CharField(max_length=100)
    grantor_context = models.CharField(max_length=200, blank=True)
    orig_time_spec = models.CharField(max_length=200)
    effective_time_spec = models.CharField(max_length=200)
    # rightsSpec: [{"sku", "timeSpec" (a duration; default the period), "serviceProviderId"?}]
    rights_spec = models.JSONField(default=list)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    period_anchor = models.DateTimeField()
    period = models.CharField(max_length=64, help_text="ISO 8601 duration of one period.")
    repetitions = models.PositiveIntegerField(null=True, blank=True)
    next_period = models.PositiveIntegerField(default=0)
    # When the rights of `next_period` are due (its start): what the renewal job looks for.
    renews_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    generation = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["renews_at"],
                condition=~Q(state="EXPIRED"),
                name="rights_subscription_due",
            ),
            models.Index(fields=["user", "grantor_id"], name="rights_subscription_user"),
        ]

    def __str__(self) -> str:
        return f"subscription {self.pk} of {self.user_id}"

    def state_at(self, now: dt.datetime) -> str:
        if self.ends_at is not None and now >= self.ends_at:
            return self.State.EXPIRED
        return self.state
