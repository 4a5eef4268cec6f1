"""The payment services with the built-in test provider: pay once, decline, cancel, refund, SKUs."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import AuditEvent
from events.models import Event
from payments.errors import (
    OrderIdTaken,
    ProductsInvalid,
    RefundNotAllowed,
    RefundTooLarge,
    TransactionNotPayable,
    WrongPayer,
)
from payments.models import PaymentMethod, Transaction
from payments.services import PayChoice, transaction_cancel, transaction_pay, transaction_refund
from rights.models import Right
from tests.factories import TEST_ACTOR
from tests.payments.conftest import (
    DECLINED_CARD,
    GOOD_CARD,
    OTHER_MERCHANT,
    nok,
    prepared,
    sku_product,
)

pytestmark = pytest.mark.django_db


def pay(tx, user, card=GOOD_CARD, **kwargs):
    return transaction_pay(
        transaction_id=tx.pk,
        user=user,
        choice=PayChoice(kind="CARD", card=card, **kwargs),
        actor=TEST_ACTOR,
    )


def test_a_paid_transaction_is_completed_with_the_card_shown_by_its_last_digits(alice):
    outcome = pay(prepared(), alice)
    tx = Transaction.objects.get(pk=outcome.transaction.pk)
    assert outcome.paid
    assert (tx.state, tx.user_id, tx.charged_method) == ("COMPLETED", alice.pk, "CARD")
    assert tx.payment_instrument == "visa ****4242"
    assert tx.provider_reference.startswith("testch_")
    assert AuditEvent.objects.filter(action="transaction.completed", subject=alice.pk).exists()


def test_a_declined_card_leaves_the_transaction_payable_with_its_code(alice):
    tx = prepared()
    outcome = pay(tx, alice, card=DECLINED_CARD)
    assert (outcome.paid, outcome.code) == (False, "card_declined")
    tx.refresh_from_db()
    assert (tx.state, tx.return_code) == ("STARTED", "card_declined")
    assert pay(tx, alice).paid


def test_paying_twice_charges_once(alice):
    tx = prepared()
    first = pay(tx, alice)
    second = pay(tx, alice)
    assert first.paid and second.paid
    assert second.transaction.provider_reference == first.transaction.provider_reference
    assert AuditEvent.objects.filter(action="transaction.completed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_charge_once(alice):
    tx = prepared()
    outcomes = []

    def submit():
        try:
            outcomes.append(pay(tx, alice))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [o.paid for o in outcomes] == [True, True]
    assert len({o.transaction.provider_reference for o in outcomes}) == 1
    assert AuditEvent.objects.filter(action="transaction.completed").count() == 1


def test_a_user_cannot_pay_a_transaction_created_for_another_connect_id(alice, bob):
    tx = prepared(user=alice)
    with pytest.raises(WrongPayer):
        pay(tx, bob)
    tx.refresh_from_db()
    assert tx.state == "STARTED"


def test_a_cancelled_transaction_cannot_be_paid(alice):
    tx = prepared()
    transaction_cancel(transaction_id=tx.pk, user=alice, actor=TEST_ACTOR)
    with pytest.raises(TransactionNotPayable):
        pay(tx, alice)


def test_order_ids_are_unique_per_merchant():
    prepared(order_id="o-1")
    prepared(merchant=OTHER_MERCHANT, order_id="o-1")
    with pytest.raises(OrderIdTaken):
        prepared(order_id="o-1")


def test_products_that_do_not_add_up_are_refused():
    with pytest.raises(ProductsInvalid):
        prepared(products=[sku_product(price="NOK 90.00")])
    assert not Transaction.objects.exists()


def test_a_product_with_a_sku_leaves_an_active_right_and_a_billable_event(alice):
    tx = pay(prepared(products=[sku_product()]), alice).transaction
    rights = list(Right.objects.filter(user=alice))
    assert [(r.sku, r.grantor_id, r.state) for r in rights] == [("NEWS-MONTH", "SHOP", "ACTIVE")]
    assert tx.right_ids == [rights[0].pk]
    billable = Event.objects.get(name__endswith="BillableEvent")
    assert billable.payload["transactionId"] == tx.pk
    assert billable.payload["skus"] == ["NEWS-MONTH"]


def test_a_partial_then_full_refund_never_gives_back_more_than_was_paid(alice):
    tx = pay(prepared(products=[sku_product()]), alice).transaction
    refund = transaction_refund(
        transaction_id=tx.pk, merchant_id="SHOP", amount=nok("30.00"), actor=TEST_ACTOR
    )
    assert (refund.type, refund.state, str(refund.amount)) == ("REFUND", "COMPLETED", "NOK 30.00")
    with pytest.raises(RefundTooLarge):
        transaction_refund(
            transaction_id=tx.pk, merchant_id="SHOP", amount=nok("70.01"), actor=TEST_ACTOR
        )
    transaction_refund(transaction_id=tx.pk, merchant_id="SHOP", actor=TEST_ACTOR)
    tx.refresh_from_db()
    assert (tx.state, tx.refunded_minor) == ("REFUNDED", 10000)
    assert Right.objects.get(pk=tx.right_ids[0]).deleted_at is not None
    with pytest.raises(RefundNotAllowed):
        transaction_refund(transaction_id=tx.pk, merchant_id="SHOP", actor=TEST_ACTOR)


def test_a_saved_card_is_kept_by_reference_only(alice):
    pay(prepared(), alice, save=True)
    method = PaymentMethod.objects.get(user=alice)
    assert (method.brand, method.last4) == ("visa", "4242")
    second = prepared(order_id="order-2")
    outcome = transaction_pay(
        transaction_id=second.pk,
        user=alice,
        choice=PayChoice(kind="SAVED", method_id=method.pk),
        actor=TEST_ACTOR,
    )
    assert outcome.paid and outcome.transaction.payment_method_id == method.pk


def test_carrier_billing_charges_a_verified_phone_of_the_payer(alice):
    phone = alice.phones.get(verified=True)
    outcome = transaction_pay(
        transaction_id=prepared().pk,
        user=alice,
        choice=PayChoice(kind="CARRIER_BILLING", phone_id=phone.pk),
        actor=TEST_ACTOR,
    )
    assert outcome.paid and outcome.transaction.charged_method == "CARRIER_BILLING"


def _agreement(user, trial: str = "", products=None):
    from payments.services import NewAgreement, agreement_create
    from tests.payments.conftest import new_transaction

    return agreement_create(
        merchant_id="SHOP",
        merchant_name="Test Shop",
        user=user,
        new=NewAgreement(
            recurrence_time_spec="R//P1M",
            trial_period=trial,
            verification=new_transaction(order_id="ag-1", products=products),
        ),
        actor=TEST_ACTOR,
    )


def test_an_agreements_first_payment_activates_it_with_a_subscription_of_its_skus(alice):
    agreement = _agreement(alice, products=[sku_product()])
    assert pay(agreement.verification_transaction, alice).paid
    agreement.refresh_from_db()
    assert agreement.state == "ACTIVE"
    assert agreement.payment_method is not None and agreement.payment_method.last4 == "4242"
    assert agreement.subscription is not None
    assert agreement.next_charge_at == agreement.anchor
    # Period 0 (paid now) is a right of its own until the subscription's first period.
    first = Right.objects.get(pk=agreement.verification_transaction.right_ids[0])
    assert (first.sku, first.end) == ("NEWS-MONTH", agreement.anchor)
    assert first.state_at(first.start) == "ACTIVE"


def test_an_agreement_with_a_trial_charges_nothing_until_the_trial_ends(alice):
    agreement = _agreement(alice, trial="P14D")
    tx = pay(agreement.verification_transaction, alice).transaction
    agreement.refresh_from_db()
    assert (tx.state, tx.provider_reference) == ("COMPLETED", "")
    assert agreement.state == "ACTIVE"
    assert (agreement.anchor - agreement.activated_at).days == 14
    with pytest.raises(RefundNotAllowed):
        transaction_refund(transaction_id=tx.pk, merchant_id="SHOP", actor=TEST_ACTOR)


def test_cancelling_an_agreements_first_payment_cancels_the_agreement(alice):
    agreement = _agreement(alice)
    transaction_cancel(
        transaction_id=agreement.verification_transaction.pk, user=alice, actor=TEST_ACTOR
    )
    agreement.refresh_from_db()
    assert agreement.state == "CANCELLED"
