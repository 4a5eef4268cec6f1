"""Create a user: `create_user --email E --phone P --password PW --name N [--verified]`."""

from typing import Any

from django.core.management.base import CommandParser

from accounts.audit import Actor
from accounts.management.base import ServiceCommand
from accounts.services import user_create


class Command(ServiceCommand):
    help = "Create a user with an email and/or phone (verified with --verified)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--email")
        parser.add_argument("--phone", help="E.164, with or without +, e.g. 4791234567")
        parser.add_argument("--password", help="Omit for an inactive user (no password).")
        parser.add_argument("--name", default="", help="The user's name (realname).")
        parser.add_argument(
            "--verified", action="store_true", help="Mark email and phone verified."
        )
        parser.add_argument("--staff", action="store_true", help="May sign in to the admin.")
        parser.add_argument("--superuser", action="store_true", help="Staff with every permission.")

    def run(self, **options: Any) -> dict[str, Any]:
        user = user_create(
            actor=Actor.system("cli"),
            email=options["email"],
            phone=options["phone"],
            password=options["password"],
            realname=options["name"],
            verified=options["verified"],
            is_staff=options["staff"] or options["superuser"],
            is_superuser=options["superuser"],
        )
        return {"id": user.pk}
