"""API credentials and client secrets: digests, constant-time checks, one query, revocation."""

from __future__ import annotations

from django.contrib.auth.hashers import identify_hasher
from django.utils import timezone
from oauth2_provider.oauth2_validators import OAuth2Validator

from accounts.models import ApiCredential
from accounts.services import api_credential_authenticate, api_credential_revoke
from tests.factories import TEST_ACTOR, ApiCredentialFactory, ClientFactory


def test_the_right_secret_authenticates_and_records_last_use(db):
    credential = ApiCredentialFactory()
    assert credential.last_used_at is None
    found = api_credential_authenticate(credential.username, credential.secret)
    assert found == credential
    assert ApiCredential.objects.get(pk=credential.pk).last_used_at is not None


def test_a_wrong_secret_or_unknown_username_does_not(db):
    credential = ApiCredentialFactory()
    assert api_credential_authenticate(credential.username, credential.secret + "x") is None
    assert api_credential_authenticate("api-nobody", credential.secret) is None


def test_a_revoked_credential_no_longer_authenticates(db):
    credential = ApiCredentialFactory()
    api_credential_revoke(credential=credential, actor=TEST_ACTOR)
    assert api_credential_authenticate(credential.username, credential.secret) is None


def test_a_recently_used_credential_costs_one_query(db, django_assert_num_queries):
    credential = ApiCredentialFactory()
    ApiCredential.objects.filter(pk=credential.pk).update(last_used_at=timezone.now())
    with django_assert_num_queries(1):
        assert api_credential_authenticate(credential.username, credential.secret)


def test_client_secrets_are_checked_by_dot_with_the_sha256_digest_not_a_password_hasher(db):
    """A password hasher per token request would make the token endpoint a CPU sink."""
    client = ClientFactory()
    assert identify_hasher(client.client_secret).algorithm == "secret_sha256"
    validator = OAuth2Validator()
    assert validator._check_secret(client.secret, client.client_secret)
    assert not validator._check_secret(client.secret[:-1], client.client_secret)
    assert not validator._check_secret("", client.client_secret)
