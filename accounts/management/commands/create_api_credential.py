"""Issue dedicated HTTP Basic credentials for the /id/ API."""

from typing import Any

from django.core.management.base import CommandParser

from accounts.audit import Actor
from accounts.management.base import ServiceCommand
from accounts.models import ApiCredential
from accounts.services import api_credential_create


class Command(ServiceCommand):
    help = "Issue API credentials. The password is printed once and stored only as a digest."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner", default="", help="Company or contact holding them.")
        parser.add_argument(
            "--grantor",
            default="",
            help="The grantor id the rights, subscriptions and event queues they create carry.",
        )
        parser.add_argument(
            "--operation",
            action="append",
            default=[],
            required=True,
            help="Repeatable: " + ", ".join(ApiCredential.Operation.values),
        )

    def run(self, **options: Any) -> dict[str, Any]:
        credential, secret = api_credential_create(
            actor=Actor.system("cli"),
            name=options["name"],
            owner=options["owner"],
            operations=options["operation"],
            grantor_id=options["grantor"],
        )
        result = {"username": credential.username, "password": secret}
        if credential.grantor_id:
            result["grantor_id"] = credential.grantor_id
        return result
