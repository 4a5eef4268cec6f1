"""An agreement's later charges: one per period, retried after a decline, suspended when every
retry fails, stopped for good, after a trial; the clock moved by passing `now`."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AuditEvent
from events.models import Event
from payments import providers
from payments.models import Agreement, Transaction
from payments.providers.base import Card
from payments.services import NewAgreement, PayChoice, agreement_create, agreement_stop
from payments.services.renewals import agreement_charge_due, agreements_charge_due, charge_due_at
from payments.services.transactions import BILLABLE_EVENT, transaction_pay
from payments.tasks import charge_agreements
from rights.models import Right, Subscription
from rights.services import subscription_suspend
from rights.tasks import renew_subscriptions
from tests.factories import TEST_ACTOR
from tests.payments.conftest import GOOD_CARD, MERCHANT, new_transaction, sku_product

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
# The test provider's card whose first payment succeeds and whose later saved charges decline.
LATER_DECLINED_CARD = Card(number="4000000000000341", exp_month=12, exp_year=2040, cvc="123")


def make_agreement(user, *, spec: str = "R//P1M", trial: str = "", order: str = "sub-1"):
    return agreement_create(
        merchant_id=MERCHANT,
        merchant_name="Test Shop",
        user=user,
        new=NewAgreement(
            recurrence_time_spec=spec,
            trial_period=trial,
            verification=new_transaction(order_id=order, products=[sku_product(sku="NEWS")]),
        ),
        actor=TEST_ACTOR,
    )


def pay_first(agreement: Agreement, user, choice: PayChoice | None = None) -> Agreement:
    outcome = transaction_pay(
        transaction_id=agreement.verification_transaction_id,
        user=user,
        choice=choice or PayChoice(kind="CARD", card=GOOD_CARD),
        actor=TEST_ACTOR,
    )
    assert outcome.paid, outcome.code
    agreement.refresh_from_db()
    assert agreement.state == "ACTIVE"
    return agreement


def subscribed(user, **kwargs) -> Agreement:
    return pay_first(make_agreement(user, **kwargs), user)


def charges(agreement: Agreement) -> list[Transaction]:
    return list(
        Transaction.objects.filter(agreement=agreement, type="RECURRING").order_by("period_index")
    )


def completed_per_period(agreement: Agreement) -> Counter[int | None]:
    return Counter(t.period_index for t in charges(agreement) if t.state == "COMPLETED")


def period_rights(agreement: Agreement) -> dict[dt.datetime, str]:
    """The subscription's rights by the start of their period, with their stored state."""
    return {
        r.period_start: r.state
        for r in Right.objects.filter(subscription_id=agreement.subscription_id)
    }


def run_renewals(now: dt.datetime) -> int:
    """What the two periodic jobs do at *now*: generate rights, then charge what is due."""
    renew_subscriptions(now=now)
    return charge_agreements(now=now)


class CarrierGateway:
    """A local carrier billing gateway (payments.providers.carrier's contract): charges each
    reference once (a repeat gets the first answer), declines with 402 the references in
    `decline`, answers 503 to the references in `unavailable` (once each)."""

    def __init__(self) -> None:
        self.references: list[str] = []
        self.decline: set[str] = set()
        self.unavailable: set[str] = set()
        self.charged: dict[str, str] = {}
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                reference = body["reference"]
                gateway.references.append(reference)
                if reference in gateway.unavailable:
                    gateway.unavailable.discard(reference)
                    status, answer = 503, {}
                elif reference in gateway.decline:
                    status, answer = 402, {"status": "declined", "code": "credit_limit"}
                else:
                    charge_id = gateway.charged.setdefault(reference, f"gw-{len(gateway.charged)}")
                    status, answer = 200, {"status": "charged", "id": charge_id}
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/charge"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    g = CarrierGateway()
    settings.PAYMENT_CARRIER_BILLING = "payments.providers.carrier.HttpCarrierBilling"
    settings.PAYMENT_CARRIER_GATEWAY_URL = g.url
    settings.PAYMENT_CARRIER_GATEWAY_TIMEOUT = 5.0
    providers.reset()
    yield g
    providers.reset()
    g.close()


