"""Who may call the payment API (spec §5.1), and which merchant a caller acts for.

HTTP Basic API credentials hold `transactions:*` / `agreements:*` operations and act for their
grantor id; a user's bearer token (RFC 6750) with a `payment.*` scope acts for its OAuth client
and only for its own user. The checks themselves are userdata.permissions'.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Client, User
from userdata.permissions import AccessRule, Principal, forbidden

TRANSACTIONS_READ = "transactions:read"
TRANSACTIONS_WRITE = "transactions:write"
AGREEMENTS_READ = "agreements:read"
AGREEMENTS_WRITE = "agreements:write"
SCOPE_TRANSACTIONS_READ = "payment.transactions.read"
SCOPE_TRANSACTIONS_WRITE = "payment.transactions.write"
SCOPE_AGREEMENTS_READ = "payment.agreements.read"
SCOPE_AGREEMENTS_WRITE = "payment.agreements.write"


@dataclass(frozen=True)
class PaymentRule(AccessRule):
    """An AccessRule whose Bearer tokens may also hold `also_scope` instead of `scope` (a read
    accepts the write scope the merchant's app was given, or the read scope)."""

    also_scope: str | None = None


def write_rule(scope: str, operation: str) -> PaymentRule:
    # spec §5.1 and §2.1: payment scopes move money; public clients cannot keep a token safe.
    return PaymentRule(scope=scope, operation=operation, confidential_only=True)


def read_rule(write_scope: str, read_scope: str, operation: str) -> PaymentRule:
    return PaymentRule(scope=write_scope, also_scope=read_scope, operation=operation)


TX_READ = read_rule(SCOPE_TRANSACTIONS_WRITE, SCOPE_TRANSACTIONS_READ, TRANSACTIONS_READ)
TX_WRITE = write_rule(SCOPE_TRANSACTIONS_WRITE, TRANSACTIONS_WRITE)
# Giving money back is the merchant's decision: API credentials only, never a user's token.
TX_REFUND = PaymentRule(operation=TRANSACTIONS_WRITE)
AG_READ = read_rule(SCOPE_AGREEMENTS_WRITE, SCOPE_AGREEMENTS_READ, AGREEMENTS_READ)
AG_WRITE = write_rule(SCOPE_AGREEMENTS_WRITE, AGREEMENTS_WRITE)


@dataclass(frozen=True)
class Merchant:
    """The merchant a request acts for, and the user a bearer token limits it to."""

    id: str
    principal: Principal
    # A bearer token's user: the only payer it may name and see (None for API credentials).
    user: User | None = None

    def name(self) -> str:
        """A default merchantName: the credential's holder, or the OAuth client's name."""
        credential = self.principal.credential
        if credential is not None:
            return (credential.owner or credential.name)[:145]
        client = Client.objects.filter(client_id=self.id).only("name").first()
        return (client.name if client else self.id)[:145]


def merchant_of(principal: Principal) -> Merchant:
    """The merchant of an authenticated caller; 403 when the caller is no merchant."""
    credential = principal.credential
    if credential is not None:
        if not credential.grantor_id:
            # spec §5.1: the credential's grantor id is the merchant; without one, nobody is.
            raise forbidden(
                "merchant_required", "This API credential has no grantor id: it is no merchant."
            )
        return Merchant(id=credential.grantor_id, principal=principal)
    if principal.user is not None and principal.actor.client_id:
        return Merchant(id=principal.actor.client_id, principal=principal, user=principal.user)
    raise forbidden("merchant_required", "This access token was issued to no client.")


def payer_for(merchant: Merchant, connect_id: str | None) -> str | None:
    """The connectId a request may name: a bearer token's own user only (403 otherwise)."""
    if merchant.user is None:
        return connect_id
    if connect_id is not None and connect_id != merchant.user.pk:
        raise forbidden("user_mismatch", "A bearer token may only act for its own user.")
    return merchant.user.pk
