"""Create (idempotently) a demo admin, a demo user and a demo client, and print how to try them."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.audit import Actor
from accounts.models import Client, User
from accounts.selectors import user_find_by_login
from accounts.services import client_create, client_rotate_secret, user_create, user_set_password

ADMIN_EMAIL = "admin@demo.connect-id.example"
USER_EMAIL = "kari@demo.connect-id.example"
USER_PHONE = "4791234567"
CLIENT_ID = "connect-demo-web"
CLIENT_SCOPES = [
    "openid",
    "profile",
    "email",
    "phone",
    "id.user.read",
    "id.user.write",
    "id.user.email.read",
    "id.user.phone.read",
    "id.user.account.read",
]


def demo_secret(purpose: str) -> str:
    """A secret that is stable for this deployment (derived from SECRET_KEY), so a rerun can
    print the same credentials without storing them in plain text."""
    digest = hmac.new(settings.SECRET_KEY.encode(), purpose.encode(), hashlib.sha256).hexdigest()
    return f"demo-{digest[:20]}"


class Command(BaseCommand):
    help = "Create the demo admin, user and client (idempotent) and print their credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("bootstrap_demo creates known accounts; it runs only with DEBUG on.")
        actor = Actor.system("bootstrap_demo")
        admin_password, user_password = demo_secret("admin"), demo_secret("user")
        admin = self._user(actor, ADMIN_EMAIL, None, admin_password, "Demo Admin", staff=True)
        user = self._user(actor, USER_EMAIL, USER_PHONE, user_password, "Kari Nordmann")
        client_secret = demo_secret("client")
        client = Client.objects.filter(client_id=CLIENT_ID).first()
        if client is None:
            client, _ = client_create(
                actor=actor,
                client_id=CLIENT_ID,
                name="CONNECT ID demo",
                client_type=Client.CLIENT_CONFIDENTIAL,
                redirect_uris=[
                    "http://localhost:8081/connect/oauth2callback",
                    "http://127.0.0.1:8081/connect/oauth2callback",
                ],
                post_logout_redirect_uris=["http://localhost:8081/"],
                allowed_scopes=CLIENT_SCOPES,
                grant_types=list(Client.GrantType.values),
                description="The demo client created by bootstrap_demo.",
            )
        if not check_password(client_secret, client.client_secret):
            client_rotate_secret(client=client, actor=actor, secret=client_secret)
        base = settings.SITE_URL
        result = {
            "admin": {
                "url": f"{base}/{settings.ADMIN_PATH}",
                "email": ADMIN_EMAIL,
                "password": admin_password,
                "id": admin.pk,
            },
            "user": {
                "email": USER_EMAIL,
                "phone": USER_PHONE,
                "password": user_password,
                "id": user.pk,
            },
            "client": {
                "client_id": CLIENT_ID,
                "client_secret": client_secret,
                "redirect_uri": "http://localhost:8081/connect/oauth2callback",
            },
            "urls": {
                "home": f"{base}/",
                "ready": f"{base}/readyz",
                "discovery": f"{settings.ISSUER}/.well-known/openid-configuration",
                "authorize": f"{base}/oauth/authorize?response_type=code&client_id={CLIENT_ID}"
                "&redirect_uri=http://localhost:8081/connect/oauth2callback&scope=openid+profile"
                "&state=demo",
                "authorize_nb": f"{base}/oauth/authorize?response_type=code&client_id={CLIENT_ID}"
                "&redirect_uri=http://localhost:8081/connect/oauth2callback&scope=openid+phone"
                "&state=demo&ui_locales=nb",
                "api": f"{base}/id/docs",
            },
            # Sign-up: type a new mobile number on the sign-in page; SMS PINs and mails are
            # printed on this console in development.
        }
        if options["json"]:
            self.stdout.write(json.dumps(result, sort_keys=True))
            return
        self.stdout.write("CONNECT ID demo")
        for section, values in result.items():
            self.stdout.write(f"  {section}:")
            for key, value in values.items():
                self.stdout.write(f"    {key:<14} {value}")

    def _user(
        self,
        actor: Actor,
        email: str,
        phone: str | None,
        password: str,
        name: str,
        staff: bool = False,
    ) -> User:
        user = user_find_by_login(email)
        if user is None:
            return user_create(
                actor=actor,
                email=email,
                phone=phone,
                password=password,
                realname=name,
                verified=True,
                is_staff=staff,
                is_superuser=staff,
            )
        if not user.check_password(password):
            user_set_password(user=user, password=password, actor=actor)
        return user
