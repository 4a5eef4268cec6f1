"""Services for a user's email addresses and phone numbers (one shape, two kinds)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.audit import Actor, audit_record
from accounts.errors import (
    EmailDuplicate,
    EmailTaken,
    NotVerified,
    PhoneDuplicate,
    PhoneTaken,
)
from accounts.models import Email, Phone, User
from accounts.services._constraints import constraint_errors
from accounts.validators import normalize_email, normalize_phone
from connect_id.errors import Conflict, DomainError

Contact = Email | Phone


@dataclass(frozen=True)
class _Kind:
    model: type[Email] | type[Phone]
    field: str
    lookup: str  # how two values compare: addresses case-insensitively, numbers exactly
    taken: type[Conflict]
    duplicate: type[Conflict]
    name: str

    @property
    def constraints(self) -> dict[str, type[DomainError]]:
        return {
            f"{self.name}_verified_once": self.taken,
            f"{self.name}_once_per_user": self.duplicate,
        }

    def same_value(self, value: str) -> Q:
        return Q(**{f"{self.field}__{self.lookup}": value})


EMAIL = _Kind(Email, "address", "iexact", EmailTaken, EmailDuplicate, "email")
PHONE = _Kind(Phone, "number", "exact", PhoneTaken, PhoneDuplicate, "phone")


def _kind_of(contact: Contact) -> _Kind:
    return EMAIL if isinstance(contact, Email) else PHONE


def _lock_owner(user_id: str) -> None:
    # Serialise changes to one user's contacts: the "one preferred" and "once per user"
    # constraints would otherwise turn two concurrent requests into an IntegrityError.
    User.objects.select_for_update().only("pk").get(pk=user_id)


def _bump(contact: Contact) -> None:
    type(contact).objects.filter(pk=contact.pk).update(generation=F("generation") + 1)
    User.objects.filter(pk=contact.user_id).update(generation=F("generation") + 1)
    contact.refresh_from_db(fields=["generation"])


def _check_free(kind: _Kind, *, user_id: str, value: str, exclude_pk: str | None = None) -> None:
    others = kind.model.objects.filter(kind.same_value(value), verified=True).exclude(
        user_id=user_id
    )
    if others.exists():
        raise kind.taken(field=kind.field)
    mine = kind.model.objects.filter(kind.same_value(value), user_id=user_id)
    if exclude_pk is None and mine.exists():
        raise kind.duplicate(field=kind.field)


def _add(
    kind: _Kind,
    *,
    user: User,
    value: str,
    verified: bool,
    priority: int | None,
    preferred: bool,
    actor: Actor,
    **extra: str,
) -> Contact:
    _lock_owner(user.pk)
    if verified:
        _check_free(kind, user_id=user.pk, value=value)
    elif kind.model.objects.filter(kind.same_value(value), user_id=user.pk).exists():
        raise kind.duplicate(field=kind.field)
    # The first contact of a kind becomes preferred, so UserInfo always has one to show.
    if not kind.model.objects.filter(user_id=user.pk, preferred=True).exists():
        preferred = True
    elif preferred:
        kind.model.objects.filter(user_id=user.pk, preferred=True).update(preferred=False)
    contact = kind.model(
        user=user,
        verified=verified,
        verified_at=timezone.now() if verified else None,
        preferred=preferred,
        **{kind.field: value},
        **extra,
    )
    if priority is not None:
        contact.priority = priority
    with constraint_errors(kind.constraints):
        contact.save(force_insert=True)
    User.objects.filter(pk=user.pk).update(generation=F("generation") + 1)
    audit_record(
        actor=actor,
        action=f"{kind.name}.added",
        subject=user,
        target=contact,
        details={"verified": verified},
    )
    return contact


@transaction.atomic
def email_add(
    *,
    user: User,
    address: str,
    actor: Actor,
    verified: bool = False,
    priority: int | None = None,
    preferred: bool = False,
) -> Email:
    """Add an address to a user. Raise EmailInvalid, EmailDuplicate, or EmailTaken when
    *verified* and it is verified on another account. Sends no mail (spec §1.2)."""
    value = normalize_email(address)
    return _add(
        EMAIL,
        user=user,
        value=value,
        verified=verified,
        priority=priority,  # type: ignore[return-value]
        preferred=preferred,
        actor=actor,
    )


@transaction.atomic
def phone_add(
    *,
    user: User,
    number: str,
    actor: Actor,
    verified: bool = False,
    priority: int | None = None,
    preferred: bool = False,
    type: str = "",
) -> Phone:
    """Add a number (any format; stored as E.164 digits) to a user. Raise PhoneInvalid,
    PhoneDuplicate, or PhoneTaken when *verified* and it is verified on another account."""
    value = normalize_phone(number, default_region=settings.PHONE_DEFAULT_REGION)
    return _add(
        PHONE,
        user=user,
        value=value,
        verified=verified,
        priority=priority,  # type: ignore[return-value]
        preferred=preferred,
        actor=actor,
        type=type,
    )


@transaction.atomic
def contact_verify(*, contact: Contact, actor: Actor) -> Contact:
    """Mark an email or phone verified. Raise EmailTaken/PhoneTaken if verified elsewhere."""
    kind = _kind_of(contact)
    if contact.verified:
        return contact
    _lock_owner(contact.user_id)
    _check_free(
        kind, user_id=contact.user_id, value=getattr(contact, kind.field), exclude_pk=contact.pk
    )
    contact.verified, contact.verified_at = True, timezone.now()
    with constraint_errors(kind.constraints):
        contact.save(update_fields=["verified", "verified_at"])
    _bump(contact)
    audit_record(
        actor=actor, action=f"{kind.name}.verified", subject=contact.user_id, target=contact
    )
    return contact


@transaction.atomic
def contact_unverify(*, contact: Contact, actor: Actor) -> Contact:
    """Withdraw verification (an admin correction, or a phone whose verification expired)."""
    kind = _kind_of(contact)
    if not contact.verified:
        return contact
    contact.verified, contact.verified_at = False, None
    contact.save(update_fields=["verified", "verified_at"])
    _bump(contact)
    audit_record(
        actor=actor, action=f"{kind.name}.unverified", subject=contact.user_id, target=contact
    )
    return contact


@transaction.atomic
def contact_set_priority(*, contact: Contact, priority: int, actor: Actor) -> Contact:
    """Change the priority (lower first; not unique, spec §1.2)."""
    if contact.priority != priority:
        contact.priority = priority
        contact.save(update_fields=["priority"])
        _bump(contact)
        audit_record(
            actor=actor,
            action=f"{_kind_of(contact).name}.priority_set",
            subject=contact.user_id,
            target=contact,
            details={"priority": priority},
        )
    return contact


@transaction.atomic
def contact_make_preferred(*, contact: Contact, actor: Actor) -> Contact:
    """Make a verified email or phone its owner's preferred one (what UserInfo returns).

    Raise NotVerified if it is not verified.
    """
    if not contact.verified:
        raise NotVerified()
    if contact.preferred:
        return contact
    _lock_owner(contact.user_id)
    model = type(contact)
    model.objects.filter(user_id=contact.user_id, preferred=True).update(preferred=False)
    contact.preferred = True
    contact.save(update_fields=["preferred"])
    _bump(contact)
    audit_record(
        actor=actor,
        action=f"{_kind_of(contact).name}.made_preferred",
        subject=contact.user_id,
        target=contact,
    )
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, actor: Actor) -> None:
    """Remove an email or phone. If it was preferred, the next one (verified first, then by
    priority) becomes preferred."""
    kind = _kind_of(contact)
    _lock_owner(contact.user_id)
    model = type(contact)
    was_preferred = contact.preferred
    target = f"{kind.name}:{contact.pk}"
    contact.delete()
    if was_preferred:
        successor = (
            model.objects.filter(user_id=contact.user_id)
            .order_by("-verified", "priority", "created_at")
            .first()
        )
        if successor is not None:
            successor.preferred = True
            successor.save(update_fields=["preferred"])
    User.objects.filter(pk=contact.user_id).update(generation=F("generation") + 1)
    audit_record(actor=actor, action=f"{kind.name}.deleted", subject=contact.user_id, target=target)
