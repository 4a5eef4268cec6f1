"""The Event Queue API (spec §1.4): `next` hands out a message, `ack` deletes it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from connect_id.errors import DomainError
from events import selectors, services
from events.api.auth import AccessDenied, queue_reader
from events.api.problems import domain_error_response, problem_response
from events.errors import QueueNotFound
from events.models import EventQueue

View = Callable[[HttpRequest, EventQueue], HttpResponse]


def queue_view(*methods: str) -> Callable[[View], Callable[..., HttpResponse]]:
    """Authenticate the caller, find its queue, render domain errors as problem+json.

    Another owner's queue and an unknown one give the same 404: queue ids are not confirmed to
    anyone but their owner.
    """

    def decorate(view: View) -> Callable[..., HttpResponse]:
        @csrf_exempt  # HTTP Basic, no cookies: not a CSRF target
        @wraps(view)
        def wrapper(request: HttpRequest, queue_id: str) -> HttpResponse:
            if request.method not in methods:
                response = problem_response(
                    405,
                    "method_not_allowed",
                    f"Use {' or '.join(methods)} on this endpoint.",
                    headers={"Allow": ", ".join(methods)},
                )
                return response
            try:
                credential = queue_reader(request)
                queue = selectors.event_queue_of_owner(
                    queue_id=queue_id, owner_id=credential.grantor_id
                )
                if queue is None:
                    raise QueueNotFound()
                return view(request, queue)
            except AccessDenied as denied:
                return denied.response
            except DomainError as exc:
                return domain_error_response(exc)

        return wrapper

    return decorate


@queue_view("POST", "GET")
def next_message(request: HttpRequest, queue: EventQueue) -> HttpResponse:
    """200 with the next message in CONNECT's shape, or 204 when the queue is empty."""
    delivery = services.queue_message_next(queue=queue)
    if delivery is None:
        return HttpResponse(status=204)
    body: dict[str, Any] = {
        "messageId": str(delivery.message_id),
        "receiptId": delivery.receipt_id,
        "event": delivery.event,
        # Relative to …/{queueId}/next, as in CONNECT's example.
        "link": [{"rel": "ack", "href": f"ack?receiptId={delivery.receipt_id}"}],
    }
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


@queue_view("POST")
def ack_message(request: HttpRequest, queue: EventQueue) -> HttpResponse:
    """204 once the message is deleted; 404 receipt_unknown, 409 receipt_stale, 400
    receipt_required."""
    receipt_id = request.GET.get("receiptId") or request.POST.get("receiptId") or ""
    services.queue_message_ack(queue=queue, receipt_id=receipt_id)
    return HttpResponse(status=204)
