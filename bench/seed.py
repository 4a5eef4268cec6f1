"""Create the benchmark's data and print what the load scripts need as one JSON object."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sys

import django


def main(token_file: str, refresh_count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connect_id.settings")
    django.setup()
    from django.utils import timezone
    from oauth2_provider.models import set_token_value

    from accounts.audit import Actor
    from accounts.models import AccessToken, RefreshToken
    from accounts.services import api_credential_create, client_create, user_create

    actor = Actor.system("bench")
    user = user_create(
        actor=actor,
        email="bench@example.com",
        phone="4799999999",
        password="bench passphrase",
        realname="Bench User",
        verified=True,
    )
    client, secret = client_create(
        actor=actor,
        name="Bench client",
        client_type="confidential",
        redirect_uris=["https://bench.example/cb"],
        allowed_scopes=[
            "openid",
            "profile",
            "email",
            "phone",
            "id.user.read",
            "id.user.email.read",
            "id.user.phone.read",
            "id.user.right.read",
        ],
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
    )
    credential, api_secret = api_credential_create(
        actor=actor, name="Bench backend", operations=["*"]
    )
    expires = timezone.now() + dt.timedelta(days=1)
    # 50 rights valid now, for GET …/rights?active=NOW.
    from rights.services import RightGrant, right_create
    from rights.validators.timespec import Interval

    now = timezone.now()
    for i in range(50):
        right_create(
            user=user,
            grantor_id="bench",
            grant=RightGrant(
                sku=f"BENCH-{i}",
                interval=Interval(now - dt.timedelta(days=1), now + dt.timedelta(days=30)),
                service_provider_id="bench.service",
            ),
            actor=actor,
        )
    scope = (
        "openid profile email phone id.user.read id.user.email.read id.user.phone.read"
        " id.user.right.read"
    )

    def access_token() -> tuple[AccessToken, str]:
        raw = secrets.token_urlsafe(32)
        token = AccessToken(user=user, application=client, scope=scope, expires=expires)
        set_token_value(token, raw)
        return token, raw

    bearer, bearer_raw = access_token()
    bearer.save()
    pairs = [access_token() for _ in range(refresh_count)]
    AccessToken.objects.bulk_create([token for token, _ in pairs], batch_size=2000)
    refresh_raws = []
    refresh_tokens = []
    for token, _ in pairs:
        raw = secrets.token_urlsafe(32)
        refresh = RefreshToken(user=user, application=client, access_token=token, token_family=None)
        set_token_value(refresh, raw)
        refresh_tokens.append(refresh)
        refresh_raws.append(raw)
    RefreshToken.objects.bulk_create(refresh_tokens, batch_size=2000)
    with open(token_file, "w") as handle:
        handle.write("\n".join(refresh_raws) + "\n")
    json.dump(
        {
            "user_id": user.pk,
            "client_id": client.client_id,
            "client_secret": secret,
            "api_username": credential.username,
            "api_password": api_secret,
            "access_token": bearer_raw,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
