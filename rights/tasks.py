"""Periodic jobs of Rights Management: generate each subscription period's rights, up front."""

from __future__ import annotations

import datetime as dt
import logging

from procrastinate.contrib.django import app

from accounts.audit import Actor
from connect_id.jobs import backoff
from rights.services import subscriptions_renew_due

logger = logging.getLogger(__name__)
RENEWAL_ACTOR = Actor.system("rights-renewal")


def renew_subscriptions(*, now: dt.datetime | None = None) -> int:
    """Generate the rights now due of every live subscription; return how many. Idempotent:
    each subscription is renewed under its row lock and each period's right is unique."""
    created = subscriptions_renew_due(actor=RENEWAL_ACTOR, now=now)
    if created:
        logger.info("renewal generated %d rights", created)
    return created


@app.periodic(cron="*/5 * * * *", periodic_id="rights.renew")
@app.task(
    name="rights.renew_subscriptions",
    queueing_lock="rights.renew_subscriptions",
    retry=backoff(max_attempts=5, first=10),
)
def renew_subscriptions_job(timestamp: int) -> None:
    """Every five minutes (a period's rights are generated an hour before it starts, see
    rights.services.subscriptions.renewal_lead, so a late or failed run is caught up)."""
    renew_subscriptions()
