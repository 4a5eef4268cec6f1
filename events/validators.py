"""Pure checks of the events domain, shared by services, admin forms and commands."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from events.errors import OwnerIdInvalid, WebhookUrlInvalid

# The same shape as accounts' grantor ids (spec §4: "SOMEONE", "telenordigital.exampleservice");
# repeated here because events is the lowest domain and imports nothing above it.
OWNER_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
_LOOPBACK_NAMES = {"localhost"}


def normalize_owner_id(raw: str) -> str:
    """Trim a grantor or service provider id; raise OwnerIdInvalid."""
    value = (raw or "").strip()
    if not OWNER_ID_RE.fullmatch(value):
        raise OwnerIdInvalid(field="owner_id")
    return value


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_webhook_url(raw: str) -> str:
    """An absolute https URL; http only to a loopback host when DEBUG or
    WEBHOOK_ALLOW_HTTP_LOOPBACK is on (local development and tests). Raise WebhookUrlInvalid."""
    value = (raw or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise WebhookUrlInvalid(field="url") from None
    parts = urlsplit(value)
    if parts.username or parts.password:
        raise WebhookUrlInvalid("A webhook URL must not carry credentials.", field="url")
    if parts.scheme == "http":
        allow = settings.DEBUG or settings.WEBHOOK_ALLOW_HTTP_LOOPBACK
        if not (allow and _is_loopback(parts.hostname or "")):
            raise WebhookUrlInvalid(field="url")
    return value
