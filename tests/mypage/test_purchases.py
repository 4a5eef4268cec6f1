"""The purchase history (what I paid, refunds, saved methods) and the payment agreements on the
subscriptions screen: the owner sees and changes hers; anyone else's is a 404."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.models import Agreement, PaymentMethod, Transaction
from payments.services import (
    NewAgreement,
    PayChoice,
    agreement_create,
    transaction_create,
    transaction_pay,
    transaction_refund,
)
from payments.validators import parse_money
from rights.models import Subscription
from tests.factories import TEST_ACTOR
from tests.payments.conftest import GOOD_CARD, MERCHANT, new_transaction, sku_product

pytestmark = pytest.mark.django_db


def purchase(user, order: str, description: str = "A month of news", *, save: bool = False):
    tx = transaction_create(
        merchant_id=MERCHANT,
        merchant_name="Test Shop",
        new=replace(new_transaction(order_id=order), purchase_description=description),
        user=user,
        actor=TEST_ACTOR,
    )
    outcome = transaction_pay(
        transaction_id=tx.pk,
        user=user,
        choice=PayChoice(kind="CARD", card=GOOD_CARD, save=save),
        actor=TEST_ACTOR,
    )
    assert outcome.paid
    return outcome.transaction


def agreement(user, order: str, merchant_name: str = "Test Shop", trial: str = "") -> Agreement:
    created = agreement_create(
        merchant_id=MERCHANT,
        merchant_name=merchant_name,
        user=user,
        new=NewAgreement(
            recurrence_time_spec="R//P1M",
            trial_period=trial,
            verification=new_transaction(order_id=order, products=[sku_product(sku="NEWS")]),
        ),
        actor=TEST_ACTOR,
    )
    assert transaction_pay(
        transaction_id=created.verification_transaction_id,
        user=user,
        choice=PayChoice(kind="CARD", card=GOOD_CARD),
        actor=TEST_ACTOR,
    ).paid
    created.refresh_from_db()
    return created


def item(html: str, element_id: str) -> str:
    """The HTML of the list item with this id."""
    assert f'id="{element_id}"' in html, element_id
    return html.split(f'id="{element_id}"', 1)[1].split("</li>", 1)[0]


def test_alice_sees_her_purchases_and_not_bobs(alice, bob, alice_portal):
    mine = purchase(alice, "a-1", "Alice's newspaper")
    purchase(bob, "b-1", "Bob's films")
    response = alice_portal.get("/gui/mypage/purchasehistory")
    html = response.content.decode()
    assert response.status_code == 200
    line = item(html, f"tx-{mine.pk}")
    assert "Alice&#x27;s newspaper" in line and "Test Shop" in line
    assert "NOK 100.00" in line and "visa ****4242" in line and "Paid" in line
    assert "Bob&#x27;s films" not in html and "Bob" not in html


def test_a_refund_is_shown_as_a_refund_of_its_purchase_newest_first(alice, alice_portal):
    paid = purchase(alice, "a-1")
    refund = transaction_refund(
        transaction_id=paid.pk,
        merchant_id=MERCHANT,
        actor=TEST_ACTOR,
        amount=parse_money("NOK 40.00"),
    )
    html = alice_portal.get("/gui/mypage/purchasehistory").content.decode()
    line = item(html, f"tx-{refund.pk}")
    assert "Refund of “A month of news”" in line and "NOK 40.00" in line
    assert f'href="#tx-{paid.pk}"' in line  # points at the purchase it gives money back for
    assert "Paid, partly refunded" in item(html, f"tx-{paid.pk}")
    assert html.index(f'id="tx-{refund.pk}"') < html.index(f'id="tx-{paid.pk}"')


def test_a_trial_says_nothing_was_charged_yet(alice, alice_portal):
    trial = agreement(alice, "sub-1", trial="P14D")
    html = alice_portal.get("/gui/mypage/purchasehistory").content.decode()
    line = item(html, f"tx-{trial.verification_transaction_id}")
    assert "Trial: nothing charged yet" in line and "Price after the trial" in line
    assert ">Paid<" not in line


def test_nothing_yet_says_so(alice_portal):
    html = alice_portal.get("/gui/mypage/purchasehistory").content.decode()
    assert "You have no purchases through CONNECT ID." in html
    assert "You have no saved payment methods." in html


def test_alice_removes_a_saved_method(alice, alice_portal):
    purchase(alice, "a-1", save=True)
    method = PaymentMethod.objects.get(user=alice)
    html = alice_portal.get("/gui/mypage/purchasehistory").content.decode()
    form = item(html, f"method-{method.pk}")
    assert "visa ****4242" in form and "csrfmiddlewaretoken" in form and "Remove" in form
    answer = alice_portal.post(f"/gui/mypage/purchasehistory/methods/{method.pk}/remove")
    assert answer.status_code == 302 and answer["Location"] == "/gui/mypage/purchasehistory"
    method.refresh_from_db()
    assert method.removed_at is not None
    html = alice_portal.get("/gui/mypage/purchasehistory").content.decode()
    assert f'id="method-{method.pk}"' not in html
    assert "The payment method is removed." in html


def test_bobs_method_is_not_shown_and_removing_it_is_a_404(alice, bob, alice_portal):
    purchase(bob, "b-1", save=True)
    method = PaymentMethod.objects.get(user=bob)
    html = alice_portal.get("/gui/mypage/purchasehistory").content.decode()
    assert method.pk not in html
    answer = alice_portal.post(f"/gui/mypage/purchasehistory/methods/{method.pk}/remove")
    assert answer.status_code == 404
    method.refresh_from_db()
    assert method.removed_at is None
    garbage = alice_portal.post("/gui/mypage/purchasehistory/methods/" + "x" * 300 + "/remove")
    assert garbage.status_code == 404


def test_a_method_paying_an_active_agreement_stays_and_the_page_says_why(alice, alice_portal):
    paying = agreement(alice, "sub-1")
    method = paying.payment_method
    answer = alice_portal.post(f"/gui/mypage/purchasehistory/methods/{method.pk}/remove")
    assert answer.status_code == 409
    html = answer.content.decode()
    assert 'id="error-summary"' in html and f'href="#method-{method.pk}"' in html
    assert "stop the agreement first" in item(html, f"method-{method.pk}")
    method.refresh_from_db()
    assert method.removed_at is None


def test_the_subscriptions_screen_shows_my_agreements_and_not_bobs(alice, bob, alice_portal):
    mine = agreement(alice, "sub-1", "Nordic News")
    theirs = agreement(bob, "sub-2", "Bob's Cinema")
    html = alice_portal.get("/gui/mypage/subscriptions").content.decode()
    line = item(html, f"agreement-{mine.pk}")
    assert "Nordic News" in line and "NOK 100.00" in line and "every month" in line
    assert "Next charge" in line and "Active" in line and "visa ****4242" in line
    assert f'action="/gui/mypage/subscriptions/agreements/{mine.pk}/stop"' in line
    assert theirs.pk not in html and "Cinema" not in html
    # The rights subscription it pays for points at it.
    assert f'href="#agreement-{mine.pk}"' in item(html, f"subscription-{mine.subscription_id}")


def test_alice_stops_her_agreement_and_keeps_what_she_paid_for(alice, alice_portal):
    mine = agreement(alice, "sub-1")
    answer = alice_portal.post(f"/gui/mypage/subscriptions/agreements/{mine.pk}/stop")
    assert answer.status_code == 302 and answer["Location"] == "/gui/mypage/subscriptions"
    mine.refresh_from_db()
    assert (mine.state, mine.next_charge_at) == ("STOPPED", None)
    html = alice_portal.get("/gui/mypage/subscriptions").content.decode()
    line = item(html, f"agreement-{mine.pk}")
    assert "Stopped" in line and "agreements/" not in line  # no Stop button any more
    assert "you will not be charged again" in html
    assert "NEWS" in html  # the paid period's right is still listed as what I have now


def test_bobs_agreement_cannot_be_stopped_by_alice(alice, bob, alice_portal):
    theirs = agreement(bob, "sub-2")
    answer = alice_portal.post(f"/gui/mypage/subscriptions/agreements/{theirs.pk}/stop")
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "ACTIVE"


def test_stopping_a_subscription_an_agreement_pays_for_stops_the_agreement(alice, alice_portal):
    mine = agreement(alice, "sub-1")
    answer = alice_portal.post(f"/gui/mypage/subscriptions/{mine.subscription_id}/stop")
    assert answer.status_code == 302
    mine.refresh_from_db()
    assert mine.state == "STOPPED"  # no charges for rights that no longer come
    assert Subscription.objects.get(pk=mine.subscription_id).state == "EXPIRED"


def test_anonymous_posts_are_sent_to_sign_in(alice, anon):
    purchase(alice, "a-1", save=True)
    method = PaymentMethod.objects.get(user=alice)
    answer = anon.post(f"/gui/mypage/purchasehistory/methods/{method.pk}/remove")
    assert answer.status_code == 302 and answer["Location"].startswith("/oauth/authorize?")
    method.refresh_from_db()
    assert method.removed_at is None


def _count(http, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert http.get(path).status_code == 200
    return len(queries)


def _grow(user, start: int, count: int) -> None:
    for n in range(start, start + count):
        paid = purchase(user, f"p-{n}", save=True)
        transaction_refund(
            transaction_id=paid.pk,
            merchant_id=MERCHANT,
            actor=TEST_ACTOR,
            amount=parse_money("NOK 1.00"),
        )
        agreement(user, f"s-{n}")


@pytest.mark.parametrize("path", ["/gui/mypage/purchasehistory", "/gui/mypage/subscriptions"])
def test_query_counts_do_not_grow_with_the_history(
    alice, alice_portal, path, django_assert_max_num_queries
):
    _grow(alice, 0, 1)
    before = _count(alice_portal, path)
    _grow(alice, 1, 4)
    after = _count(alice_portal, path)
    assert after == before, f"{path}: {before} queries with 1 of each, {after} with 5"
    assert Transaction.objects.filter(user=alice).count() >= 15
    with django_assert_max_num_queries(12):
        alice_portal.get(path)
