"""Factories of the events domain."""

from __future__ import annotations

import factory

from events.crypto import encrypt_secret, new_webhook_secret
from events.models import EventQueue, WebhookEndpoint


class EventQueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventQueue

    owner_id = "SOMEONE"
    name = factory.Sequence(lambda n: f"queue {n}")


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    owner_id = "SOMEONE"
    url = "https://hooks.example.com/connect"
    contact_email = "ops@someone.example"
    secret_encrypted = factory.LazyFunction(lambda: encrypt_secret(new_webhook_secret()))
