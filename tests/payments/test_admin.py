"""The admin pages of payments: readable, read-only, and a refund that goes through the service."""

from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote

from payments.models import Agreement, PaymentMethod, Transaction
from payments.services import NewAgreement, PayChoice, agreement_create, transaction_pay
from tests.factories import TEST_ACTOR
from tests.payments.conftest import GOOD_CARD, new_transaction, prepared

pytestmark = pytest.mark.django_db


def _paid(user, **kwargs) -> Transaction:
    tx = prepared(**kwargs)
    transaction_pay(
        transaction_id=tx.pk,
        user=user,
        choice=PayChoice(kind="CARD", card=GOOD_CARD, save=True),
        actor=TEST_ACTOR,
    )
    return Transaction.objects.get(pk=tx.pk)


def test_admin_lists_and_details_are_readable_and_read_only(admin_client, alice):
    tx = _paid(alice)
    agreement = agreement_create(
        merchant_id="SHOP",
        merchant_name="Test Shop",
        user=alice,
        new=NewAgreement(
            recurrence_time_spec="R//P1M", verification=new_transaction(order_id="ag-1")
        ),
        actor=TEST_ACTOR,
    )
    method = PaymentMethod.objects.get(user=alice)
    for model, obj in (("transaction", tx), ("agreement", agreement), ("paymentmethod", method)):
        assert admin_client.get(f"/admin/payments/{model}/").status_code == 200, model
        # The admin's own links quote the pk ("_" is its escape character: a raw "pm_22…" reads
        # as 'pm"…').
        detail = admin_client.get(f"/admin/payments/{model}/{quote(obj.pk)}/change/")
        assert detail.status_code == 200, model
        assert b'name="_save"' not in detail.content, model
        assert admin_client.get(f"/admin/payments/{model}/add/").status_code == 403, model
    page = admin_client.get(f"/admin/payments/transaction/{quote(tx.pk)}/change/")
    assert page.status_code == 200 and b"4242424242424242" not in page.content


def test_admin_refund_action_refunds_through_the_service(admin_client, alice):
    tx = _paid(alice)
    response = admin_client.post(
        "/admin/payments/transaction/",
        {"action": "refund_in_full", "_selected_action": [tx.pk]},
        follow=True,
    )
    assert response.status_code == 200
    tx.refresh_from_db()
    assert tx.state == "REFUNDED"
    refund = Transaction.objects.get(refund_for=tx)
    assert (refund.type, refund.refund_issuer) == ("REFUND", "admin")


def test_admin_stop_action_stops_an_agreement(admin_client, alice):
    agreement = agreement_create(
        merchant_id="SHOP",
        merchant_name="Test Shop",
        user=alice,
        new=NewAgreement(
            recurrence_time_spec="R//P1M", verification=new_transaction(order_id="ag-2")
        ),
        actor=TEST_ACTOR,
    )
    admin_client.post(
        "/admin/payments/agreement/", {"action": "stop", "_selected_action": [agreement.pk]}
    )
    assert Agreement.objects.get(pk=agreement.pk).state == "CANCELLED"
