"""Services of the sign-in flows: SMS PINs, sign-up, re-authentication and password reset."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts import notifications, throttle
from accounts.audit import Actor, audit_record
from accounts.errors import PinAttemptsExceeded, PinExpired, PinInvalid, PinResendTooSoon
from accounts.models import Email, OneTimePin, Phone, RefreshToken, SignInSession, User
from accounts.services.contacts import contact_make_preferred
from accounts.services.sessions import session_end
from accounts.services.users import _check_password, user_create

_PIN_SALT = "accounts.signin-pin"


def _digest(pin_id: str, pin: str) -> str:
    # An HMAC keyed with SECRET_KEY and bound to the PIN's row: a leaked table cannot be
    # brute-forced offline (a PIN has only 10^4-10^8 values).
    return salted_hmac(_PIN_SALT, f"{pin_id}:{pin}", algorithm="sha256").hexdigest()


def new_pin() -> str:
    length = settings.PHONE_VERIFICATION_PIN_LENGTH
    return f"{secrets.randbelow(10**length):0{length}d}"


@transaction.atomic
def pin_send(
    *,
    number: str,
    purpose: str,
    ip: str | None,
    language: str | None,
    previous_id: str | None = None,
) -> OneTimePin:
    """Text a new PIN to *number* (E.164 digits) after commit, and return its row.

    Raise PinResendTooSoon within PIN_RESEND_COOLDOWN seconds of *previous_id*'s PIN, and
    throttle.Throttled past the SMS limits. A new PIN kills the previous one.
    """
    now = timezone.now()
    if previous_id:
        previous = OneTimePin.objects.filter(pk=previous_id, number=number).first()
        if previous is not None:
            cooldown = dt.timedelta(seconds=settings.PIN_RESEND_COOLDOWN)
            if previous.created_at + cooldown > now:
                raise PinResendTooSoon()
            OneTimePin.objects.filter(pk=previous.pk, used_at__isnull=True).update(used_at=now)
    throttle.sms_allowed(number=number, ip=ip)
    pin = new_pin()
    row = OneTimePin(
        number=number,
        purpose=purpose,
        expires_at=now + dt.timedelta(seconds=settings.PHONE_VERIFICATION_PIN_TTL),
    )
    row.pin_hash = _digest(row.pk, pin)
    row.save(force_insert=True)
    template = "reset_pin" if purpose == OneTimePin.Purpose.RESET else "signin_pin"
    notifications.send_templated_sms(
        to=number, template=template, context={"pin": pin}, language=language
    )
    return row


def pin_check(*, pin_id: str, code: str) -> OneTimePin:
    """Use the PIN *pin_id* with *code*; return it, now used.

    Raise PinExpired (also for a used or unknown PIN), PinAttemptsExceeded (the PIN is dead
    after PHONE_VERIFICATION_MAX_ATTEMPTS wrong tries) or PinInvalid; a wrong try stays counted.
    """
    error: Exception
    with transaction.atomic():
        row = OneTimePin.objects.select_for_update().filter(pk=pin_id).first()
        if row is None or row.used_at is not None or row.expires_at <= timezone.now():
            raise PinExpired(field="pin")
        if row.attempts >= settings.PHONE_VERIFICATION_MAX_ATTEMPTS:
            raise PinAttemptsExceeded(field="pin")
        code = "".join(ch for ch in (code or "") if not ch.isspace())
        if constant_time_compare(_digest(row.pk, code), row.pin_hash):
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            return row
        OneTimePin.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        dead = row.attempts + 1 >= settings.PHONE_VERIFICATION_MAX_ATTEMPTS
        error = PinAttemptsExceeded(field="pin") if dead else PinInvalid(field="pin")
    raise error  # after the commit, so the wrong try stays counted


@transaction.atomic
def user_sign_up(
    *,
    realname: str,
    phone: str | None = None,
    email: str | None = None,
    password: str | None = None,
    language: str = "",
) -> User:
    """Create an account for a person who proved they hold *phone* (a PIN) or *email* (a
    link), verified and preferred, with the current terms' acceptance recorded.

    Raise RealnameInvalid, PasswordInvalid, PhoneTaken or EmailTaken (then nothing is written).
    """
    user = user_create(
        actor=Actor.system("signup"),
        phone=phone,
        email=email,
        password=password,
        realname=realname,
        verified=True,
    )
    user.language = language
    user.terms_version = settings.TERMS_VERSION
    user.terms_accepted_at = timezone.now()
    user.save(update_fields=["language", "terms_version", "terms_accepted_at"])
    audit_record(
        actor=Actor.of_user(user),
        action="user.signed_up",
        subject=user,
        target=user,
        details={"by": "phone" if phone else "email", "terms_version": settings.TERMS_VERSION},
    )
    return user


@transaction.atomic
def session_reauthenticate(
    *, session: SignInSession, acr: str, amr: list[str], username: str
) -> SignInSession:
    """Record a fresh sign-in within an existing SSO session (step-up, max_age): the session
    keeps its id (`sid`) and takes the new time, the higher level and the new methods."""
    session.auth_time = timezone.now()
    session.acr = max(session.acr, acr)
    session.amr = amr
    session.username = username
    session.save(update_fields=["auth_time", "acr", "amr", "username"])
    User.objects.filter(pk=session.user_id).update(last_login=session.auth_time)
    audit_record(
        actor=Actor(f"user:{session.user_id}"),
        action="session.reauthenticated",
        subject=session.user_id,
        target=session,
        details={"acr": acr, "amr": amr},
    )
    return session


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Remember the language of *user*'s pages and messages (and the `locale` claim)."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language", "updated_at"])
        audit_record(actor=Actor.of_user(user), action="user.language_set", subject=user)
    return user


@transaction.atomic
def password_reset(*, user: User, password: str, actor: Actor) -> User:
    """Give *user* a new password after they proved they hold a verified email or phone.

    Every SSO session ends and every refresh token is revoked (a stolen session or token must
    not outlive the reset); after commit, clients are told by back-channel logout and each
    verified email and phone is told of the change. Raise PasswordInvalid.
    """
    from accounts.oidc import backchannel  # the OpenID Provider's delivery of logout tokens

    _check_password(password, user)
    user.set_password(password)
    user.generation = F("generation") + 1
    user.save(update_fields=["password", "generation", "updated_at"])
    user.refresh_from_db(fields=["generation"])
    for session in SignInSession.objects.filter(user=user, ended_at__isnull=True):
        clients, sid = session_end(session=session, actor=actor), session.pk
        backchannel.notify(clients, sub=user.pk, sid=sid)
    RefreshToken.objects.filter(user=user, revoked__isnull=True).update(revoked=timezone.now())
    audit_record(actor=actor, action="user.password_reset", subject=user, target=user)
    _tell_password_changed(user)
    return user


def _tell_password_changed(user: User) -> None:
    emails = list(Email.objects.filter(user=user, verified=True).values_list("address", flat=True))
    phones = list(Phone.objects.filter(user=user, verified=True).values_list("number", flat=True))
    link = f"{settings.SITE_URL}{settings.LOGIN_URL}"
    language = user.language

    def send() -> None:
        for address in emails:
            notifications.send_templated_email(
                to=address, template="password_changed", context={"link": link}, language=language
            )
        for number in phones:
            notifications.send_templated_sms(
                to=number, template="password_changed", context={}, language=language
            )

    send()  # queued in the caller's transaction (accounts.notifications)


@transaction.atomic
def contact_verified_in_flow(*, contact: Email | Phone, actor: Actor) -> None:
    """After an address or number was verified during sign-in (an essential claim), make it the
    preferred one when the current preferred one is not verified."""
    model = type(contact)
    current = model.objects.filter(user_id=contact.user_id, preferred=True).first()
    if current is None or (not current.verified and current.pk != contact.pk):
        contact_make_preferred(contact=contact, actor=actor)
