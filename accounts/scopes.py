"""The scope catalogue: CONNECT's OAuth scopes and what each lets a client see or do."""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    """Mark a description for makemessages; pages translate it when they show it. (Django's own
    gettext_noop reads settings, and the settings import this module.)"""
    return message


# CONNECT's scopes (spec/connect-api.md §2.1). `address` is listed by CONNECT as "not supported"
# and therefore not offered here.
OIDC_SCOPES: dict[str, str] = {
    "openid": gettext_noop("Sign you in"),
    "profile": gettext_noop("Your name and language"),
    "email": gettext_noop("Your preferred email address"),
    "phone": gettext_noop("Your preferred phone number"),
}

API_SCOPES: dict[str, str] = {
    "id.user.read": gettext_noop("Read your basic account information"),
    "id.user.write": gettext_noop("Change your basic account information"),
    "id.user.email.read": gettext_noop("Read all your email addresses"),
    "id.user.phone.read": gettext_noop("Read all your phone numbers"),
    "id.user.right.read": gettext_noop("See which services and content you have access to"),
    "id.user.right.use": gettext_noop("Record your use of services and content"),
    "id.user.sub.read": gettext_noop("See your subscriptions"),
    "id.user.account.read": gettext_noop("See which Telenor accounts are linked to yours"),
    "payment.transactions.read": gettext_noop("See your purchases"),
    "payment.transactions.write": gettext_noop("Make purchases on your behalf"),
    "payment.agreements.read": gettext_noop("See your recurring payment agreements"),
    "payment.agreements.write": gettext_noop("Set up recurring payment agreements"),
}

# Scopes a public client may never hold (spec §1.2: "Not available for public clients").
CONFIDENTIAL_ONLY_SCOPES: frozenset[str] = frozenset(
    {"id.user.write", "id.user.right.use", "payment.transactions.write", "payment.agreements.write"}
)

BUILTIN_SCOPES: dict[str, str] = {**OIDC_SCOPES, **API_SCOPES}


def scope_catalogue(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Return every scope this deployment knows: CONNECT's plus service-specific ones."""
    return {**BUILTIN_SCOPES, **(extra or {})}
