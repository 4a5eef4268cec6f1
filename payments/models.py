"""Transactions (single charges and refunds), charging agreements and saved payment methods.

Amounts are kept as integers of the currency's ISO 4217 minor units beside the currency code; the
API's `"NOK 100.00"` strings are made by payments.validators.Money. No card number or CVC is ever
stored: a method is the provider's reference, its brand and its last four digits (PCI DSS).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from payments.ids import new_agreement_id, new_method_id, new_transaction_id
from payments.validators import Money


class PaymentMethod(models.Model):
    """A method a user let us charge again: a card at the provider, or carrier billing."""

    class Kind(models.TextChoices):
        CARD = "CARD"
        CARRIER_BILLING = "CARRIER_BILLING"

    id = models.CharField(primary_key=True, max_length=24, default=new_method_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_methods"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    provider = models.CharField(max_length=40)
    method_ref = models.CharField(max_length=200)
    customer_ref = models.CharField(max_length=200, blank=True)
    brand = models.CharField(max_length=40, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # A removed method is kept for the history of the transactions it paid, never charged again.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "method_ref"], name="payment_method_once"),
            models.CheckConstraint(condition=Q(last4__regex=r"^[0-9]{0,4}$"), name="method_last4"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} ****{self.last4}" if self.last4 else self.brand or self.kind

    @property
    def label(self) -> str:
        """What the payer and the merchant see (`paymentInstrument`): `"visa ****4242"`."""
        return str(self)


class Transaction(models.Model):
    """A charge prepared by a merchant and paid on the payment page, a charge of an agreement, or a
    refund (type REFUND, pointing at the purchase it gives money back for)."""

    class State(models.TextChoices):
        STARTED = "STARTED"  # created, waiting for the payer
        COMPLETED = "COMPLETED"
        FAILED = "FAILED"  # a charge of an agreement that could not be made
        CANCELLED = "CANCELLED"  # the payer cancelled on the payment page
        REFUNDED = "REFUNDED"  # a purchase refunded in full

    class Type(models.TextChoices):
        PURCHASE = "PURCHASE"
        RECURRING = "RECURRING"  # a later charge of an agreement
        REFUND = "REFUND"

    id = models.CharField(
        primary_key=True, max_length=40, default=new_transaction_id, editable=False
    )
    merchant_id = models.CharField(max_length=100)  # the grantor id of the merchant's credential
    merchant_name = models.CharField(max_length=145)
    order_id = models.CharField(max_length=100)
    client_correlator = models.CharField(max_length=100, blank=True)
    type = models.CharField(max_length=12, choices=Type.choices, default=Type.PURCHASE)
    state = models.CharField(max_length=12, choices=State.choices, default=State.STARTED)
    # The payer: fixed at creation (`connectId`) or when a signed-in user first opens the page.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transactions",
    )
    purchase_description = models.CharField(max_length=1023)
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    vat_rate = models.DecimalField(max_digits=5, decimal_places=4)
    vat_minor = models.BigIntegerField()
    refunded_minor = models.BigIntegerField(default=0)
    products = models.JSONField(default=list, blank=True)
    allowed_methods = models.JSONField(default=list, blank=True)
    success_redirect = models.CharField(max_length=145, blank=True)
    cancel_redirect = models.CharField(max_length=145, blank=True)
    attributes = models.JSONField(null=True, blank=True)
    # How it was paid: the method kind, what it showed as, the provider's references.
    charged_method = models.CharField(max_length=20, blank=True)
    payment_instrument = models.CharField(max_length=64, blank=True)
    payment_method = models.ForeignKey(
        PaymentMethod, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider = models.CharField(max_length=40, blank=True)
    provider_reference = models.CharField(max_length=200, blank=True)
    # The last decline or failure code of a charge attempt ("" after a success).
    return_code = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    agreement = models.ForeignKey(
        "payments.Agreement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="charges",
    )
    # For a charge of an agreement: the index of the period it pays (0: the first payment).
    period_index = models.PositiveIntegerField(null=True, blank=True)
    previous_transaction = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund_for = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    refund_issuer = models.CharField(max_length=145, blank=True)
    refund_reason = models.CharField(max_length=1023, blank=True)
    # The rights its products' SKUs created, so that a refund can terminate them.
    right_ids = models.JSONField(default=list, blank=True)
    generation = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="payments_tx_user_created"),
        ]
        constraints = [
            # spec §5.2: orderId is the merchant's id, unique (per merchant: two merchants'
            # orders never collide); refunds and agreement charges carry their purchase's.
            models.UniqueConstraint(
                fields=["merchant_id", "order_id"],
                condition=Q(type="PURCHASE"),
                name="payments_order_once_per_merchant",
            ),
            # An agreement's period is charged once, whatever runs the renewal.
            models.UniqueConstraint(
                fields=["agreement", "period_index"],
                condition=Q(agreement__isnull=False) & ~Q(type="REFUND"),
                name="payments_one_charge_per_period",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="payments_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0)
                & Q(refunded_minor__lte=models.F("amount_minor")),
                name="payments_refund_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.amount} {self.state}"

    @property
    def amount(self) -> Money:
        return Money(self.currency, self.amount_minor)

    @property
    def vat_amount(self) -> Money:
        return Money(self.currency, self.vat_minor)

    @property
    def refundable(self) -> Money:
        return Money(self.currency, self.amount_minor - self.refunded_minor)


class Agreement(models.Model):
    """A charging agreement (spec §5.3): the first payment on the page activates it; later charges
    of the same amount run from the job queue on `recurrence_time_spec` with the saved method."""

    class State(models.TextChoices):
        CREATED = "CREATED"  # waiting for the first payment
        ACTIVE = "ACTIVE"
        SUSPENDED = "SUSPENDED"  # a renewal could not be charged after its retries
        STOPPED = "STOPPED"  # stopped by the merchant or the user; the paid period is kept
        CANCELLED = "CANCELLED"  # the payer cancelled the first payment

    id = models.CharField(primary_key=True, max_length=40, default=new_agreement_id, editable=False)
    merchant_id = models.CharField(max_length=100)
    merchant_name = models.CharField(max_length=145)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agreements"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.CREATED)
    recurrence_time_spec = models.CharField(max_length=200)
    trial_period = models.CharField(max_length=40, blank=True)
    verification_transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="verified_agreement"
    )
    payment_method = models.ForeignKey(
        PaymentMethod, null=True, blank=True, on_delete=models.PROTECT, related_name="agreements"
    )
    subscription = models.ForeignKey(
        "rights.Subscription", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The schedule, fixed at activation: charge k (k ≥ 1) is due at anchor + (k-1)·period, where
    # the anchor is the end of the trial or of the first paid period.
    anchor = models.DateTimeField(null=True, blank=True)
    period = models.CharField(max_length=40, blank=True)  # ISO 8601 duration, e.g. P1M
    repetitions = models.PositiveIntegerField(null=True, blank=True)
    next_charge_index = models.PositiveIntegerField(default=1)
    next_charge_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveIntegerField(default=0)
    generation = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_charge_at"],
                condition=Q(state="ACTIVE"),
                name="payments_agreement_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.merchant_name} {self.state}"
