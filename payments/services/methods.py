"""Writes of saved payment methods: the user removes one."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.audit import Actor, audit_record
from accounts.models import User
from payments import providers
from payments.errors import PaymentMethodInUse, PaymentMethodNotFound
from payments.models import Agreement, PaymentMethod
from payments.providers.base import ProviderUnavailable, SavedMethod

logger = logging.getLogger(__name__)


@transaction.atomic
def payment_method_remove(*, user: User, method_id: str, actor: Actor) -> PaymentMethod:
    """Remove one of *user*'s saved methods: never charged again, forgotten at the provider.
    A method still paying an active agreement cannot be removed (stop the agreement first).

    Raise PaymentMethodNotFound (also for another user's method), PaymentMethodInUse.
    """
    method = (
        PaymentMethod.objects.select_for_update()
        .filter(pk=method_id, user=user, removed_at__isnull=True)
        .first()
    )
    if method is None:
        raise PaymentMethodNotFound()
    if Agreement.objects.filter(payment_method=method, state=Agreement.State.ACTIVE).exists():
        raise PaymentMethodInUse()
    method.removed_at = timezone.now()
    method.save(update_fields=["removed_at"])
    audit_record(actor=actor, action="payment_method.removed", subject=user, target=method)
    if method.kind == PaymentMethod.Kind.CARD and method.provider == providers.card_provider().name:
        try:
            providers.card_provider().detach(
                method=SavedMethod(
                    provider=method.provider,
                    method_ref=method.method_ref,
                    customer_ref=method.customer_ref,
                )
            )
        except ProviderUnavailable:
            # Removed on our side already (never charged again); the provider keeps a detached
            # reference it cannot use without us.
            logger.warning("Could not detach payment method %s at the provider", method.pk)
    return method
