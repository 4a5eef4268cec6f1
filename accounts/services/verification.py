"""Verifying email addresses (a signed link by mail) and phones (a PIN by SMS)."""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts import notifications
from accounts.audit import Actor, audit_record, request_ip
from accounts.errors import (
    AlreadyVerified,
    NoPendingVerification,
    PinAttemptsExceeded,
    PinExpired,
    PinInvalid,
    TooManyVerificationSends,
    VerificationLinkInvalid,
)
from accounts.models import Email, Phone, PhoneVerification
from accounts.services.contacts import contact_verify
from accounts.throttle import Throttled, sms_allowed

_EMAIL_SALT = "accounts.email-verification"
_PIN_SALT = "accounts.phone-pin"


def email_verification_token(email: Email) -> str:
    """A signed, timestamped token naming the address; it verifies nothing else."""
    return signing.dumps({"e": email.pk, "a": email.address.lower()}, salt=_EMAIL_SALT)


@transaction.atomic
def email_send_verification(
    *, email: Email, actor: Actor, next_url: str = "", language: str | None = None
) -> None:
    """Mail a verification link to *email* after the transaction commits.

    Raise AlreadyVerified if it is verified. The link is signed (SECRET_KEY) and expires after
    EMAIL_VERIFICATION_MAX_AGE seconds.
    """
    if email.verified:
        raise AlreadyVerified(field="address")
    params = {"token": email_verification_token(email)}
    if next_url:
        params["next"] = next_url  # where the person goes on once verified (a sign-in flow)
    link = f"{settings.SITE_URL}/gui/verify-email?{urlencode(params)}"
    address = email.address
    language = language or email.user.language
    notifications.send_email_verification(address=address, link=link, language=language)
    audit_record(actor=actor, action="email.verification_sent", subject=email.user_id, target=email)


def email_from_verification_token(token: str) -> Email:
    """The unverified-or-verified Email a link's token names; raise VerificationLinkInvalid."""
    try:
        data = signing.loads(token, salt=_EMAIL_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
        email = Email.objects.select_related("user").get(pk=str(data["e"]))
    except (signing.BadSignature, Email.DoesNotExist, KeyError, TypeError, ValueError):
        raise VerificationLinkInvalid() from None
    if email.address.lower() != data.get("a"):
        raise VerificationLinkInvalid()
    return email


@transaction.atomic
def email_verify_token(*, token: str) -> Email:
    """Verify the address a link's token names (its owner is the actor).

    Raise VerificationLinkInvalid (bad, expired, or the address was removed) or EmailTaken.
    """
    email = email_from_verification_token(token)
    if email.verified:
        return email
    return contact_verify(contact=email, actor=Actor.of_user(email.user))  # type: ignore[return-value]


def _pin_digest(phone_id: str, pin: str) -> str:
    # PINs are short: an HMAC keyed with SECRET_KEY (and bound to the phone) rather than a bare
    # hash, so a leaked table cannot be brute-forced offline.
    return salted_hmac(_PIN_SALT, f"{phone_id}:{pin}", algorithm="sha256").hexdigest()


@transaction.atomic
def phone_send_verification(*, phone: Phone, actor: Actor) -> None:
    """Text a new random PIN to *phone* after the transaction commits; it replaces any earlier
    PIN, expires after PHONE_VERIFICATION_PIN_TTL seconds and allows
    PHONE_VERIFICATION_MAX_ATTEMPTS wrong tries. Raise AlreadyVerified if it is verified."""
    if phone.verified:
        raise AlreadyVerified(field="number")
    # A fresh PIN resets the attempt count, so sends are capped too (else 5 tries per PIN times
    # unlimited PINs would brute-force the PIN), per number, per IP and per prefix.
    try:
        sms_allowed(number=phone.number, ip=request_ip())
    except Throttled as exc:
        error = TooManyVerificationSends(field="number")
        error.retry_after = exc.retry_after  # type: ignore[attr-defined]
        raise error from None
    length = settings.PHONE_VERIFICATION_PIN_LENGTH
    pin = f"{secrets.randbelow(10**length):0{length}d}"
    language = phone.user.language
    PhoneVerification.objects.update_or_create(
        phone=phone,
        defaults={
            "pin_hash": _pin_digest(phone.pk, pin),
            "expires_at": timezone.now()
            + dt.timedelta(seconds=settings.PHONE_VERIFICATION_PIN_TTL),
            "attempts": 0,
            "created_at": timezone.now(),
        },
    )
    number = phone.number
    notifications.send_phone_pin(number=number, pin=pin, language=language)
    audit_record(actor=actor, action="phone.verification_sent", subject=phone.user_id, target=phone)


def phone_verify_pin(*, phone: Phone, code: str, actor: Actor) -> Phone:
    """Verify *phone* with the PIN sent to it.

    Raise NoPendingVerification, PinExpired, PinAttemptsExceeded, PinInvalid (the wrong try is
    counted and kept even though the error is raised), AlreadyVerified or PhoneTaken.
    """
    error: Exception | None = None
    with transaction.atomic():
        pending = PhoneVerification.objects.select_for_update().filter(phone_id=phone.pk).first()
        if pending is None:
            raise AlreadyVerified(field="number") if phone.verified else NoPendingVerification()
        if pending.expires_at <= timezone.now():
            raise PinExpired(field="verificationCode")
        if pending.attempts >= settings.PHONE_VERIFICATION_MAX_ATTEMPTS:
            raise PinAttemptsExceeded(field="verificationCode")
        if constant_time_compare(_pin_digest(phone.pk, code), pending.pin_hash):
            pending.delete()
            return contact_verify(contact=phone, actor=actor)  # type: ignore[return-value]
        PhoneVerification.objects.filter(pk=pending.pk).update(attempts=F("attempts") + 1)
        audit_record(
            actor=actor, action="phone.verification_failed", subject=phone.user_id, target=phone
        )
        # Raised after the commit, so the wrong try stays counted.
        error = PinInvalid(field="verificationCode")
    raise error
