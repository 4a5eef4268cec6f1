"""The scope catalogue: CONNECT's OAuth scopes and what each lets a client see or do."""

from __future__ import annotations

# CONNECT's scopes (spec/connect-api.md §2.1). `address` is listed by CONNECT as "not supported"
# and therefore not offered here.
OIDC_SCOPES: dict[str, str] = {
    "openid": "Sign you in",
    "profile": "Your name and language",
    "email": "Your preferred email address",
    "phone": "Your preferred phone number",
}

API_SCOPES: dict[str, str] = {
    "id.user.read": "Read your basic account information",
    "id.user.write": "Change your basic account information",
    "id.user.email.read": "Read all your email addresses",
    "id.user.phone.read": "Read all your phone numbers",
    "id.user.right.read": "See which services and content you have access to",
    "id.user.right.use": "Record your use of services and content",
    "id.user.sub.read": "See your subscriptions",
    "id.user.account.read": "See which Telenor accounts are linked to yours",
    "payment.transactions.read": "See your purchases",
    "payment.transactions.write": "Make purchases on your behalf",
    "payment.agreements.read": "See your recurring payment agreements",
    "payment.agreements.write": "Set up recurring payment agreements",
}

# Scopes a public client may never hold (spec §1.2: "Not available for public clients").
CONFIDENTIAL_ONLY_SCOPES: frozenset[str] = frozenset(
    {"id.user.write", "id.user.right.use", "payment.transactions.write", "payment.agreements.write"}
)

BUILTIN_SCOPES: dict[str, str] = {**OIDC_SCOPES, **API_SCOPES}


def scope_catalogue(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Return every scope this deployment knows: CONNECT's plus service-specific ones."""
    return {**BUILTIN_SCOPES, **(extra or {})}