def on_phone_bill(user) -> PayChoice:
    return PayChoice(kind="CARRIER_BILLING", phone_id=user.phones.get(verified=True).pk)


def test_three_renewals_on_the_phone_bill_one_declined_then_retried(alice, gateway):
    agreement = pay_first(make_agreement(alice), alice, on_phone_bill(alice))
    assert agreement.payment_method.kind == "CARRIER_BILLING"
    anchor = agreement.anchor
    due = {k: charge_due_at(agreement, k) for k in (1, 2, 3, 4)}
    assert due[1] == anchor and due[2] > due[1] and (due[2] - due[1]).days in (28, 29, 30, 31)
    gateway.decline.add(f"{agreement.pk}:2:1")  # the operator says no to period 2 at first

    assert run_renewals(due[1] - DAY) == 0  # not due yet: nothing asked of the gateway
    assert gateway.references == [f"{agreement.verification_transaction_id}:1"]
    assert run_renewals(due[1]) == 1
    assert run_renewals(due[2]) == 0  # declined
    agreement.refresh_from_db()
    assert (agreement.failed_attempts, agreement.next_charge_at) == (1, due[2] + HOUR)
    [_, second] = charges(agreement)
    assert (second.state, second.return_code, second.attempts) == ("STARTED", "credit_limit", 1)
    assert run_renewals(due[2] + HOUR / 2) == 0  # the retry waits its pause
    assert run_renewals(due[2] + HOUR) == 1  # retried: paid
    assert run_renewals(due[3]) == 1

    assert gateway.references[1:] == [
        f"{agreement.pk}:1:1",
        f"{agreement.pk}:2:1",
        f"{agreement.pk}:2:2",
        f"{agreement.pk}:3:1",
    ]
    assert completed_per_period(agreement) == Counter({1: 1, 2: 1, 3: 1})
    first, second, third = charges(agreement)
    assert (second.attempts, second.return_code, second.payment_instrument) == (
        2,
        "",
        "carrier ****1111",
    )
    assert second.previous_transaction_id == first.pk and third.previous_transaction_id == second.pk
    assert {t.order_id for t in charges(agreement)} == {"sub-1"}
    assert all(
        t.amount_minor == 10000 and t.charged_method == "CARRIER_BILLING"
        for t in charges(agreement)
    )
    agreement.refresh_from_db()
    assert (agreement.next_charge_index, agreement.next_charge_at) == (4, due[4])
    assert agreement.failed_attempts == 0
    # Each charged period has its right (period 4's is generated an hour before it starts).
    rights = period_rights(agreement)
    assert {start: rights[start] for start in (due[1], due[2], due[3])} == {
        due[1]: "ACTIVE",
        due[2]: "ACTIVE",
        due[3]: "ACTIVE",
    }
    assert Event.objects.filter(name=BILLABLE_EVENT).count() == 4  # the first payment + 3
    actions = Counter(
        AuditEvent.objects.filter(target=f"agreement:{agreement.pk}").values_list(
            "action", flat=True
        )
    )
    assert (actions["agreement.charged"], actions["agreement.charge_declined"]) == (3, 1)


def test_an_unreachable_gateway_is_retried_with_the_same_key_and_not_counted(alice, gateway):
    agreement = pay_first(make_agreement(alice), alice, on_phone_bill(alice))
    due = charge_due_at(agreement, 1)
    gateway.unavailable.add(f"{agreement.pk}:1:1")
    assert run_renewals(due) == 0
    agreement.refresh_from_db()
    assert (agreement.failed_attempts, agreement.next_charge_at) == (0, due)
    assert run_renewals(due + dt.timedelta(minutes=5)) == 1
    # The same key both times: had the first call charged, the gateway would not charge again.
    assert gateway.references[1:] == [f"{agreement.pk}:1:1", f"{agreement.pk}:1:1"]
    assert completed_per_period(agreement) == Counter({1: 1})


