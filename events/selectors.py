"""Reads of the events domain."""

from __future__ import annotations

from events.models import EventQueue


def event_queue_of_owner(*, queue_id: str, owner_id: str) -> EventQueue | None:
    """The enabled queue *queue_id* when *owner_id* owns it, else None (unknown, disabled and
    another owner's queues look the same)."""
    if not owner_id or len(queue_id) > 64:
        return None
    return EventQueue.objects.filter(pk=queue_id, owner_id=owner_id, enabled=True).first()
