"""Add an ID-token signing key: published at once, signing after the JWKS caches have seen it;
the old one stays published until its tokens expire."""

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.oidc import keys


class Command(BaseCommand):
    help = "Rotate the OpenID signing key (and prune keys no longer published)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument(
            "--now",
            action="store_true",
            help="Sign with the new key at once (after a compromise), not after publishing it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.OIDC_PRIVATE_KEY_FILES:
            raise CommandError("Keys come from OIDC_PRIVATE_KEY_FILES; rotate those files instead.")
        key = keys.rotate(immediately=options["now"])
        pruned = keys.prune()
        result = {"kid": key.kid, "signs_from": key.activates_at.isoformat(), "pruned": pruned}
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"New signing key {key.kid}, published now, signing from "
                f"{key.activates_at:%Y-%m-%d %H:%M:%S %Z}; {pruned} expired key(s) pruned."
            )
