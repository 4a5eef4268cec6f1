"""The identity domain's jobs (procrastinate; how to write one: connect_id/jobs.py).

Task names are stable strings: queued rows name them.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from procrastinate.contrib.django import app

from accounts import notifications, sms
from accounts.models import Client, IdempotentRequest
from accounts.oidc import backchannel
from connect_id.jobs import GiveUp, backoff, unseal

logger = logging.getLogger(__name__)


@app.task(
    name="accounts.deliver_logout",
    retry=backoff(max_attempts=settings.BACKCHANNEL_LOGOUT_MAX_ATTEMPTS),
)
def deliver_logout(*, client_pk: int, sub: str, sid: str, jti: str) -> None:
    """POST a logout token to the client's back-channel logout URI (OIDC Back-Channel Logout
    1.0 §2.5). Each attempt signs a fresh token (new iat/exp) with the same jti, decided when
    the job was deferred: a retry, or a job recovered from a dead worker, is one logout to an RP
    that de-duplicates by jti (§2.6)."""
    client = Client.objects.filter(pk=client_pk).first()
    if client is None or not client.backchannel_logout_uri:
        return  # the client was deleted, or no longer asks: nothing to tell
    token = backchannel.logout_token(client=client, sub=sub, sid=sid, jti=jti)
    backchannel.deliver(client.backchannel_logout_uri, token, client.client_id)


@app.task(name="accounts.deliver_mail", retry=backoff(max_attempts=8))
def deliver_mail(*, sealed: str, template: str) -> None:
    """Hand a mail rendered by accounts.notifications to the SMTP server; retried while the
    server refuses or cannot be reached (2 s, 4 s, ... about 8 minutes in all)."""
    message = unseal(sealed)
    notifications.deliver_email(
        to=message["to"], subject=message["subject"], body=message["body"], template=template
    )


@app.task(name="accounts.deliver_sms", retry=backoff(max_attempts=5))
def deliver_sms(*, sealed: str, template: str) -> None:
    """Hand an SMS to the gateway; a 5xx or an unreachable gateway is retried for about half a
    minute (a PIN lives PHONE_VERIFICATION_PIN_TTL), a 4xx is final."""
    message = unseal(sealed)
    try:
        sms.deliver_sms(to=message["to"], body=message["body"])
    except sms.SmsFailed as exc:
        if not exc.retry:
            raise GiveUp(str(exc)) from exc
        raise


def idempotent_requests_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the stored answers of Idempotency-Keys older than IDEMPOTENCY_KEY_SECONDS (they
    can no longer be replayed, accounts.idempotency); return how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=settings.IDEMPOTENCY_KEY_SECONDS)
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@app.periodic(cron="23 * * * *")
@app.task(
    name="accounts.purge_idempotent_requests",
    queueing_lock="accounts.purge_idempotent_requests",
    retry=backoff(max_attempts=3),
)
def purge_idempotent_requests(timestamp: int) -> None:
    """Hourly: expired Idempotency-Key answers go (idempotent: a second run deletes nothing)."""
    deleted = idempotent_requests_purge()
    if deleted:
        logger.info("purged %d expired idempotency keys", deleted)