def test_a_charge_run_twice_charges_once(alice):
    agreement = subscribed(alice)
    due = agreement.next_charge_at
    assert charge_agreements(now=due) == 1
    assert charge_agreements(now=due) == 0
    assert agreement_charge_due(agreement_id=agreement.pk, actor=TEST_ACTOR, now=due) is None
    assert completed_per_period(agreement) == Counter({1: 1})
    assert len(charges(agreement)) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", ["batch", "one"])
def test_two_workers_at_once_charge_each_period_once(alice, gateway, run):
    agreement = pay_first(make_agreement(alice), alice, on_phone_bill(alice))
    due = agreement.next_charge_at
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            if run == "batch":
                agreements_charge_due(actor=TEST_ACTOR, now=due)
            else:
                agreement_charge_due(agreement_id=agreement.pk, actor=TEST_ACTOR, now=due)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert gateway.references[1:] == [f"{agreement.pk}:1:1"]  # asked once
    assert completed_per_period(agreement) == Counter({1: 1})
    assert (
        AuditEvent.objects.filter(
            action="agreement.charged", target=f"agreement:{agreement.pk}"
        ).count()
        == 1
    )


def test_when_every_retry_fails_the_agreement_and_its_rights_are_suspended(alice, settings):
    settings.PAYMENT_RENEWAL_RETRY_SECONDS = [600, 3600]
    agreement = pay_first(
        make_agreement(alice), alice, PayChoice(kind="CARD", card=LATER_DECLINED_CARD)
    )
    due = agreement.next_charge_at
    assert period_rights(agreement) == {due: "ACTIVE"}  # generated up front, at activation
    assert run_renewals(due) == 0
    assert run_renewals(due + dt.timedelta(seconds=600)) == 0
    agreement.refresh_from_db()
    assert (agreement.state, agreement.failed_attempts) == ("ACTIVE", 2)
    last_try = due + dt.timedelta(seconds=600 + 3600)
    assert agreement.next_charge_at == last_try
    assert run_renewals(last_try) == 0

    agreement.refresh_from_db()
    [charge] = charges(agreement)
    assert (charge.state, charge.attempts, charge.return_code) == ("FAILED", 3, "card_declined")
    assert (agreement.state, agreement.next_charge_at) == ("SUSPENDED", None)
    subscription = Subscription.objects.get(pk=agreement.subscription_id)
    assert subscription.state == "SUSPENDED"
    assert period_rights(agreement) == {due: "SUSPENDED"}
    # The paid first period stays.
    [first_right] = Right.objects.filter(pk__in=agreement.verification_transaction.right_ids)
    assert first_right.state == "ACTIVE"
    assert run_renewals(due + 40 * DAY) == 0  # a suspended agreement is not charged
    assert len(charges(agreement)) == 1
    assert AuditEvent.objects.filter(
        action="agreement.suspended", target=f"agreement:{agreement.pk}"
    ).exists()


def test_stopping_ends_the_charges_and_keeps_the_paid_periods_rights(alice):
    agreement = subscribed(alice)
    due = agreement.next_charge_at
    assert run_renewals(due) == 1
    paid_right_ids = set(
        Right.objects.filter(subscription_id=agreement.subscription_id).values_list("pk", flat=True)
    )
    agreement_stop(agreement_id=agreement.pk, actor=TEST_ACTOR, user=alice)
    agreement.refresh_from_db()
    assert (agreement.state, agreement.next_charge_at) == ("STOPPED", None)
    assert run_renewals(charge_due_at(agreement, 2)) == 0
    assert run_renewals(charge_due_at(agreement, 5)) == 0
    assert completed_per_period(agreement) == Counter({1: 1})
    kept = Right.objects.filter(pk__in=paid_right_ids, deleted_at__isnull=True)
    assert {r.period_start for r in kept} == {due} and {r.state for r in kept} == {"ACTIVE"}
    [first_right] = Right.objects.filter(pk__in=agreement.verification_transaction.right_ids)
    assert first_right.active_at(timezone.now())


