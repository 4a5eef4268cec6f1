"""Register an OAuth client and print its client_id and (once) its secret."""

from typing import Any

from django.core.management.base import CommandParser

from accounts.audit import Actor
from accounts.management.base import ServiceCommand
from accounts.models import Client
from accounts.services import client_create


class Command(ServiceCommand):
    help = "Register an OAuth client. The secret is printed once and stored only as a digest."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--name", required=True, help="Unique user-facing name.")
        parser.add_argument("--type", required=True, help="confidential or public")
        parser.add_argument("--redirect-uri", action="append", default=[])
        parser.add_argument("--post-logout-redirect-uri", action="append", default=[])
        parser.add_argument("--scope", action="append", default=[])
        parser.add_argument(
            "--grant",
            action="append",
            default=[],
            help="Repeatable: "
            + ", ".join(Client.GrantType.values)
            + " (default authorization_code and refresh_token).",
        )
        parser.add_argument("--first-party", action="store_true", help="Skip the consent page.")
        parser.add_argument("--backchannel-logout-uri", default="")
        parser.add_argument("--client-id", help="Default: random.")
        parser.add_argument("--platform", default="web", help=", ".join(Client.Platform.values))
        parser.add_argument("--application-type", help="web or native (default: from platform)")
        parser.add_argument("--description", default="")
        parser.add_argument("--company", default="")
        parser.add_argument("--logo-uri", default="")
        parser.add_argument("--no-sso", action="store_true", help="Never use the SSO session.")

    def run(self, **options: Any) -> dict[str, Any]:
        client, secret = client_create(
            actor=Actor.system("cli"),
            client_id=options["client_id"],
            name=options["name"],
            client_type=options["type"],
            redirect_uris=options["redirect_uri"],
            post_logout_redirect_uris=options["post_logout_redirect_uri"],
            allowed_scopes=[s for value in options["scope"] for s in value.split()],
            grant_types=options["grant"],
            skip_authorization=options["first_party"],
            backchannel_logout_uri=options["backchannel_logout_uri"],
            platform=options["platform"],
            application_type=options["application_type"],
            description=options["description"],
            company=options["company"],
            logo_uri=options["logo_uri"],
            sso_enabled=not options["no_sso"],
        )
        return {"client_id": client.client_id, "client_secret": secret}
