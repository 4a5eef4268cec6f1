"""factory_boy factories that create through the services, as production code does."""

from __future__ import annotations

from typing import Any

import factory

from accounts.audit import Actor
from accounts.models import ApiCredential, Client, User
from accounts.services import api_credential_create, client_create, user_create

TEST_ACTOR = Actor.system("test")


class UserFactory(factory.Factory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    phone = factory.Sequence(lambda n: f"4790{n:06d}")
    password = "correct horse battery"
    realname = factory.Faker("name")
    verified = True

    @classmethod
    def _create(cls, model_class: type[User], **kwargs: Any) -> User:
        return user_create(actor=TEST_ACTOR, **kwargs)


class ClientFactory(factory.Factory):
    """Creates a client; the plain secret is left on the instance as `.secret` for tests."""

    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Test service {n}")
    client_type = Client.CLIENT_CONFIDENTIAL
    redirect_uris = factory.LazyFunction(lambda: ["https://rp.example.com/callback"])
    allowed_scopes = factory.LazyFunction(lambda: ["openid", "profile", "email", "phone"])

    @classmethod
    def _create(cls, model_class: type[Client], **kwargs: Any) -> Client:
        client, secret = client_create(actor=TEST_ACTOR, **kwargs)
        client.secret = secret  # type: ignore[attr-defined]
        return client


class ApiCredentialFactory(factory.Factory):
    class Meta:
        model = ApiCredential

    name = factory.Sequence(lambda n: f"Backend {n}")
    operations = factory.LazyFunction(lambda: ["*"])

    @classmethod
    def _create(cls, model_class: type[ApiCredential], **kwargs: Any) -> ApiCredential:
        credential, secret = api_credential_create(actor=TEST_ACTOR, **kwargs)
        credential.secret = secret  # type: ignore[attr-defined]
        return credential
