"""Reads of the identity domain."""

from __future__ import annotations

import functools

from django.conf import settings

from accounts.errors import EmailInvalid, PhoneInvalid
from accounts.models import Email, Phone, User
from accounts.oidc.claims import Preferred, preferred_sql
from accounts.rows import Columns, fetch_joined, filter_by
from accounts.validators import normalize_email, normalize_phone


def user_find_by_login(identifier: str) -> User | None:
    """The user whose *verified* email (any case) or phone is *identifier*, or None."""
    identifier = (identifier or "").strip()
    if "@" in identifier:
        try:
            address = normalize_email(identifier)
        except EmailInvalid:
            return None
        return User.objects.filter(emails__address__iexact=address, emails__verified=True).first()
    try:
        number = normalize_phone(identifier, default_region=settings.PHONE_DEFAULT_REGION)
    except PhoneInvalid:
        return None
    return User.objects.filter(phones__number=number, phones__verified=True).first()


def user_find_by_identifier(identifier: str) -> User | None:
    """The user whose verified email (any case) or phone is a normalized identifier (see
    validators.normalize_identifier), or None."""
    if "@" in identifier:
        return User.objects.filter(
            emails__address__iexact=identifier, emails__verified=True
        ).first()
    return User.objects.filter(phones__number=identifier, phones__verified=True).first()


@functools.cache
def _user_with_username_sql() -> tuple[str, Columns]:
    columns = Columns.of(User, "u")
    select, joins = preferred_sql('u."id"')
    # Identifiers from model metadata; the user id is a bound parameter.
    sql = (
        f'SELECT {", ".join(columns.sql + select)} FROM "{User._meta.db_table}" u '  # noqa: S608
        f'{" ".join(joins)} WHERE u."id" = %s'
    )
    return sql, columns


def user_with_username(user_id: str) -> User | None:
    """The user, annotated with its preferred email and phone (for user_username), in one
    prepared statement: the /id/ API reads a user on every request."""
    if "\x00" in user_id:
        return None
    sql, columns = _user_with_username_sql()
    found = fetch_joined(sql, [user_id], (columns,))
    if found is None:
        return None
    (user,), extra = found
    preferred = Preferred.from_row(extra)
    user.preferred_email, user.preferred_email_verified = preferred.email, preferred.email_verified
    user.preferred_phone, user.preferred_phone_verified = preferred.phone, preferred.phone_verified
    return user


def user_username(user: User) -> tuple[str | None, bool]:
    """CONNECT's (`username`, `username_verified`) of a user from user_with_username: the
    preferred email if verified, else the preferred phone if verified, else whichever exists."""
    email, email_ok = (
        getattr(user, "preferred_email", None),
        bool(getattr(user, "preferred_email_verified", False)),
    )
    phone, phone_ok = (
        getattr(user, "preferred_phone", None),
        bool(getattr(user, "preferred_phone_verified", False)),
    )
    for value, verified in ((email, email_ok), (phone, phone_ok)):
        if value and verified:
            return value, True
    return (email or phone or None), False


def emails_of(user_id: str) -> list[Email]:
    """The user's addresses in their order (priority, then age), in one prepared statement."""
    return filter_by(Email, "user_id", user_id)


def phones_of(user_id: str) -> list[Phone]:
    """The user's numbers in their order (priority, then age), in one prepared statement."""
    return filter_by(Phone, "user_id", user_id)
