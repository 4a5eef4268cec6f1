"""Services that create, change and delete users."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from accounts.audit import Actor, audit_record
from accounts.errors import IdentifierRequired, PasswordInvalid
from accounts.ids import new_user_id
from accounts.models import RetiredUserId, User
from accounts.services.contacts import email_add, phone_add
from accounts.validators import (
    normalize_email,
    normalize_phone,
    normalize_realname,
    validate_birthdate,
)


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise PasswordInvalid(" ".join(exc.messages), field="password") from None


def _fresh_user_id() -> str:
    """A random id that no user, living or deleted, has had."""
    while True:
        candidate = new_user_id()
        if not RetiredUserId.objects.filter(pk=candidate).exists():
            return candidate


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    email: str | None = None,
    phone: str | None = None,
    password: str | None = None,
    realname: str = "",
    verified: bool = False,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create a user with an email and/or a phone, both preferred.

    Raise IdentifierRequired, EmailInvalid, PhoneInvalid, PasswordInvalid, and EmailTaken or
    PhoneTaken when *verified* and the address or number is verified on another account.
    Nothing is written when any of these is raised.
    """
    if not email and not phone:
        raise IdentifierRequired()
    # Validate everything before the first write, so a bad phone never leaves a half user.
    address = normalize_email(email) if email else None
    number = normalize_phone(phone, default_region=settings.PHONE_DEFAULT_REGION) if phone else None
    user = User(id=_fresh_user_id(), realname=normalize_realname(realname), is_staff=is_staff)
    user.is_superuser = is_superuser
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save(force_insert=True)
    audit_record(actor=actor, action="user.created", subject=user, target=user)
    if address:
        email_add(user=user, address=address, verified=verified, preferred=True, actor=actor)
    if number:
        phone_add(user=user, number=number, verified=verified, preferred=True, actor=actor)
    user.refresh_from_db(fields=["generation"])
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    actor: Actor,
    realname: str | None = None,
    birthdate: dt.date | str | None = "",
    attributes: dict[str, Any] | None = None,
    is_active: bool | None = None,
    is_staff: bool | None = None,
    is_superuser: bool | None = None,
) -> User:
    """Change a user's basic information; arguments left out are unchanged. Bumps generation."""
    changed: list[str] = []
    if realname is not None and normalize_realname(realname) != user.realname:
        user.realname = normalize_realname(realname)
        changed.append("realname")
    if birthdate != "" and birthdate != user.birthdate:
        user.birthdate = validate_birthdate(birthdate)  # type: ignore[arg-type]
        changed.append("birthdate")
    if attributes is not None and attributes != user.attributes:
        user.attributes = attributes
        changed.append("attributes")
    flags = (("is_active", is_active), ("is_staff", is_staff), ("is_superuser", is_superuser))
    for name, value in flags:
        if value is not None and value != getattr(user, name):
            setattr(user, name, value)
            changed.append(name)
    if changed:
        user.generation = F("generation") + 1
        user.save(update_fields=[*changed, "generation", "updated_at"])
        user.refresh_from_db(fields=["generation"])
        audit_record(
            actor=actor,
            action="user.updated",
            subject=user,
            target=user,
            details={"fields": changed},
        )
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str, actor: Actor) -> User:
    """Set a new password (Argon2id). Raise PasswordInvalid. Bumps generation."""
    _check_password(password, user)
    user.set_password(password)
    user.generation = F("generation") + 1
    user.save(update_fields=["password", "generation", "updated_at"])
    user.refresh_from_db(fields=["generation"])
    audit_record(actor=actor, action="user.password_set", subject=user, target=user)
    return user


@transaction.atomic
def user_delete(*, user: User, actor: Actor) -> None:
    """Delete a user and everything that is theirs; retire the id so it is never reused."""
    user_id = user.pk
    RetiredUserId.objects.get_or_create(pk=user_id)
    user.delete()
    audit_record(actor=actor, action="user.deleted", subject=user_id)
