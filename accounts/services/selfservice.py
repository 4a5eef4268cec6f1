"""Services a person uses on their own account (My CONNECT account): the portal's own client,
removing and preferring contacts safely, changing the password, ending sessions, withdrawing a
service's access, and "This wasn't me"."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import notifications
from accounts.audit import Actor, audit_record
from accounts.errors import NotVerified
from accounts.models import (
    AccessToken,
    Client,
    Email,
    Grant,
    Phone,
    RefreshToken,
    SignInSession,
    User,
)
from accounts.services.contacts import contact_delete, contact_make_preferred
from accounts.services.sessions import consent_revoke, session_end
from accounts.services.users import _check_password, user_set_password
from connect_id.errors import Conflict, DomainError

# The portal's own OAuth client: first-party (no consent), public (PKCE), openid only.
PORTAL_CLIENT_ID = "connect-mypage"
PORTAL_CLIENT_NAME = "My CONNECT account"
_UNDO_SALT = "accounts.preferred-email-undo"


class LastSignInMethod(Conflict):
    code = "last_sign_in_method"
    message = _(
        "This is your last verified email or phone. Add and verify another one before you "
        "remove it, or you could not sign in any more."
    )


class CurrentPasswordWrong(DomainError):
    code = "current_password_wrong"
    message = _("Your current password is wrong.")


class UndoLinkInvalid(DomainError):
    code = "undo_link_invalid"
    message = _("This link is invalid or has expired.")


def _notify_backchannel(clients: list[Client], *, sub: str, sid: str) -> None:
    from accounts.oidc import backchannel  # the OpenID Provider's delivery of logout tokens

    backchannel.notify(clients, sub=sub, sid=sid)  # queued in the caller's transaction


@transaction.atomic
def portal_client_ensure(*, redirect_uri: str) -> Client:
    """Return the portal's first-party client, creating it (or registering *redirect_uri*, the
    portal's callback at this deployment's SITE_URL) when needed. Idempotent."""
    client, created = Client.objects.select_for_update().get_or_create(
        client_id=PORTAL_CLIENT_ID,
        defaults={
            "name": PORTAL_CLIENT_NAME,
            "client_type": Client.CLIENT_PUBLIC,
            "skip_authorization": True,
            "redirect_uris": redirect_uri,
            "grant_types": [Client.GrantType.AUTHORIZATION_CODE],
            "allowed_scopes": ["openid"],
            "description": "CONNECT ID's self-service portal.",
            "login_identifiers": Client.LoginIdentifiers.PHONE_EMAIL,
        },
    )
    if created:
        audit_record(actor=Actor.system("mypage"), action="client.created", target=client)
    elif redirect_uri not in client.redirect_uris.split():
        client.redirect_uris = " ".join([*client.redirect_uris.split(), redirect_uri])
        client.save(update_fields=["redirect_uris"])
        audit_record(
            actor=Actor.system("mypage"),
            action="client.updated",
            target=client,
            details={"fields": ["redirect_uris"]},
        )
    return client


def _lock_owner(user_id: str) -> None:
    User.objects.select_for_update().only("pk").get(pk=user_id)


@transaction.atomic
def contact_remove(*, contact: Email | Phone, actor: Actor) -> None:
    """Remove an email or phone from its owner, never the last verified one (the last way to
    sign in: a password needs a verified email or phone, an SMS PIN a verified phone).

    Raise LastSignInMethod.
    """
    _lock_owner(contact.user_id)
    if contact.verified:
        others = (
            Email.objects.filter(user_id=contact.user_id, verified=True)
            .exclude(pk=contact.pk if isinstance(contact, Email) else None)
            .exists()
            or Phone.objects.filter(user_id=contact.user_id, verified=True)
            .exclude(pk=contact.pk if isinstance(contact, Phone) else None)
            .exists()
        )
        if not others:
            raise LastSignInMethod()
    contact_delete(contact=contact, actor=actor)


def preferred_undo_token(*, user_id: str, old_email_id: str) -> str:
    return signing.dumps({"u": user_id, "e": old_email_id}, salt=_UNDO_SALT)


@transaction.atomic
def contact_prefer(*, contact: Email | Phone, actor: Actor) -> Email | Phone:
    """Make a verified email or phone preferred (contact_make_preferred). When the preferred
    email changes, the old address (if verified) is told after commit, with a link that puts
    it back for MYPAGE_UNDO_SECONDS. Raise NotVerified."""
    if not contact.verified:
        raise NotVerified()
    old = None
    if isinstance(contact, Email):
        old = Email.objects.filter(user_id=contact.user_id, preferred=True, verified=True).first()
    was_preferred = contact.preferred
    contact = contact_make_preferred(contact=contact, actor=actor)
    if old is not None and old.pk != contact.pk and not was_preferred:
        token = preferred_undo_token(user_id=contact.user_id, old_email_id=old.pk)
        link = f"{settings.SITE_URL}/gui/mypage/undo-email?{urlencode({'token': token})}"
        context = {
            "new_address": contact.address,  # type: ignore[union-attr]
            "link": link,
            "hours": max(1, settings.MYPAGE_UNDO_SECONDS // 3600),
        }
        address, language = old.address, contact.user.language
        notifications.send_templated_email(
            to=address, template="preferred_email_changed", context=context, language=language
        )
    return contact


@transaction.atomic
def preferred_email_undo(*, token: str) -> Email:
    """Put back the preferred email an undo link names (it proves the old address's mailbox).

    Raise UndoLinkInvalid when the link is bad, expired, or the address is gone or unverified.
    """
    try:
        data = signing.loads(token, salt=_UNDO_SALT, max_age=settings.MYPAGE_UNDO_SECONDS)
        email = Email.objects.select_related("user").get(pk=str(data["e"]), user_id=str(data["u"]))
    except (signing.BadSignature, Email.DoesNotExist, KeyError, TypeError):
        raise UndoLinkInvalid() from None
    if not email.verified:
        raise UndoLinkInvalid()
    return contact_make_preferred(contact=email, actor=Actor.of_user(email.user))  # type: ignore[return-value]


def _end_sessions(user: User, *, keep: SignInSession | None, actor: Actor) -> int:
    ended = 0
    sessions = SignInSession.objects.filter(user=user, ended_at__isnull=True)
    if keep is not None:
        sessions = sessions.exclude(pk=keep.pk)
    for session in sessions:
        clients = session_end(session=session, actor=actor)
        _notify_backchannel(clients, sub=user.pk, sid=session.pk)
        ended += 1
    return ended


def _revoke_tokens_outside(user: User, keep: SignInSession | None) -> None:
    """Revoke the user's tokens that no kept session holds (those of ended sessions are gone
    already; this catches tokens issued outside any browser session)."""
    outside = Q(session__isnull=True) if keep is not None else Q()
    if keep is not None:
        outside |= ~Q(session=keep)
    RefreshToken.objects.filter(outside, user=user, revoked__isnull=True).update(
        revoked=timezone.now()
    )
    AccessToken.objects.filter(outside, user=user).delete()


@transaction.atomic
def password_change(
    *,
    user: User,
    password: str,
    current_password: str | None,
    keep_session: SignInSession | None,
    actor: Actor,
) -> User:
    """Set or change *user*'s password. When one exists, *current_password* must match it.

    Every other SSO session ends (with back-channel logout) and every token outside
    *keep_session* is revoked; after commit each verified email and phone is told.
    Raise CurrentPasswordWrong or PasswordInvalid (nothing changes then).
    """
    from accounts.services.signin import _tell_password_changed  # the reset's notification

    if user.has_usable_password() and not user.check_password(current_password or ""):
        raise CurrentPasswordWrong(field="current")
    _check_password(password, user)
    user_set_password(user=user, password=password, actor=actor)
    _end_sessions(user, keep=keep_session, actor=actor)
    _revoke_tokens_outside(user, keep_session)
    _tell_password_changed(user)
    return user


@transaction.atomic
def sessions_end_others(*, user: User, keep: SignInSession, actor: Actor) -> int:
    """End every SSO session of *user* but *keep* (with back-channel logout); return how many."""
    count = _end_sessions(user, keep=keep, actor=actor)
    audit_record(actor=actor, action="session.ended_others", subject=user, details={"count": count})
    return count


@transaction.atomic
def session_end_own(*, user: User, session_id: str, actor: Actor) -> SignInSession:
    """End one of *user*'s live sessions by id (with back-channel logout).

    Raise SignInSession.DoesNotExist for a session that is not *user*'s or not live.
    """
    session = SignInSession.objects.get(pk=session_id, user=user, ended_at__isnull=True)
    clients = session_end(session=session, actor=actor)
    _notify_backchannel(clients, sub=user.pk, sid=session.pk)
    return session


@transaction.atomic
def client_access_remove(*, user: User, client: Client, actor: Actor) -> None:
    """Withdraw *client*'s access: forget the consent, revoke every token of that client for
    *user*, drop its unused codes, and send it a back-channel logout token for each session in
    which it had tokens (after commit)."""
    sids = set(
        AccessToken.objects.filter(user=user, application=client, session__isnull=False)
        .values_list("session_id", flat=True)
        .distinct()
    ) | set(
        RefreshToken.objects.filter(
            user=user, application=client, session__isnull=False, revoked__isnull=True
        )
        .values_list("session_id", flat=True)
        .distinct()
    )
    consent_revoke(user=user, client=client, actor=actor)
    Grant.objects.filter(user=user, application=client, used_at__isnull=True).delete()
    if client.backchannel_logout_uri:
        for sid in sorted(sids):
            _notify_backchannel([client], sub=user.pk, sid=sid)


@transaction.atomic
def account_lockdown(*, user: User, actor: Actor) -> list[str]:
    """ "This wasn't me": end every SSO session (with back-channel logout), revoke every token,
    and after commit mail a password reset link to each verified email. Return those addresses
    (the page says where the links went)."""
    from accounts.signin.views import _reset_link  # the sign-in flow's reset link

    _end_sessions(user, keep=None, actor=actor)
    RefreshToken.objects.filter(user=user, revoked__isnull=True).update(revoked=timezone.now())
    AccessToken.objects.filter(user=user).delete()
    Grant.objects.filter(user=user, used_at__isnull=True).delete()
    audit_record(actor=actor, action="user.locked_down", subject=user, target=user)
    addresses = list(
        Email.objects.filter(user=user, verified=True).values_list("address", flat=True)
    )
    link = _reset_link(user, "/gui/mypage/overview")
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    language = user.language

    def send() -> None:
        for address in addresses:
            notifications.send_templated_email(
                to=address,
                template="password_reset",
                context={"link": link, "minutes": minutes},
                language=language,
            )

    send()  # queued in this transaction (accounts.notifications)
    return addresses


def account_export(*, user: User) -> dict[str, object]:
    """Everything held about *user*, as JSON-ready data (GDPR Art. 15 and 20): the profile,
    emails, phones, linked accounts, consents, sessions and the audit trail about them. No
    secrets: no password hash, token, code or PIN."""
    from accounts.models import AccountLink, AuditEvent, Consent

    def stamp(value: object) -> object:
        return value.isoformat() if hasattr(value, "isoformat") else value

    return {
        "id": user.pk,
        "name": user.realname,
        "birthdate": stamp(user.birthdate),
        "language": user.language,
        "has_password": user.has_usable_password(),
        "terms_version": user.terms_version,
        "terms_accepted_at": stamp(user.terms_accepted_at),
        "created_at": stamp(user.created_at),
        "last_sign_in": stamp(user.last_login),
        "attributes": user.attributes,
        "emails": [
            {
                "address": e.address,
                "verified": e.verified,
                "verified_at": stamp(e.verified_at),
                "preferred": e.preferred,
                "added_at": stamp(e.created_at),
            }
            for e in Email.objects.filter(user=user)
        ],
        "phones": [
            {
                "number": "+" + p.number,
                "verified": p.verified,
                "verified_at": stamp(p.verified_at),
                "preferred": p.preferred,
                "added_at": stamp(p.created_at),
            }
            for p in Phone.objects.filter(user=user)
        ],
        "linked_accounts": [
            {"type": a.type, "userid": a.external_user_id, "linked_at": stamp(a.created_at)}
            for a in AccountLink.objects.filter(user=user)
        ],
        "connected_services": [
            {"service": c.client.name, "scopes": c.scopes, "since": stamp(c.created_at)}
            for c in Consent.objects.filter(user=user).select_related("client")
        ],
        "sessions": [
            {
                "signed_in_at": stamp(s.auth_time),
                "ended_at": stamp(s.ended_at),
                "ip": s.ip,
                "user_agent": s.user_agent,
                "level": s.acr,
            }
            for s in SignInSession.objects.filter(user=user)
        ],
        "audit_trail": [
            {
                "at": stamp(a.created_at),
                "action": a.action,
                "by": a.actor,
                "ip": a.ip,
                "user_agent": a.user_agent,
            }
            for a in AuditEvent.objects.filter(subject=user.pk)
        ],
    }


@transaction.atomic
def account_delete(*, user: User, actor: Actor) -> None:
    """Delete *user*'s account: every SSO session ends and the services with tokens are told by
    back-channel logout (after commit), every token dies with the account, emails and phones are
    freed, the id is retired (never given again), and the audit trail about the user is kept
    without personal data (IP, user agent and details erased)."""
    from accounts.models import AuditEvent
    from accounts.services.users import user_delete

    user_id = user.pk  # delete() clears the instance's pk
    _lock_owner(user_id)
    _end_sessions(user, keep=None, actor=actor)
    user_delete(user=user, actor=actor)
    AuditEvent.objects.filter(subject=user_id).update(ip=None, user_agent="", details={})
