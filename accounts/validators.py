"""Pure validation and normalisation shared by services, forms and serializers."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from urllib.parse import urlsplit

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.errors import (
    BirthdateInvalid,
    EmailInvalid,
    GrantorIdInvalid,
    IdentifierInvalid,
    PhoneInvalid,
    RealnameInvalid,
    RedirectUriInvalid,
    ScopeNotForPublicClients,
    UnknownScope,
)
from accounts.scopes import CONFIDENTIAL_ONLY_SCOPES

# Out-of-band redirect URIs CONNECT supports for desktop apps (spec §A1).
OOB_REDIRECT_URIS = frozenset({"urn:ietf:wg:oauth:2.0:oob", "urn:ietf:wg:oauth:2.0:oob:auto"})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def normalize_email(raw: str) -> str:
    """Trim, check the syntax and lower-case the domain; raise EmailInvalid."""
    address = (raw or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise EmailInvalid(field="address") from None
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_phone(raw: str, *, default_region: str) -> str:
    """Return E.164 digits without "+" (CONNECT's format); raise PhoneInvalid.

    Accepts "+47 912 34 567", "0047...", CONNECT's bare international digits ("4791234567") and,
    failing those, a national number in *default_region*.
    """
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise PhoneInvalid(field="number")
    if text.startswith("00"):
        text = "+" + text[2:]
    candidates = (
        [(text, None)] if text.startswith("+") else [("+" + text, None), (text, default_region)]
    )
    for candidate, region in candidates:
        try:
            parsed = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]
    raise PhoneInvalid(field="number")


def validate_scopes(scopes: list[str], *, catalogue: dict[str, str], public: bool) -> list[str]:
    """Return the scopes deduplicated in order; raise UnknownScope or ScopeNotForPublicClients."""
    result: list[str] = []
    for scope in scopes:
        if scope not in catalogue:
            raise UnknownScope(f"Unknown scope: {scope!r}.", field="scope")
        if public and scope in CONFIDENTIAL_ONLY_SCOPES:
            raise ScopeNotForPublicClients(
                f"Scope {scope!r} is available to confidential clients only.", field="scope"
            )
        if scope not in result:
            result.append(scope)
    return result


def validate_redirect_uri(uri: str, *, native: bool) -> str:
    """Check a redirect or post-logout URI; raise RedirectUriInvalid.

    RFC 6749 §3.1.2: absolute, no fragment. Web clients use https (http only on a loopback host,
    for testing); native clients may also use a private-use scheme (RFC 8252 §7.1) or, for
    desktop apps, CONNECT's out-of-band URNs.
    """
    if uri in OOB_REDIRECT_URIS:
        if native:
            return uri
        raise RedirectUriInvalid(f"Out-of-band URIs are for native clients: {uri!r}.")
    parts = urlsplit(uri)
    if not parts.scheme or any(c.isspace() for c in uri):
        raise RedirectUriInvalid(f"Not an absolute URI: {uri!r}.")
    if parts.fragment or "#" in uri:
        raise RedirectUriInvalid(f"A redirect URI must not contain a fragment: {uri!r}.")
    if parts.scheme == "https" and parts.hostname:
        return uri
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return uri
    if native and parts.scheme not in {"http", "https", "javascript", "data", "file"}:
        # RFC 8252 §7.1: private-use schemes are reverse domain names, e.g. com.example.app:/cb;
        # CONNECT's default was "<client-id>://connect/oauth2callback".
        return uri
    raise RedirectUriInvalid(f"Use https (or http on localhost): {uri!r}.")


# Text-direction overrides and isolates (U+202A-U+202E, U+2066-U+2069) can make a name display
# as something else on consent pages and in ID tokens; joiners (needed by some scripts) stay.
_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def normalize_realname(raw: str) -> str:
    """Trim a display name; raise RealnameInvalid for control or direction-override characters."""
    name = (raw or "").strip()
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in name):
        raise RealnameInvalid(field="realname")
    if len(name) > 200:
        raise RealnameInvalid("A name has at most 200 characters.", field="realname")
    return name


def validate_birthdate(value: dt.date | None) -> dt.date | None:
    """None, or a date from 1900-01-01 to today; raise BirthdateInvalid."""
    if value is not None and not dt.date(1900, 1, 1) <= value <= dt.date.today():
        raise BirthdateInvalid(field="birthdate")
    return value


def normalize_identifier(raw: str, *, default_region: str) -> tuple[str, str]:
    """What a person typed to sign in, as ("email", casefolded address) or ("phone", E.164
    digits): every spelling of one address or number gives one value, so throttles and lookups
    agree. Raise IdentifierInvalid."""
    text = (raw or "").strip()
    if "@" in text:
        try:
            return "email", normalize_email(text).casefold()
        except EmailInvalid:
            raise IdentifierInvalid(field="identifier") from None
    # "(+47) 912 34 567", "+47-912..." and "0047 ..." are the same number.
    compact = "".join(ch for ch in text if ch not in " -().\u00a0")
    try:
        return "phone", normalize_phone(compact, default_region=default_region)
    except PhoneInvalid:
        raise IdentifierInvalid(field="identifier") from None


# Grantor and service provider ids name companies and services in rights, events and queues
# (spec §4: "SOMEONE", "telenordigital.exampleservice").
GRANTOR_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")


def normalize_grantor_id(raw: str) -> str:
    """Trim a grantor or service provider id; raise GrantorIdInvalid."""
    value = (raw or "").strip()
    if not GRANTOR_ID_RE.fullmatch(value):
        raise GrantorIdInvalid(field="grantorId")
    return value


def validate_grantor_id(value: str) -> None:
    """A model-field validator (admin forms): blank, or a valid grantor id."""
    if value and not GRANTOR_ID_RE.fullmatch(value):
        raise ValidationError(str(GrantorIdInvalid.message), code=GrantorIdInvalid.code)
