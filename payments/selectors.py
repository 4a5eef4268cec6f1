"""Reads of the payment domain. A merchant reads only its own; a user only theirs."""

from __future__ import annotations

from django.db.models import QuerySet

from payments.models import Agreement, PaymentMethod, Transaction


def transaction_of_merchant(*, merchant_id: str, transaction_id: str) -> Transaction | None:
    return Transaction.objects.filter(pk=transaction_id, merchant_id=merchant_id).first()


def transactions_of_merchant_by_order(*, merchant_id: str, order_id: str) -> list[Transaction]:
    """The purchase with this orderId, then its refunds and agreement charges, oldest first."""
    return list(
        Transaction.objects.filter(merchant_id=merchant_id, order_id=order_id).order_by(
            "created_at", "id"
        )
    )


def transaction_of_user(*, user_id: str, transaction_id: str) -> Transaction | None:
    return Transaction.objects.filter(pk=transaction_id, user_id=user_id).first()


def transaction_for_page(*, transaction_id: str) -> Transaction | None:
    """A transaction by its (unguessable) id, for the payment page, which checks the payer."""
    return Transaction.objects.filter(pk=transaction_id).first()


def transactions_of_user(*, user_id: str, limit: int = 200) -> list[Transaction]:
    """The user's purchase history, newest first: what was paid, refunded or is waiting."""
    return list(
        Transaction.objects.filter(user_id=user_id)
        .exclude(state=Transaction.State.STARTED, attempts=0)
        .select_related("refund_for")
        .order_by("-created_at", "-id")[:limit]
    )


def agreement_of_merchant(*, merchant_id: str, agreement_id: str) -> Agreement | None:
    return (
        Agreement.objects.filter(pk=agreement_id, merchant_id=merchant_id)
        .select_related("verification_transaction", "payment_method")
        .first()
    )


def agreements_of_merchant(
    *, merchant_id: str, user_id: str | None = None, state: str | None = None
) -> QuerySet[Agreement]:
    agreements = Agreement.objects.filter(merchant_id=merchant_id).select_related(
        "verification_transaction", "payment_method"
    )
    if user_id:
        agreements = agreements.filter(user_id=user_id)
    if state:
        agreements = agreements.filter(state=state)
    return agreements.order_by("-created_at", "-id")


def agreements_of_user(*, user_id: str) -> list[Agreement]:
    return list(
        Agreement.objects.filter(user_id=user_id)
        .exclude(state=Agreement.State.CREATED)
        .select_related("verification_transaction", "payment_method")
        .order_by("-created_at")
    )


def methods_of_user(*, user_id: str) -> list[PaymentMethod]:
    """Saved methods the user may pay with again (removed ones are not shown)."""
    return list(PaymentMethod.objects.filter(user_id=user_id, removed_at__isnull=True))
