"""Services with optimistic concurrency (a generation precondition checked under a row lock) and
the strict claim rule of the /id/ API (an address verified on another account cannot be added)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from accounts.audit import Actor
from accounts.errors import (
    AccountLinkNotFound,
    EmailTaken,
    GenerationMismatch,
    MailNotFound,
    PhoneNotFound,
    PhoneTaken,
    PreconditionFailed,
    UserNotFound,
)
from accounts.models import AccountLink, Email, Phone, User
from accounts.services.contacts import contact_delete, email_add, phone_add
from accounts.services.links import account_link_delete
from accounts.services.users import user_create, user_delete, user_update
from accounts.validators import normalize_email, normalize_phone


@dataclass(frozen=True)
class Precondition:
    """What the caller believes a resource's generation is.

    `if_match`: the entity tags of an If-Match header (strong, unquoted; "*" for any), checked
    with RFC 9110 §13.1.1's strong comparison: PreconditionFailed (412) when none matches.
    `generation`: a `generation` sent in the body: GenerationMismatch (409) when it differs.
    """

    if_match: tuple[str, ...] | None = None
    generation: str | None = None

    def check(self, current: int) -> None:
        matched = self.if_match is None or "*" in self.if_match or str(current) in self.if_match
        if not matched:
            raise PreconditionFailed()
        if self.generation is not None and self.generation != str(current):
            raise GenerationMismatch(field="generation")


ANY = Precondition()


def _lock(model: type[Any], not_found: type[Exception], **lookup: Any) -> Any:
    try:
        return model.objects.select_for_update().get(**lookup)
    except model.DoesNotExist:
        raise not_found() from None


@transaction.atomic
def user_update_guarded(
    *, user_id: str, actor: Actor, precondition: Precondition = ANY, **changes: Any
) -> User:
    """Lock the user, check *precondition* against its generation, then apply user_update.

    Raise UserNotFound, PreconditionFailed or GenerationMismatch; of two racing updates sent
    with the same generation exactly one is applied.
    """
    user = _lock(User, UserNotFound, pk=user_id)
    precondition.check(user.generation)
    return user_update(user=user, actor=actor, **changes)


@transaction.atomic
def user_delete_guarded(*, user_id: str, actor: Actor, precondition: Precondition = ANY) -> None:
    """Lock the user, check *precondition*, then delete it (user_delete). Raise UserNotFound,
    PreconditionFailed or GenerationMismatch."""
    user = _lock(User, UserNotFound, pk=user_id)
    precondition.check(user.generation)
    user_delete(user=user, actor=actor)


def _refuse_taken(*, kind: str, value: str, user_id: str | None) -> None:
    others: QuerySet[Any]
    error: type[EmailTaken] | type[PhoneTaken]
    if kind == "email":
        others, error = Email.objects.filter(address__iexact=value, verified=True), EmailTaken
    else:
        others, error = Phone.objects.filter(number=value, verified=True), PhoneTaken
    if user_id is not None:
        others = others.exclude(user_id=user_id)
    if others.exists():
        raise error(field="address" if kind == "email" else "number")


@transaction.atomic
def user_register(
    *,
    actor: Actor,
    username: str,
    verified: bool = False,
    password: str | None = None,
    realname: str = "",
    birthdate: dt.date | None = None,
    attributes: dict[str, Any] | None = None,
) -> User:
    """Create a user whose username is an email address (with "@") or a phone number.

    Raise EmailInvalid, PhoneInvalid, PasswordInvalid, or EmailTaken/PhoneTaken when the
    address or number is verified on another account, verified or not here (spec §1.2: on at
    most one account).
    """
    if "@" in username:
        address = normalize_email(username)
        _refuse_taken(kind="email", value=address, user_id=None)
        email, phone = address, None
    else:
        number = normalize_phone(username, default_region=settings.PHONE_DEFAULT_REGION)
        _refuse_taken(kind="phone", value=number, user_id=None)
        email, phone = None, number
    user = user_create(
        actor=actor,
        email=email,
        phone=phone,
        password=password,
        realname=realname,
        verified=verified,
    )
    if birthdate is not None or attributes:
        user = user_update(user=user, actor=actor, birthdate=birthdate, attributes=attributes)
    return user


@transaction.atomic
def email_add_exclusive(
    *, user: User, address: str, actor: Actor, verified: bool = False, priority: int | None = None
) -> Email:
    """email_add, refusing (EmailTaken) an address verified on another account even when it is
    added unverified: it could never be verified here."""
    value = normalize_email(address)
    _refuse_taken(kind="email", value=value, user_id=user.pk)
    return email_add(user=user, address=value, actor=actor, verified=verified, priority=priority)


@transaction.atomic
def phone_add_exclusive(
    *,
    user: User,
    number: str,
    actor: Actor,
    verified: bool = False,
    priority: int | None = None,
    type: str = "",
) -> Phone:
    """phone_add, refusing (PhoneTaken) a number verified on another account even when it is
    added unverified."""
    value = normalize_phone(number, default_region=settings.PHONE_DEFAULT_REGION)
    _refuse_taken(kind="phone", value=value, user_id=user.pk)
    return phone_add(
        user=user, number=value, actor=actor, verified=verified, priority=priority, type=type
    )


@transaction.atomic
def contact_delete_guarded(
    *, contact: Email | Phone, actor: Actor, precondition: Precondition = ANY
) -> None:
    """Lock the email or phone, check *precondition* against its generation, then delete it."""
    not_found = MailNotFound if isinstance(contact, Email) else PhoneNotFound
    locked = _lock(type(contact), not_found, pk=contact.pk)
    precondition.check(locked.generation)
    contact_delete(contact=locked, actor=actor)


@transaction.atomic
def account_link_delete_guarded(
    *, link: AccountLink, actor: Actor, precondition: Precondition = ANY
) -> None:
    """Lock the account link, check *precondition*, then disconnect it."""
    locked = _lock(AccountLink, AccountLinkNotFound, pk=link.pk)
    precondition.check(locked.generation)
    account_link_delete(link=locked, actor=actor)
