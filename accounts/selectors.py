"""Reads of the identity domain."""

from __future__ import annotations

from django.conf import settings

from accounts.errors import EmailInvalid, PhoneInvalid
from accounts.models import User
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


def user_login_label(user: User) -> str:
    """What to show as "Signed in as ...": the preferred email, else phone, else the id."""
    email = user.emails.filter(preferred=True).values_list("address", flat=True).first()
    if email:
        return email
    phone = user.phones.filter(preferred=True).values_list("number", flat=True).first()
    return phone or user.pk
