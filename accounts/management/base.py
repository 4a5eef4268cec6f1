"""Shared behaviour of the admin CLI: --json output and one-line errors."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connect_id.errors import DomainError


class ServiceCommand(BaseCommand):
    """A command that calls one service. With --json it prints exactly one JSON object.

    A DomainError exits non-zero with a one-line reason on stderr; the service's transaction
    has rolled back, so nothing is written.
    """

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = self.run(**options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        if options["json"]:
            self.stdout.write(json.dumps(result, sort_keys=True))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")

    def run(self, **options: Any) -> dict[str, Any]:
        raise NotImplementedError