def test_with_a_trial_the_first_charge_is_when_the_trial_ends(alice):
    before = timezone.now()
    agreement = subscribed(alice, trial="P14D")
    first = agreement.verification_transaction
    first.refresh_from_db()
    assert first.provider_reference == ""  # the card was saved, not charged
    trial_end = agreement.next_charge_at
    assert before + 14 * DAY <= trial_end <= timezone.now() + 14 * DAY
    assert run_renewals(trial_end - HOUR) == 0
    assert charges(agreement) == []
    assert run_renewals(trial_end) == 1
    [charge] = charges(agreement)
    assert (charge.period_index, charge.state, charge.amount_minor) == (1, "COMPLETED", 10000)
    assert charge.provider_reference.startswith("testch_")
    agreement.refresh_from_db()
    assert agreement.next_charge_at == charge_due_at(agreement, 2)
    assert (agreement.next_charge_at - trial_end).days in (28, 29, 30, 31)


def test_a_bounded_agreement_stops_charging_after_its_repetitions(alice):
    agreement = subscribed(alice, spec="R3//P1M")  # the first payment and two charges
    assert agreement.repetitions == 2
    assert run_renewals(charge_due_at(agreement, 1)) == 1
    assert run_renewals(charge_due_at(agreement, 2)) == 1
    agreement.refresh_from_db()
    assert agreement.next_charge_at is None
    assert charge_due_at(agreement, 3) is None
    assert run_renewals(agreement.anchor + 100 * DAY) == 0
    assert completed_per_period(agreement) == Counter({1: 1, 2: 1})


def test_periods_that_ended_while_no_job_ran_are_not_charged(alice):
    agreement = subscribed(alice)
    late = charge_due_at(agreement, 3) + DAY  # periods 1 and 2 are over
    assert run_renewals(late) == 1
    assert completed_per_period(agreement) == Counter({3: 1})
    agreement.refresh_from_db()
    assert agreement.next_charge_at == charge_due_at(agreement, 4)


def test_the_schedule_counts_from_the_anchor_so_month_ends_do_not_drift():
    agreement = Agreement(anchor=dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC), period="P1M")
    assert [charge_due_at(agreement, k).date() for k in (1, 2, 3, 4)] == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
    ]


def test_a_paid_renewal_reactivates_a_suspended_subscription_and_its_periods_right(alice):
    agreement = subscribed(alice)
    due = agreement.next_charge_at
    subscription = Subscription.objects.get(pk=agreement.subscription_id)
    subscription_suspend(subscription=subscription, actor=TEST_ACTOR, as_grantor=MERCHANT)
    assert period_rights(agreement) == {due: "SUSPENDED"}
    assert run_renewals(due) == 1
    subscription.refresh_from_db()
    assert subscription.state == "ACTIVE"
    assert period_rights(agreement)[due] == "ACTIVE"


def test_the_renewal_job_is_registered_to_run_every_five_minutes(db):
    from procrastinate.contrib.django import app

    assert "payments.charge_agreements" in app.tasks
    periodic = {task.task.name: task.cron for task in app.periodic_registry.periodic_tasks.values()}
    assert periodic["payments.charge_agreements"] == "*/5 * * * *"


class Crash(Exception):
    """The worker died after the provider charged, before the transaction committed."""


def test_a_crashed_charge_run_again_is_charged_once_at_stripe(alice, stripe_provider):
    agreement = subscribed(alice)
    due = agreement.next_charge_at
    with pytest.raises(Crash), transaction.atomic():
        crashed = agreement_charge_due(agreement_id=agreement.pk, actor=TEST_ACTOR, now=due)
        assert crashed is not None and crashed.provider_reference.startswith("pi_")
        raise Crash()
    assert charges(agreement) == []  # rolled back with everything else
    again = agreement_charge_due(agreement_id=agreement.pk, actor=TEST_ACTOR, now=due)
    assert again is not None and again.state == "COMPLETED"
    # The same idempotency key: Stripe answered with the first payment intent, not a new one.
    assert again.provider_reference == crashed.provider_reference
    assert completed_per_period(agreement) == Counter({1: 1})
