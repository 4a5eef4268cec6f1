"""manage.py create_event_queue and the admin pages of the events domain."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from events.crypto import decrypt_secret
from events.models import EventQueue, WebhookEndpoint
from events.services import event_publish
from tests.events.factories import EventQueueFactory

pytestmark = pytest.mark.django_db


def test_create_event_queue_prints_its_id_as_json(grantor_client):
    out = StringIO()
    call_command(
        "create_event_queue", "--grantor", "SOMEONE", "--name", "shop", "--json", stdout=out
    )
    queue_id = json.loads(out.getvalue())["queue_id"]
    queue = EventQueue.objects.get(pk=queue_id)
    assert queue.owner_id == "SOMEONE" and queue.name == "shop"
    event_publish(name="X", user_id="1", owners=["SOMEONE"], body={})
    assert grantor_client().post(f"/event/queue/{queue_id}/next").status_code == 200


def test_create_event_queue_without_json_prints_a_line():
    out = StringIO()
    call_command("create_event_queue", "--grantor", "SOMEONE", stdout=out)
    queue = EventQueue.objects.get()
    assert f"/event/queue/{queue.pk}/next" in out.getvalue()


def test_create_event_queue_refuses_a_bad_grantor():
    with pytest.raises(CommandError, match="owner_id_invalid"):
        call_command("create_event_queue", "--grantor", " bad id ")
    assert not EventQueue.objects.exists()


def test_admin_opens_a_queue(admin_client):
    response = admin_client.post(
        "/admin/events/eventqueue/add/", {"owner_id": "SOMEONE", "name": "from admin"}
    )
    assert response.status_code == 302
    queue = EventQueue.objects.get()
    assert queue.name == "from admin"
    assert admin_client.get(response["Location"]).status_code == 200


def test_admin_shows_an_invalid_owner_inline(admin_client):
    response = admin_client.post("/admin/events/eventqueue/add/", {"owner_id": "-x-", "name": ""})
    assert response.status_code == 200
    assert b"owner" in response.content.lower()
    assert not EventQueue.objects.exists()


def test_admin_adds_a_webhook_endpoint_and_shows_the_secret_once(admin_client):
    response = admin_client.post(
        "/admin/events/webhookendpoint/add/",
        {
            "owner_id": "SOMEONE",
            "url": "https://hooks.example.com/connect",
            "contact_email": "ops@someone.example",
            "description": "",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get()
    secret = decrypt_secret(endpoint.secret_encrypted)
    assert secret.encode() in response.content
    detail = admin_client.get(f"/admin/events/webhookendpoint/{endpoint.pk}/change/")
    assert detail.status_code == 200
    assert secret.encode() not in detail.content


def test_admin_refuses_a_plain_http_webhook(admin_client):
    response = admin_client.post(
        "/admin/events/webhookendpoint/add/",
        {"owner_id": "SOMEONE", "url": "http://hooks.example.com/", "contact_email": "a@b.example"},
    )
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()


def test_admin_lists_are_readable(admin_client, settings):
    settings.JOBS_EAGER = False
    EventQueueFactory(owner_id="SOMEONE")
    WebhookEndpoint.objects.create(
        owner_id="SOMEONE",
        url="https://x.example/",
        contact_email="a@b.example",
        secret_encrypted="x",
    )
    event_publish(name="X", user_id="1", owners=["SOMEONE"], body={"a": 1})
    for model in ("event", "eventqueue", "queuemessage", "webhookendpoint", "webhookdelivery"):
        assert admin_client.get(f"/admin/events/{model}/").status_code == 200, model
    from events.models import Event, QueueMessage, WebhookDelivery

    for model, obj in (
        ("event", Event.objects.get()),
        ("queuemessage", QueueMessage.objects.get()),
        ("webhookdelivery", WebhookDelivery.objects.get()),
    ):
        assert admin_client.get(f"/admin/events/{model}/{obj.pk}/change/").status_code == 200, model
    # Messages and deliveries cannot be added by hand.
    assert admin_client.get("/admin/events/queuemessage/add/").status_code == 403


def test_admin_disables_a_queue_through_the_action(admin_client):
    queue = EventQueueFactory(owner_id="SOMEONE")
    response = admin_client.post(
        "/admin/events/eventqueue/",
        {"action": "disable", "_selected_action": [queue.pk]},
    )
    assert response.status_code == 302
    queue.refresh_from_db()
    assert not queue.enabled
