"""Webhook services: endpoints of an owner, and the signed push of each event (Standard Webhooks).

Each event published to an owner with enabled endpoints gets one WebhookDelivery per endpoint
and one job (events.tasks.webhook_deliver). An attempt POSTs the event, exactly as the Event
Queue shows it, signed per the Standard Webhooks spec (`webhook-id` is the event id, the same on
every retry, so a receiver de-duplicates by it). A 2xx delivers; anything else is retried with
exponential backoff up to WEBHOOK_MAX_ATTEMPTS attempts, then given up. An endpoint whose
deliveries are given up WEBHOOK_MAX_CONSECUTIVE_FAILURES times in a row is disabled and its
contact told by mail; the Event Queue stays the reliable path.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from events.crypto import decrypt_secret, encrypt_secret, new_webhook_secret
from events.errors import ContactEmailInvalid
from events.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from events.validators import normalize_owner_id, normalize_webhook_url

logger = logging.getLogger(__name__)

USER_AGENT = "CONNECT-ID-Webhooks/1"
# What is kept of an error for the owner's diagnosis (never the response body: it is theirs).
_ERROR_LIMIT = 500


class DeliveryFailed(Exception):
    """One attempt failed and another is due: raised to the job queue, which retries it."""


def _normalize_contact(raw: str) -> str:
    value = (raw or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        raise ContactEmailInvalid(field="contact_email") from None
    return value


@transaction.atomic
def webhook_endpoint_create(
    *, owner_id: str, url: str, contact_email: str, actor: str, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for an owner's events; return it with its `whsec_…` signing secret,
    which is stored encrypted and shown only this once. Raise OwnerIdInvalid, WebhookUrlInvalid
    or ContactEmailInvalid."""
    secret = new_webhook_secret()
    endpoint = WebhookEndpoint.objects.create(
        owner_id=normalize_owner_id(owner_id),
        url=normalize_webhook_url(url),
        contact_email=_normalize_contact(contact_email),
        description=description.strip(),
        secret_encrypted=encrypt_secret(secret),
    )
    logger.info("webhook endpoint %s added for %s by %s", endpoint.pk, endpoint.owner_id, actor)
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, actor: str) -> WebhookEndpoint:
    """Enable an endpoint again and forget its failures. Deliveries skipped while it was disabled
    are not replayed (the Event Queue has them)."""
    endpoint.enabled, endpoint.disabled_at, endpoint.consecutive_failures = True, None, 0
    endpoint.save(update_fields=["enabled", "disabled_at", "consecutive_failures"])
    logger.info("webhook endpoint %s enabled by %s", endpoint.pk, actor)
    return endpoint


@transaction.atomic
def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, actor: str) -> WebhookEndpoint:
    """Stop pushing events to an endpoint; pending deliveries are skipped."""
    if endpoint.enabled:
        endpoint.enabled, endpoint.disabled_at = False, timezone.now()
        endpoint.save(update_fields=["enabled", "disabled_at"])
        logger.info("webhook endpoint %s disabled by %s", endpoint.pk, actor)
    return endpoint


def signed_request(
    *, secret: str, message_id: str, payload: dict[str, Any], at: dt.datetime
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one push, per the Standard Webhooks spec (v1, HMAC-SHA256)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is not a delivery: following one would send the signed event somewhere the
    # owner did not register.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class _Outcome:
    status: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _post(url: str, body: bytes, headers: dict[str, str]) -> _Outcome:
    started = time.monotonic()
    status: int | None = None
    error = ""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 (https, or loopback when allowed)
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT]
    elapsed = int((time.monotonic() - started) * 1000)
    if status is not None and not 200 <= status < 300 and not error:
        error = f"HTTP {status}"
    return _Outcome(status=status, error=error, duration_ms=elapsed)


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after *attempts* failed ones (the job queue's backoff)."""
    from events.tasks import WEBHOOK_BACKOFF

    return WEBHOOK_BACKOFF.delay(attempts)


def webhook_delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Make one attempt of a pending delivery and record it; return the delivery's state.

    Idempotent: a delivered, given-up or skipped delivery is left alone, and a delivery another
    worker is attempting right now is skipped (its row is locked). Raise DeliveryFailed when the
    attempt failed and another is due, so the job queue retries it with backoff. Giving up the
    WEBHOOK_MAX_CONSECUTIVE_FAILURES-th delivery in a row disables the endpoint and mails its
    contact (queued in the same transaction).
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "busy"
        if delivery.state != WebhookDelivery.State.PENDING:
            return delivery.state
        endpoint = delivery.endpoint
        if not endpoint.enabled:
            delivery.state = WebhookDelivery.State.SKIPPED
            delivery.next_attempt_at = None
            delivery.save(update_fields=["state", "next_attempt_at"])
            return delivery.state
        at = now or timezone.now()
        try:
            secret = decrypt_secret(endpoint.secret_encrypted)
        except ValueError as exc:
            outcome = _Outcome(status=None, error=str(exc), duration_ms=0)
        else:
            body, headers = signed_request(
                secret=secret, message_id=delivery.event_id, payload=delivery.event.payload, at=at
            )
            # The row stays locked during the request: a second worker on the same delivery
            # skips it instead of posting twice.
            outcome = _post(endpoint.url, body, headers)
        state = _record(delivery=delivery, outcome=outcome, at=at)
    if state == WebhookDelivery.State.PENDING:
        raise DeliveryFailed(f"webhook delivery {delivery_id}: {outcome.error}")
    return state


def _record(*, delivery: WebhookDelivery, outcome: _Outcome, at: dt.datetime) -> str:
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=at,
        duration_ms=outcome.duration_ms,
        status=outcome.status,
        error=outcome.error,
    )
    delivery.last_status, delivery.last_error = outcome.status, outcome.error
    endpoint = delivery.endpoint
    if outcome.ok:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = "delivered", at, None
        if endpoint.consecutive_failures:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
    elif delivery.attempts < settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.next_attempt_at = at + dt.timedelta(seconds=retry_delay(delivery.attempts))
    else:
        delivery.state, delivery.next_attempt_at = "failed", None
        _count_given_up(endpoint=endpoint, at=at)
    delivery.save(
        update_fields=[
            "attempts",
            "last_status",
            "last_error",
            "state",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    return delivery.state


def _count_given_up(*, endpoint: WebhookEndpoint, at: dt.datetime) -> None:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.consecutive_failures += 1
    fields = ["consecutive_failures"]
    disable = (
        endpoint.enabled
        and endpoint.consecutive_failures >= settings.WEBHOOK_MAX_CONSECUTIVE_FAILURES
    )
    if disable:
        endpoint.enabled, endpoint.disabled_at = False, at
        fields += ["enabled", "disabled_at"]
    endpoint.save(update_fields=fields)
    if disable:
        logger.warning(
            "webhook endpoint %s of %s disabled after %d failed deliveries",
            endpoint.pk,
            endpoint.owner_id,
            endpoint.consecutive_failures,
        )
        from events.notifications import endpoint_disabled_notify

        endpoint_disabled_notify(endpoint=endpoint)
