"""Services for the dedicated HTTP Basic API credentials."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts import rows
from accounts.audit import Actor, audit_record
from accounts.errors import OperationRequired, UnknownOperation
from accounts.hashers import secret_digest, secret_matches
from accounts.ids import new_secret
from accounts.models import ApiCredential
from accounts.validators import normalize_grantor_id

# Writing last_used_at on every request would make each API read a write; once a minute is enough.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)
# Compared against when the username is unknown, so a miss costs the same as a wrong secret.
_DUMMY_DIGEST = secret_digest("no-such-credential")


@transaction.atomic
def api_credential_create(
    *, name: str, operations: list[str], actor: Actor, owner: str = "", grantor_id: str = ""
) -> tuple[ApiCredential, str]:
    """Issue credentials; return them with the secret, which is stored only as a SHA-256 digest.
    With *grantor_id*, the rights, subscriptions and event queues they create carry it.

    Raise OperationRequired, UnknownOperation or GrantorIdInvalid.
    """
    ops = list(dict.fromkeys(op.strip() for op in operations if op.strip()))
    if not ops:
        raise OperationRequired(field="operation")
    for op in ops:
        if op not in ApiCredential.Operation.values:
            raise UnknownOperation(f"Unknown API operation: {op!r}.", field="operation")
    if not name.strip():
        raise OperationRequired("An API credential needs a name.", field="name")
    grantor = normalize_grantor_id(grantor_id) if grantor_id.strip() else ""
    secret = new_secret()
    credential = ApiCredential.objects.create(
        name=name.strip(),
        owner=owner.strip(),
        operations=ops,
        grantor_id=grantor,
        secret_hash=secret_digest(secret),
    )
    audit_record(
        actor=actor,
        action="api_credential.created",
        target=credential,
        details={"username": credential.username, "operations": ops, "grantor_id": grantor},
    )
    return credential, secret


@transaction.atomic
def api_credential_revoke(*, credential: ApiCredential, actor: Actor) -> ApiCredential:
    """Revoke credentials for good; requests using them are refused from now on."""
    if credential.revoked_at is None:
        credential.revoked_at = timezone.now()
        credential.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_credential.revoked",
            target=credential,
            details={"username": credential.username},
        )
    return credential


def api_credential_authenticate(username: str, secret: str) -> ApiCredential | None:
    """Return the live credential for username and secret, or None. One indexed query; records
    the last use at most once a minute. The secret is compared in constant time."""
    credential = rows.get_by(ApiCredential, "username", username)
    if not secret_matches(secret, credential.secret_hash if credential else _DUMMY_DIGEST):
        return None
    if credential is None or credential.revoked_at is not None:
        return None
    now = timezone.now()
    if credential.last_used_at is None or now - credential.last_used_at > LAST_USED_RESOLUTION:
        ApiCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now
    return credential
