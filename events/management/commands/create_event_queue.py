"""Open an Event Queue (spec §1.4) for a grantor or service provider."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connect_id.errors import DomainError
from events.services import event_queue_create


class Command(BaseCommand):
    help = (
        "Open an Event Queue for a grantor or service provider id. Its API credentials "
        "(create_api_credential --grantor ID --operation events:read) read it at "
        "/event/queue/{queue_id}/next."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--grantor", required=True, help="The grantor or service provider id.")
        parser.add_argument("--name", default="", help="A name for people (e.g. the consumer).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            queue = event_queue_create(
                owner_id=options["grantor"], name=options["name"], actor="cli"
            )
        except DomainError as exc:
            # The service's transaction rolled back: nothing was written.
            raise CommandError(f"{exc.code}: {exc.message}") from None
        if options["json"]:
            self.stdout.write(json.dumps({"queue_id": queue.pk}))
        else:
            self.stdout.write(
                f"Event queue {queue.pk} opened for {queue.owner_id}: "
                f"POST /event/queue/{queue.pk}/next"
            )
