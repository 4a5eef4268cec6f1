"""Webhooks: signed pushes (Standard Webhooks), retries with backoff, disabling and its mail."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.db import transaction
from standardwebhooks import Webhook

from events.crypto import decrypt_secret
from events.errors import WebhookUrlInvalid
from events.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from events.services import (
    DeliveryFailed,
    event_publish,
    webhook_delivery_attempt,
    webhook_endpoint_create,
)
from events.tasks import WEBHOOK_BACKOFF

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP server answering the given statuses in turn (the last one repeats)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    # Deliveries are attempted by the tests themselves, as the worker would (one call each).
    settings.JOBS_EAGER = False


def _endpoint(url: str, owner: str = "SOMEONE") -> tuple[WebhookEndpoint, str]:
    return webhook_endpoint_create(
        owner_id=owner, url=url, contact_email="ops@someone.example", actor="test"
    )


def _publish(owner: str = "SOMEONE") -> Event:
    return event_publish(
        name="com.comoyo.events.right.RightGranted",
        user_id="5984355786103463936",
        owners=[owner],
        body={"grantorId": owner, "rightId": "52fd09dbd3400000"},
    )


def test_a_failed_push_is_retried_then_delivered_once_with_a_valid_signature():
    with Receiver([500, 204]) as receiver:
        endpoint, secret = _endpoint(receiver.url)
        event = _publish()
        delivery = WebhookDelivery.objects.get(event=event, endpoint=endpoint)

        with pytest.raises(DeliveryFailed):
            webhook_delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        assert delivery.state == "pending" and delivery.attempts == 1
        assert delivery.last_status == 500 and delivery.next_attempt_at is not None

        assert webhook_delivery_attempt(delivery_id=delivery.pk) == "delivered"
        # A job run twice (a recovered worker) delivers nothing more.
        assert webhook_delivery_attempt(delivery_id=delivery.pk) == "delivered"

    assert len(receiver.requests) == 2
    for headers, body in receiver.requests:
        assert headers["webhook-id"] == event.pk
        assert Webhook(secret).verify(body, headers) == event.payload
    assert (
        json.loads(receiver.requests[1][1])["eventName"] == "com.comoyo.events.right.RightGranted"
    )
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.delivered_at is not None
    assert list(
        WebhookAttempt.objects.filter(delivery=delivery).values_list("number", "status")
    ) == [(1, 500), (2, 204)]


def test_a_wrong_secret_does_not_verify():
    with Receiver([200]) as receiver:
        _endpoint(receiver.url)
        _, other_secret = _endpoint("https://elsewhere.example/hook", owner="OTHER")
        event = _publish()
        webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get(event=event).pk)
    headers, body = receiver.requests[0]
    from standardwebhooks.webhooks import WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        Webhook(other_secret).verify(body, headers)


def test_the_secret_is_stored_encrypted_and_shown_once():
    endpoint, secret = _endpoint("https://hooks.example.com/x")
    assert secret.startswith("whsec_")
    assert secret not in endpoint.secret_encrypted
    assert decrypt_secret(WebhookEndpoint.objects.get().secret_encrypted) == secret


@pytest.mark.parametrize(
    "url", ["http://hooks.example.com/x", "ftp://x.example/", "not a url", "https://u:p@x.example/"]
)
def test_a_webhook_url_must_be_https(url):
    with pytest.raises(WebhookUrlInvalid):
        _endpoint(url)


def test_http_to_loopback_needs_the_setting(settings):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    settings.DEBUG = False
    with pytest.raises(WebhookUrlInvalid):
        _endpoint("http://127.0.0.1:9/hook")


def test_backoff_is_exponential():
    delays = [WEBHOOK_BACKOFF.delay(n) for n in (1, 2, 3, 4)]
    assert delays == sorted(delays) and delays[1] == 2 * delays[0] and delays[3] == 8 * delays[0]


def test_an_endpoint_failing_delivery_after_delivery_is_disabled_and_its_owner_mailed(
    settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_MAX_CONSECUTIVE_FAILURES = 2
    settings.JOBS_EAGER = True  # the mail job runs at commit
    with Receiver([503]) as receiver:
        endpoint, _ = _endpoint(receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            settings.JOBS_EAGER = False
            events = [_publish(), _publish()]
            settings.JOBS_EAGER = True
        for event in events:
            delivery = WebhookDelivery.objects.get(event=event)
            with pytest.raises(DeliveryFailed):
                webhook_delivery_attempt(delivery_id=delivery.pk)
            with django_capture_on_commit_callbacks(execute=True):
                assert webhook_delivery_attempt(delivery_id=delivery.pk) == "failed"
        assert len(receiver.requests) == 4

        endpoint.refresh_from_db()
        assert not endpoint.enabled and endpoint.disabled_at is not None
        assert endpoint.consecutive_failures == 2
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["ops@someone.example"]
        assert "disabled" in mail.outbox[0].subject
        assert receiver.url in mail.outbox[0].body

        # A disabled endpoint gets nothing more.
        settings.JOBS_EAGER = False
        later = _publish()
        assert not WebhookDelivery.objects.filter(event=later).exists()
        assert len(receiver.requests) == 4


def test_a_success_resets_the_failure_run(settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_MAX_CONSECUTIVE_FAILURES = 2
    with Receiver([500, 200, 500]) as receiver:
        endpoint, _ = _endpoint(receiver.url)
        for expected in ("failed", "delivered", "failed"):
            delivery = WebhookDelivery.objects.get(event=_publish())
            assert webhook_delivery_attempt(delivery_id=delivery.pk) == expected
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.consecutive_failures == 1


def test_a_rolled_back_change_pushes_nothing(settings, django_capture_on_commit_callbacks):
    settings.JOBS_EAGER = True
    with Receiver([200]) as receiver:
        _endpoint(receiver.url)
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            _publish()
            raise RuntimeError("the change fails")
        assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_committed_change_pushes_through_the_job(settings, django_capture_on_commit_callbacks):
    settings.JOBS_EAGER = True
    with Receiver([200]) as receiver:
        _, secret = _endpoint(receiver.url)
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            event = _publish()
        assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert Webhook(secret).verify(body, headers)["eventId"] == event.pk
    assert WebhookDelivery.objects.get().state == "delivered"


def test_the_job_queue_retries_a_failed_push_with_growing_waits_then_stops():
    from procrastinate import jobs

    def decision(attempts: int):
        job = jobs.Job(
            id=1, queue="webhooks", lock=None, queueing_lock=None,
            task_name="events.webhook_deliver", task_kwargs={}, attempts=attempts,
        )  # fmt: skip
        return WEBHOOK_BACKOFF.get_retry_decision(exception=DeliveryFailed(), job=job)

    waits = [decision(n).retry_at for n in range(3)]
    assert waits == sorted(waits)
    assert decision(WEBHOOK_BACKOFF.max_attempts - 1) is None
