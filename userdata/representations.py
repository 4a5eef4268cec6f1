"""CONNECT's JSON objects (spec §1.2) built as plain dicts: the hot read paths skip serializers."""

from __future__ import annotations

from typing import Any

from accounts.models import AccountLink, Email, Phone, User
from accounts.selectors import user_username

USER_LINK_RELS = ("accounts", "mails", "phones", "rights", "subs", "tnc", "attributes")


def link(rel: str, href: str) -> dict[str, Any]:
    return {"rel": rel, "href": href, "type": None, "idref": None}


def user_href(base: str, user_id: str) -> str:
    return f"{base}/id/users/{user_id}"


def user_json(user: User, base: str) -> dict[str, Any]:
    """The user object; *user* comes from accounts.selectors.user_with_username."""
    href = user_href(base, user.pk)
    username, verified = user_username(user)
    active = user.active
    return {
        "id": user.pk,
        "href": href,
        "generation": str(user.generation),
        "username": username,
        "username_verified": verified,
        "active": active,
        "realname": user.realname or None,
        "birthdate": user.birthdate.isoformat() if user.birthdate else None,
        "attributes": user.attributes if isinstance(user.attributes, dict) else {},
        # Spec §1.2: PIN sign-in needs an active user within authenticationExpiry (0: none).
        "pinAuthenticationAllowed": active,
        "authenticationExpiry": 0,
        "rights_href": f"{href}/rights",
        "link": [link("self", href), *(link(rel, f"{href}/{rel}") for rel in USER_LINK_RELS)],
    }


def mail_json(mail: Email, base: str) -> dict[str, Any]:
    href = f"{user_href(base, mail.user_id)}/mails/{mail.pk}"
    return {
        "id": mail.pk,
        "href": href,
        "generation": str(mail.generation),
        "address": mail.address,
        "verified": mail.verified,
        # The code travels by mail only; CONNECT's field is kept, always null.
        "verificationCode": None,
        "priority": mail.priority,
        "link": [
            link("self", href),
            link("sendverificationmail", f"{href}/sendverificationmail"),
            link("makeprimary", f"{href}/makeprimary"),
        ],
    }


def phone_json(phone: Phone, base: str) -> dict[str, Any]:
    href = f"{user_href(base, phone.user_id)}/phones/{phone.pk}"
    return {
        "id": phone.pk,
        "href": href,
        "generation": str(phone.generation),
        "number": phone.number,
        "type": phone.type or None,
        "verified": phone.verified,
        "verificationCode": None,
        "priority": phone.priority,
        "link": [
            link("self", href),
            link("sendverificationsms", f"{href}/sendverificationsms"),
            link("verify", f"{href}/verify"),
            link("makeprimary", f"{href}/makeprimary"),
        ],
    }


def account_json(account: AccountLink, base: str) -> dict[str, Any]:
    return {
        "id": account.pk,
        "href": f"{user_href(base, account.user_id)}/accounts/{account.pk}",
        "generation": str(account.generation),
        "type": account.type,
        "userid": account.external_user_id,
        "msisdn": account.msisdn or None,
    }
