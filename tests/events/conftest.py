"""Fixtures of the events tests: grantors' API credentials over HTTP Basic, and their queues."""

from __future__ import annotations

import base64

import pytest
from django.test import Client as HttpClient

from events.models import EventQueue
from tests.events.factories import EventQueueFactory
from tests.factories import ApiCredentialFactory


def basic_header(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


@pytest.fixture
def grantor_client(db: None):
    """grantor_client("SOMEONE", "events:read"): a test client sending an API credential of that
    grantor with these operations (default events:read)."""

    def make(grantor_id: str = "SOMEONE", *operations: str) -> HttpClient:
        credential = ApiCredentialFactory(
            grantor_id=grantor_id, operations=list(operations or ["events:read"])
        )
        http = HttpClient(HTTP_AUTHORIZATION=basic_header(credential.username, credential.secret))
        http.credential = credential  # type: ignore[attr-defined]
        return http

    return make


@pytest.fixture
def someone_queue(db: None) -> EventQueue:
    return EventQueueFactory(owner_id="SOMEONE")
