"""Services for SSO sessions and remembered consent."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.audit import Actor, audit_record
from accounts.models import AccessToken, Client, Consent, Grant, RefreshToken, SignInSession, User


@transaction.atomic
def session_start(
    *,
    user: User,
    acr: str,
    amr: list[str],
    ip: str | None = None,
    user_agent: str = "",
    username: str = "",
    short_lived: bool = False,
) -> SignInSession:
    """Record a successful sign-in: the SSO session whose id is the ID token's `sid`."""
    now = timezone.now()
    session = SignInSession.objects.create(
        user=user,
        auth_time=now,
        acr=acr,
        amr=amr,
        ip=ip,
        user_agent=user_agent[:300],
        username=username[:254],
        short_lived=short_lived,
    )
    User.objects.filter(pk=user.pk).update(last_login=now)
    audit_record(
        actor=Actor.of_user(user),
        action="session.started",
        subject=user,
        target=session,
        details={"acr": acr, "amr": amr},
    )
    return session


@transaction.atomic
def session_end(*, session: SignInSession, actor: Actor) -> list[Client]:
    """End an SSO session and revoke every token issued in it.

    Return the clients that registered a back-channel logout URI and had tokens in the
    session; the caller notifies them after commit (OIDC Back-Channel Logout 1.0 §2.5).
    """
    if session.ended_at is not None:
        return []
    session.ended_at = timezone.now()
    session.save(update_fields=["ended_at"])
    client_ids = set(
        AccessToken.objects.filter(session=session).values_list("application_id", flat=True)
    ) | set(RefreshToken.objects.filter(session=session).values_list("application_id", flat=True))
    RefreshToken.objects.filter(session=session, revoked__isnull=True).update(
        revoked=timezone.now()
    )
    AccessToken.objects.filter(session=session).delete()
    Grant.objects.filter(session=session, used_at__isnull=True).delete()
    audit_record(actor=actor, action="session.ended", subject=session.user_id, target=session)
    return list(Client.objects.filter(pk__in=client_ids).exclude(backchannel_logout_uri=""))


@transaction.atomic
def consent_grant(*, user: User, client: Client, scopes: list[str]) -> Consent:
    """Remember that *user* allowed *client* these scopes (added to what was allowed before)."""
    consent, created = Consent.objects.select_for_update().get_or_create(
        user=user, client=client, defaults={"scopes": sorted(set(scopes))}
    )
    if not created and not consent.covers(scopes):
        consent.scopes = sorted(set(consent.scopes) | set(scopes))
        consent.save(update_fields=["scopes", "updated_at"])
    audit_record(
        actor=Actor.of_user(user),
        action="consent.granted",
        subject=user,
        target=client,
        details={"scopes": sorted(scopes)},
    )
    return consent


@transaction.atomic
def consent_revoke(*, user: User, client: Client, actor: Actor) -> None:
    """Withdraw a client's access: forget the consent and revoke its tokens for this user."""
    Consent.objects.filter(user=user, client=client).delete()
    RefreshToken.objects.filter(user=user, application=client, revoked__isnull=True).update(
        revoked=timezone.now()
    )
    AccessToken.objects.filter(user=user, application=client).delete()
    audit_record(actor=actor, action="consent.revoked", subject=user, target=client)
