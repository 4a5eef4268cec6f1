"""Periodic jobs of CONNECT Payment: charge the agreements whose next period is due."""

from __future__ import annotations

import datetime as dt
import logging

from procrastinate.contrib.django import app

from accounts.audit import Actor
from connect_id.jobs import backoff
from payments.services.renewals import agreements_charge_due

logger = logging.getLogger(__name__)
RENEWAL_ACTOR = Actor.system("payment-renewal")


def charge_agreements(*, now: dt.datetime | None = None) -> int:
    """Charge every due agreement; return how many periods were paid. Idempotent: each
    agreement is charged under its row lock and each period has one charge
    (payments_one_charge_per_period), with one idempotency key per attempt at the provider."""
    paid = agreements_charge_due(actor=RENEWAL_ACTOR, now=now)
    if paid:
        logger.info("renewal charged %d agreement periods", paid)
    return paid


@app.periodic(cron="*/5 * * * *", periodic_id="payments.charge_agreements")
@app.task(
    name="payments.charge_agreements",
    queueing_lock="payments.charge_agreements",
    retry=backoff(max_attempts=5, first=10),
)
def charge_agreements_job(timestamp: int) -> None:
    """Every five minutes (a charge is due at the start of its period; the retries of a declined
    one wait PAYMENT_RENEWAL_RETRY_SECONDS, so a late or failed run is caught up by the next)."""
    charge_agreements()
