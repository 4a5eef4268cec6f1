"""Admin of payments: read-only records; refunds and stops go through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.audit import Actor
from connect_id.errors import DomainError
from payments import services
from payments.models import Agreement, PaymentMethod, Transaction


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _actor(request: HttpRequest) -> Actor:
    return Actor.of_admin(request.user)  # type: ignore[arg-type]


@admin.register(Transaction)
class TransactionAdmin(ReadOnly):
    list_display = (
        "id",
        "merchant_id",
        "order_id",
        "type",
        "state",
        "amount",
        "user",
        "payment_instrument",
        "created_at",
    )
    list_filter = ("state", "type", "charged_method", "merchant_id")
    search_fields = ("id", "order_id", "merchant_id", "user__id", "provider_reference")
    readonly_fields = [f.name for f in Transaction._meta.fields]
    actions = ["refund_in_full"]

    @admin.action(description="Refund the selected transactions in full")
    def refund_in_full(self, request: HttpRequest, queryset: QuerySet[Transaction]) -> None:
        done = 0
        for tx in queryset:
            try:
                services.transaction_refund(
                    transaction_id=tx.pk,
                    merchant_id=None,
                    actor=_actor(request),
                    issuer="admin",
                    reason="Refunded from the admin",
                )
                done += 1
            except DomainError as exc:
                messages.error(request, f"{tx.pk}: {exc.message}")
        if done:
            messages.success(request, f"{done} transactions refunded.")


@admin.register(Agreement)
class AgreementAdmin(ReadOnly):
    list_display = (
        "id",
        "merchant_id",
        "user",
        "state",
        "recurrence_time_spec",
        "next_charge_at",
        "failed_attempts",
    )
    list_filter = ("state", "merchant_id")
    search_fields = ("id", "merchant_id", "user__id")
    readonly_fields = [f.name for f in Agreement._meta.fields]
    actions = ["stop"]

    @admin.action(description="Stop the selected agreements (the paid period is kept)")
    def stop(self, request: HttpRequest, queryset: QuerySet[Agreement]) -> None:
        for agreement in queryset:
            try:
                services.agreement_stop(agreement_id=agreement.pk, actor=_actor(request))
            except DomainError as exc:
                messages.error(request, f"{agreement.pk}: {exc.message}")
        messages.success(request, "Agreements stopped.")


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnly):
    list_display = ("id", "user", "kind", "provider", "brand", "last4", "created_at", "removed_at")
    list_filter = ("kind", "provider")
    search_fields = ("id", "user__id", "last4")
    readonly_fields = [f.name for f in PaymentMethod._meta.fields]
