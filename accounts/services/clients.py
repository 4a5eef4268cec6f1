"""Services that register OAuth clients and manage their secrets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.audit import Actor, audit_record
from accounts.errors import (
    ClientIdTaken,
    ClientInvalid,
    ClientNameTaken,
    GrantNotForPublicClients,
    RedirectUriRequired,
)
from accounts.ids import API_USERNAME_PREFIX, new_secret
from accounts.models import Client
from accounts.services._constraints import constraint_errors
from accounts.validators import validate_redirect_uri, validate_scopes

GrantType = Client.GrantType


def _clean_uris(uris: list[str] | str, *, native: bool) -> str:
    if isinstance(uris, str):
        uris = uris.split()
    cleaned: list[str] = []
    for uri in uris:
        uri = uri.strip()
        if uri and validate_redirect_uri(uri, native=native) not in cleaned:
            cleaned.append(uri)
    return " ".join(cleaned)


def _validated(fields: dict[str, Any], *, current: Client | None = None) -> dict[str, Any]:
    """Check a registration (new, or *current* with *fields* changed); return clean values."""
    merged = {**(_registration_of(current) if current else _DEFAULTS), **fields}
    name = (merged["name"] or "").strip()
    if not name:
        raise ClientInvalid("A client needs a user-facing name.", field="name")
    client_type = merged["client_type"]
    if client_type not in (Client.CLIENT_CONFIDENTIAL, Client.CLIENT_PUBLIC):
        raise ClientInvalid(f"Unknown client type: {client_type!r}.", field="client_type")
    platform = merged["platform"]
    if platform not in Client.Platform.values:
        raise ClientInvalid(f"Unknown platform: {platform!r}.", field="platform")
    application_type = merged["application_type"] or (
        "web" if platform in ("web", "server") else "native"
    )
    if application_type not in Client.ApplicationType.values:
        raise ClientInvalid(f"Unknown application type: {application_type!r}.")
    public = client_type == Client.CLIENT_PUBLIC
    native = application_type == Client.ApplicationType.NATIVE
    grants = list(dict.fromkeys(merged["grant_types"] or _DEFAULT_GRANTS))
    unknown = [g for g in grants if g not in GrantType.values]
    if unknown:
        raise ClientInvalid(f"Unknown grant type: {unknown[0]!r}.", field="grant_type")
    if public and GrantType.CLIENT_CREDENTIALS in grants:
        raise GrantNotForPublicClients(field="grant_type")
    catalogue = settings.OAUTH2_PROVIDER["SCOPES"]
    scopes = validate_scopes(
        list(merged["allowed_scopes"]) or ["openid"], catalogue=catalogue, public=public
    )
    redirects = _clean_uris(merged["redirect_uris"], native=native)
    if GrantType.AUTHORIZATION_CODE in grants and not redirects:
        raise RedirectUriRequired(field="redirect_uri")
    backchannel = (merged["backchannel_logout_uri"] or "").strip()
    if backchannel:
        validate_redirect_uri(backchannel, native=False)
    if merged["login_identifiers"] not in Client.LoginIdentifiers.values:
        raise ClientInvalid(
            f"Unknown login identifiers: {merged['login_identifiers']!r}.",
            field="login_identifiers",
        )
    if merged["stay_signed_in"] not in Client.StaySignedIn.values:
        raise ClientInvalid(
            f"Unknown stay signed in option: {merged['stay_signed_in']!r}.", field="stay_signed_in"
        )
    if merged["stay_signed_in"] != Client.StaySignedIn.HIDDEN and native:
        # spec §2.5: "Stay signed in" is for web apps only.
        raise ClientInvalid(
            "Stay signed in is offered to web clients only.", field="stay_signed_in"
        )
    for link in ("terms_uri", "privacy_uri", "logo_uri"):
        value = (merged[link] or "").strip()
        if value and not value.startswith("https://"):
            raise ClientInvalid(f"{link} must be an https URL.", field=link)
    others = Client.objects.exclude(pk=current.pk) if current else Client.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ClientNameTaken(field="name")
    return {
        **merged,
        "name": name,
        "application_type": application_type,
        "grant_types": grants,
        "allowed_scopes": scopes,
        "redirect_uris": redirects,
        "post_logout_redirect_uris": _clean_uris(
            merged["post_logout_redirect_uris"], native=native
        ),
        "backchannel_logout_uri": backchannel,
    }


_DEFAULT_GRANTS = [GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN]
_DEFAULTS: dict[str, Any] = {
    "name": "",
    "client_type": Client.CLIENT_CONFIDENTIAL,
    "redirect_uris": [],
    "post_logout_redirect_uris": [],
    "allowed_scopes": [],
    "grant_types": [],
    "skip_authorization": False,
    "backchannel_logout_uri": "",
    "description": "",
    "company": "",
    "contact_email": "",
    "platform": Client.Platform.WEB,
    "application_type": None,
    "logo_uri": "",
    "sso_enabled": True,
    # Login options (spec §7.1 "Per-client UI configuration").
    "login_identifiers": Client.LoginIdentifiers.PHONE_EMAIL,
    "require_password": False,
    "stay_signed_in": Client.StaySignedIn.HIDDEN,
    "terms_uri": "",
    "privacy_uri": "",
}
REGISTRATION_FIELDS = tuple(_DEFAULTS)
_URI_LISTS = ("redirect_uris", "post_logout_redirect_uris")


def _registration_of(client: Client) -> dict[str, Any]:
    values = {name: getattr(client, name) for name in REGISTRATION_FIELDS}
    for name in _URI_LISTS:
        values[name] = values[name].split()
    return values


@transaction.atomic
def client_create(
    *, actor: Actor, client_id: str | None = None, **registration: Any
) -> tuple[Client, str | None]:
    """Register a client; return it and, for a confidential client, its secret (shown once).

    *registration* takes the REGISTRATION_FIELDS (URI lists as lists). The secret is stored only
    as a SHA-256 digest. Raise ClientInvalid, ClientNameTaken, ClientIdTaken, UnknownScope,
    ScopeNotForPublicClients, GrantNotForPublicClients, RedirectUriInvalid or
    RedirectUriRequired; nothing is written then.
    """
    unknown = set(registration) - set(REGISTRATION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown registration fields: {sorted(unknown)}")
    values = _validated(registration)
    if client_id is not None:
        if not client_id.strip() or client_id.startswith(API_USERNAME_PREFIX):
            # "api-" names API credentials, which share the introspection endpoint's Basic auth.
            raise ClientInvalid(f"Invalid client_id: {client_id!r}.", field="client_id")
        if Client.objects.filter(client_id=client_id).exists():
            raise ClientIdTaken(field="client_id")
    public = values["client_type"] == Client.CLIENT_PUBLIC
    secret = None if public else new_secret()
    client = Client(client_secret=secret or "", hash_client_secret=not public, **values)
    if client_id:
        client.client_id = client_id
    with constraint_errors({"client_name_unique": ClientNameTaken}):
        client.save(force_insert=True)
    audit_record(
        actor=actor,
        action="client.created",
        target=client,
        details={"client_id": client.client_id, "client_type": client.client_type},
    )
    return client, secret


@transaction.atomic
def client_update(*, client: Client, actor: Actor, **changes: Any) -> Client:
    """Change a client's registration (REGISTRATION_FIELDS); the same rules as client_create.

    Switching to public drops the secret.
    """
    unknown = set(changes) - set(REGISTRATION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown registration fields: {sorted(unknown)}")
    before = _registration_of(client)
    values = _validated(changes, current=client)
    changed = [n for n in REGISTRATION_FIELDS if _registration_of_value(values, n) != before[n]]
    if not changed:
        return client
    for name in changed:
        setattr(client, name, values[name])
    if values["client_type"] == Client.CLIENT_PUBLIC:
        client.client_secret, client.hash_client_secret = "", False
    with constraint_errors({"client_name_unique": ClientNameTaken}):
        client.save()
    audit_record(actor=actor, action="client.updated", target=client, details={"fields": changed})
    return client


def _registration_of_value(values: dict[str, Any], name: str) -> Any:
    return values[name].split() if name in _URI_LISTS else values[name]


@transaction.atomic
def client_rotate_secret(*, client: Client, actor: Actor, secret: str | None = None) -> str:
    """Give a confidential client a new secret (the old one stops working); return it once.

    *secret* sets a given value instead of a random one (demo fixtures only).
    """
    if client.client_type != Client.CLIENT_CONFIDENTIAL:
        raise ClientInvalid("Public clients have no secret.", field="client_type")
    secret = secret or new_secret()
    client.client_secret = secret
    client.hash_client_secret = True
    client.save(update_fields=["client_secret", "hash_client_secret", "updated"])
    audit_record(actor=actor, action="client.secret_rotated", target=client)
    return secret


@transaction.atomic
def client_set_enabled(*, client: Client, enabled: bool, actor: Actor) -> Client:
    """Enable or disable a client; a disabled client gets no tokens."""
    if client.enabled != enabled:
        client.enabled = enabled
        client.save(update_fields=["enabled", "updated"])
        audit_record(
            actor=actor, action="client.enabled" if enabled else "client.disabled", target=client
        )
    return client
