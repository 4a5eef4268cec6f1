"""Jobs of the events domain: pushing events to webhook endpoints, and mail to their owners."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from procrastinate.contrib.django import app

from connect_id.jobs import backoff

# Exponential backoff between attempts of one delivery (30 s, 1 min, 2 min, … capped at 6 h by
# default). The delivery gives itself up after WEBHOOK_MAX_ATTEMPTS (events.services.webhooks);
# the queue's own limit is one more, so it only matters for a crash outside that code.
WEBHOOK_BACKOFF = backoff(
    max_attempts=settings.WEBHOOK_MAX_ATTEMPTS + 1,
    first=settings.WEBHOOK_RETRY_BASE_SECONDS,
    cap=settings.WEBHOOK_RETRY_MAX_SECONDS,
)


@app.task(name="events.webhook_deliver", queue="webhooks", retry=WEBHOOK_BACKOFF)
def webhook_deliver(*, delivery_id: int) -> None:
    """Attempt one webhook delivery; raises (and is retried) while attempts remain. Idempotent:
    a delivered or given-up delivery is left alone."""
    from events.services.webhooks import webhook_delivery_attempt

    webhook_delivery_attempt(delivery_id=delivery_id)


@app.task(name="events.mail_deliver", queue="default", retry=backoff(max_attempts=8))
def mail_deliver(*, to: str, subject: str, body: str) -> None:
    """Hand one mail (no secrets in it) to the mail backend; raise to be retried."""
    send_mail(
        subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[to]
    )


@app.periodic(cron="41 * * * *")
@app.task(name="events.purge", queueing_lock="events.purge", retry=backoff(max_attempts=3))
def purge_events(timestamp: int) -> None:
    """Hourly: drop the events older than EVENT_RETENTION_DAYS (events.services.retention)."""
    from events.services import events_purge

    events_purge(retention=dt.timedelta(days=settings.EVENT_RETENTION_DAYS))
