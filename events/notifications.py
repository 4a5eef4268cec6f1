"""Mail to an endpoint's owner, queued in the caller's transaction (sent once it commits)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from events.models import WebhookEndpoint


def endpoint_disabled_notify(*, endpoint: WebhookEndpoint) -> None:
    """Tell the endpoint's contact that it was disabled after repeated failed deliveries."""
    from events.tasks import mail_deliver  # the job module imports the services

    context = {
        "endpoint": endpoint,
        "failures": endpoint.consecutive_failures,
        "attempts": settings.WEBHOOK_MAX_ATTEMPTS,
    }
    text = render_to_string("events/endpoint_disabled.txt", context).strip()
    subject, _, body = text.partition("\n")
    mail_deliver.defer(to=endpoint.contact_email, subject=subject.strip(), body=body.strip() + "\n")
