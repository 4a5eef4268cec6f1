"""The Event Queue over HTTP (spec §1.4): next, ack, redelivery, and who may read a queue."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection, connections
from django.test import Client as HttpClient
from django.utils import timezone

from events.models import QueueMessage
from events.services import event_publish, queue_message_next

PROBLEM = "application/problem+json"


def publish(owner: str = "SOMEONE", **body) -> str:
    event = event_publish(
        name="com.comoyo.events.right.RightGranted",
        user_id="5984355786103463936",
        owners=[owner],
        body={"grantorId": owner, "rightId": "52fd09dbd3400000", "sku": "CMO-STO-5-M", **body},
    )
    return event.pk


def test_next_returns_the_message_in_connects_shape(grantor_client, someone_queue):
    event_id = publish()
    response = grantor_client().post(f"/event/queue/{someone_queue.pk}/next")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"messageId", "receiptId", "event", "link"}
    uuid.UUID(body["messageId"])
    assert body["link"] == [{"rel": "ack", "href": f"ack?receiptId={body['receiptId']}"}]
    event = body["event"]
    assert event["eventId"] == event_id
    assert event["eventName"] == "com.comoyo.events.right.RightGranted"
    assert event["userId"] == "5984355786103463936"
    assert event["grantorId"] == "SOMEONE"
    assert event["sku"] == "CMO-STO-5-M"
    assert isinstance(event["timestamp"], int) and event["isoTimestamp"].endswith("Z")


def test_get_next_works_too(grantor_client, someone_queue):
    publish()
    assert grantor_client().get(f"/event/queue/{someone_queue.pk}/next").status_code == 200


def test_next_on_an_empty_queue_is_204(grantor_client, someone_queue):
    response = grantor_client().post(f"/event/queue/{someone_queue.pk}/next")
    assert response.status_code == 204
    assert response.content == b""


def test_a_fetched_message_is_invisible_then_comes_back_with_a_fresh_receipt(
    grantor_client, someone_queue
):
    publish()
    http = grantor_client()
    first = http.post(f"/event/queue/{someone_queue.pk}/next").json()
    # Within the visibility timeout nobody else gets it.
    assert http.post(f"/event/queue/{someone_queue.pk}/next").status_code == 204

    # Move the clock: the visibility timeout has passed.
    QueueMessage.objects.update(visible_after=timezone.now() - dt.timedelta(seconds=1))
    second = http.post(f"/event/queue/{someone_queue.pk}/next").json()
    assert second["messageId"] == first["messageId"]
    assert second["receiptId"] != first["receiptId"]
    assert QueueMessage.objects.get().receive_count == 2

    stale = http.post(f"/event/queue/{someone_queue.pk}/ack?receiptId={first['receiptId']}")
    assert stale.status_code == 409
    assert stale["Content-Type"] == PROBLEM
    assert stale.json()["code"] == "receipt_stale"

    fresh = http.post(f"/event/queue/{someone_queue.pk}/ack?receiptId={second['receiptId']}")
    assert fresh.status_code == 204


def test_visibility_timeout_is_a_setting(settings, someone_queue):
    settings.EVENT_QUEUE_VISIBILITY_SECONDS = 5
    publish()
    now = timezone.now()
    assert queue_message_next(queue=someone_queue, now=now) is not None
    assert queue_message_next(queue=someone_queue, now=now + dt.timedelta(seconds=4)) is None
    assert queue_message_next(queue=someone_queue, now=now + dt.timedelta(seconds=6)) is not None


def test_ack_deletes_the_message(grantor_client, someone_queue):
    publish()
    http = grantor_client()
    body = http.post(f"/event/queue/{someone_queue.pk}/next").json()
    response = http.post(f"/event/queue/{someone_queue.pk}/{body['link'][0]['href']}")
    assert response.status_code == 204
    assert not QueueMessage.objects.exists()
    QueueMessage.objects.update(visible_after=timezone.now() - dt.timedelta(hours=1))
    assert http.post(f"/event/queue/{someone_queue.pk}/next").status_code == 204

    again = http.post(f"/event/queue/{someone_queue.pk}/ack?receiptId={body['receiptId']}")
    assert again.status_code == 404
    assert again.json()["code"] == "receipt_unknown"


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("", 400, "receipt_required"),
        ("?receiptId=", 400, "receipt_required"),
        ("?receiptId=nonsense", 404, "receipt_unknown"),
        (f"?receiptId={uuid.uuid4().hex}{'A' * 43}", 404, "receipt_unknown"),
    ],
)
def test_a_bad_receipt_is_a_clear_error(grantor_client, someone_queue, query, status, code):
    response = grantor_client().post(f"/event/queue/{someone_queue.pk}/ack{query}")
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == code


def test_a_receipt_of_another_queue_does_not_ack_here(grantor_client, someone_queue):
    from tests.events.factories import EventQueueFactory

    other = EventQueueFactory(owner_id="SOMEONE")
    publish()
    http = grantor_client()
    body = http.post(f"/event/queue/{someone_queue.pk}/next").json()
    response = http.post(f"/event/queue/{other.pk}/ack?receiptId={body['receiptId']}")
    assert response.status_code == 404
    assert QueueMessage.objects.filter(queue=someone_queue).exists()


def test_another_grantors_queue_looks_like_an_unknown_one(grantor_client, someone_queue):
    publish()
    http = grantor_client("OTHER")
    theirs = http.post(f"/event/queue/{someone_queue.pk}/next")
    unknown = http.post("/event/queue/no-such-queue/next")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()
    assert theirs.json()["code"] == "queue_not_found"
    assert QueueMessage.objects.get().receive_count == 0


def test_a_credential_without_a_grantor_sees_no_queue(grantor_client, someone_queue):
    response = grantor_client("").post(f"/event/queue/{someone_queue.pk}/next")
    assert response.status_code == 404


def test_a_disabled_queue_is_404(grantor_client, someone_queue):
    someone_queue.enabled = False
    someone_queue.save()
    assert grantor_client().post(f"/event/queue/{someone_queue.pk}/next").status_code == 404


def test_a_credential_without_events_read_is_403(grantor_client, someone_queue):
    response = grantor_client("SOMEONE", "rights:read").post(
        f"/event/queue/{someone_queue.pk}/next"
    )
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "operation_not_allowed"


def test_no_credentials_is_401_with_a_basic_challenge(anon, someone_queue):
    response = anon.post(f"/event/queue/{someone_queue.pk}/next")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="CONNECT ID"')
    assert response.json()["code"] == "authentication_required"


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + "YWxpY2U6d3Jvbmc=", "Bearer abc"])
def test_wrong_credentials_are_401(someone_queue, header):
    response = HttpClient(HTTP_AUTHORIZATION=header).post(f"/event/queue/{someone_queue.pk}/next")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response


def test_a_wrong_method_is_405(grantor_client, someone_queue):
    response = grantor_client().get(f"/event/queue/{someone_queue.pk}/ack?receiptId=x")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response["Content-Type"] == PROBLEM


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_nexts_get_different_messages():
    from tests.events.factories import EventQueueFactory

    queue = EventQueueFactory(owner_id="SOMEONE")
    publish()
    publish()
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def consume() -> None:
        try:
            from django.db import transaction

            with transaction.atomic():
                barrier.wait(timeout=10)
                delivery = queue_message_next(queue=queue)
                # Hold the row lock until the other thread has picked too.
                barrier.wait(timeout=10)
            results.append(str(delivery.message_id) if delivery else "none")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=consume) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(results) == 2 and "none" not in results
    assert results[0] != results[1]
    connection.close()


def test_next_and_ack_do_a_bounded_number_of_queries(
    grantor_client, someone_queue, django_assert_max_num_queries
):
    for _ in range(20):
        publish()
    http = grantor_client()
    http.post(f"/event/queue/{someone_queue.pk}/next")  # warm: last_used_at is written once
    # Authentication (1), the queue (1), the message with its event in one UPDATE (1), and the
    # savepoint pair of the service's atomic block.
    with django_assert_max_num_queries(5):
        body = http.post(f"/event/queue/{someone_queue.pk}/next").json()
    with django_assert_max_num_queries(6):
        assert http.post(f"/event/queue/{someone_queue.pk}/ack?receiptId={body['receiptId']}")
