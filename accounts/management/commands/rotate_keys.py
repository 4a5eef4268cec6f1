"""Add a new ID-token signing key; the old one stays published until its tokens expire."""

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.oidc import keys


class Command(BaseCommand):
    help = "Rotate the OpenID signing key (and prune keys no longer published)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.OIDC_PRIVATE_KEY_FILES:
            raise CommandError("Keys come from OIDC_PRIVATE_KEY_FILES; rotate those files instead.")
        key = keys.rotate()
        pruned = keys.prune()
        result = {"kid": key.kid, "pruned": pruned}
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(f"New signing key {key.kid}; {pruned} expired key(s) pruned.")
