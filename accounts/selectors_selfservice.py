"""Reads of one person's own account for My CONNECT account: each in a fixed number of queries,
whatever the number of emails, phones, services and sessions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Max

from accounts.models import (
    AccessToken,
    AuditEvent,
    Client,
    Consent,
    Email,
    Grant,
    Phone,
    RefreshToken,
    SignInSession,
    User,
)
from accounts.oidc.claims import claims_for, preferred_for
from accounts.services.selfservice import PORTAL_CLIENT_ID

# What a person recognises in their security log: sign-ins and changes to the account.
SECURITY_ACTIONS = (
    "session.started",
    "session.reauthenticated",
    "session.ended",
    "session.ended_others",
    "user.signed_up",
    "user.password_set",
    "user.password_reset",
    "user.updated",
    "user.language_set",
    "user.locked_down",
    "email.added",
    "email.verified",
    "email.deleted",
    "email.made_preferred",
    "phone.added",
    "phone.verified",
    "phone.deleted",
    "phone.made_preferred",
    "consent.granted",
    "consent.revoked",
)


def emails_of(user: User) -> list[Email]:
    return list(Email.objects.filter(user=user).order_by("-preferred", "-verified", "created_at"))


def phones_of(user: User) -> list[Phone]:
    return list(Phone.objects.filter(user=user).order_by("-preferred", "-verified", "created_at"))


def security_events(user: User, *, limit: int = 50) -> list[AuditEvent]:
    """The user's recent sign-ins and account changes, newest first."""
    return list(AuditEvent.objects.filter(subject=user.pk, action__in=SECURITY_ACTIONS)[:limit])


@dataclass
class ConnectedService:
    client: Client
    scopes: list[tuple[str, str]]  # (scope, what it allows, untranslated)
    granted_at: Any
    last_used: Any
    # The claims it receives about the user (OIDC Core §5.4, §5.5), with today's values.
    claims: dict[str, Any] = field(default_factory=dict)


def connected_services(user: User) -> list[ConnectedService]:
    """The clients *user* consented to, with the scopes in plain words, the claims each
    receives, and when each was last used (its newest token); first-party clients need no
    consent and are not listed.

    No record keeps the values a client was sent: its claims are those its granted scopes
    release plus those its live access tokens asked for by name (the `claims` parameter), as
    accounts.oidc.claims releases them at /oauth/userinfo now."""
    consents = list(
        Consent.objects.filter(user=user)
        .exclude(client__client_id=PORTAL_CLIENT_ID)
        .select_related("client")
        .order_by("client__name")
    )
    if not consents:
        return []
    client_ids = [c.client_id for c in consents]
    last_access = dict(
        AccessToken.objects.filter(user=user, application_id__in=client_ids)
        .values_list("application_id")
        .annotate(Max("created"))
    )
    last_refresh = dict(
        RefreshToken.objects.filter(user=user, application_id__in=client_ids)
        .values_list("application_id")
        .annotate(Max("updated"))
    )
    asked: dict[int, set[str]] = defaultdict(set)
    for client_id, names in (
        AccessToken.objects.filter(user=user, application_id__in=client_ids)
        .exclude(claims="")
        .values_list("application_id", "claims")
        .distinct()
    ):
        asked[client_id].update(names.split())
    preferred = preferred_for(user.pk)
    catalogue = settings.OAUTH2_PROVIDER["SCOPES"]
    services = []
    for consent in consents:
        used = [
            t
            for t in (last_access.get(consent.client_id), last_refresh.get(consent.client_id))
            if t
        ]
        services.append(
            ConnectedService(
                client=consent.client,
                scopes=[(s, catalogue.get(s, s)) for s in consent.scopes],
                granted_at=consent.created_at,
                last_used=max(used) if used else None,
                claims=claims_for(
                    user, preferred, consent.scopes, sorted(asked[consent.client_id])
                ),
            )
        )
    return services


@dataclass
class LiveSession:
    session: SignInSession
    services: list[str] = field(default_factory=list)  # user-facing client names
    last_activity: Any = None


def live_sessions(user: User) -> list[LiveSession]:
    """The user's live SSO sessions, newest first, each with the services it signed in to and
    its last activity (the newest code or token issued in it, else its sign-in)."""
    sessions = list(SignInSession.objects.filter(user=user, ended_at__isnull=True))
    if not sessions:
        return []
    ids = [s.pk for s in sessions]
    names: dict[str, set[str]] = defaultdict(set)
    activity: dict[str, Any] = {}
    for model, stamp in ((Grant, "created"), (AccessToken, "created"), (RefreshToken, "updated")):
        rows = (
            model.objects.filter(session_id__in=ids)
            .values_list("session_id", "application__name")
            .annotate(Max(stamp))
        )
        for sid, name, when in rows:
            names[sid].add(name)
            if when and (activity.get(sid) is None or when > activity[sid]):
                activity[sid] = when
    return [
        LiveSession(
            session=s,
            services=sorted(names[s.pk]),
            last_activity=max(filter(None, [activity.get(s.pk), s.auth_time])),
        )
        for s in sessions
    ]
