"""The state of one person's way through the sign-in pages, kept in their Django session."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qs, urlsplit

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import rows
from accounts.models import Client

FLOW_KEY = "connect_flow"
ACR_VALUES = ("1", "2")  # CONNECT's levels of assurance (spec §2.3)


def safe_next(request: HttpRequest, target: str | None) -> str:
    """*target* if it stays on this site, else "/" (never an open redirect)."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@dataclass
class AuthorizeRequest:
    """What the sign-in pages need from the /oauth/authorize request they were sent from."""

    client_id: str = ""
    acr: str = "1"
    login_hints: list[str] = field(default_factory=list)
    ui_locales: list[str] = field(default_factory=list)
    essential: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, next_url: str) -> AuthorizeRequest:
        query = parse_qs(urlsplit(next_url).query)
        first = {name: values[0] for name, values in query.items() if values}
        # acr_values lists acceptable levels, most preferred first (OIDC Core §3.1.2.1); the
        # flow must reach at least the lowest of those CONNECT knows. Default: LoA 1.
        wanted = [v for v in first.get("acr_values", "").split() if v in ACR_VALUES]
        return cls(
            client_id=first.get("client_id", "")[:100],
            acr=min(wanted) if wanted else "1",
            # OIDC Core §3.1.2.1; CONNECT's shop sent two (a phone and an email), and its SDKs
            # send MCCMNC:<mcc><mnc> for header enrichment, which is not a typed identifier.
            login_hints=[
                h[:254] for h in query.get("login_hint", []) if not h.startswith("MCCMNC:")
            ],
            ui_locales=first.get("ui_locales", "").split()[:10],
            essential=essential_claims(first.get("claims", "")),
        )


def essential_claims(raw: str) -> list[str]:
    """The claims an OIDC `claims` parameter (Core §5.5) marks essential, for UserInfo or the
    ID token; malformed JSON gives none (the authorize endpoint rejects it)."""
    try:
        request = json.loads(raw) if raw else {}
    except ValueError:
        return []
    if not isinstance(request, dict):
        return []
    names: list[str] = []
    for member in ("userinfo", "id_token"):
        claims = request.get(member)
        if not isinstance(claims, dict):
            continue
        for name, spec in claims.items():
            if isinstance(spec, dict) and spec.get("essential") is True and name not in names:
                names.append(name)
    return names


@dataclass
class Flow:
    """Where a person is: the identifier they typed, what they proved, where they go next."""

    next: str = "/"
    kind: str = ""  # "phone" or "email"
    identifier: str = ""  # normalized: E.164 digits or a casefolded address
    pin_id: str = ""
    pin_purpose: str = ""
    proved_number: str = ""  # the number a correct PIN proved in this flow
    stay: bool | None = None

    @classmethod
    def load(cls, request: HttpRequest) -> Flow:
        data = request.session.get(FLOW_KEY) or {}
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def save(self, request: HttpRequest) -> None:
        request.session[FLOW_KEY] = asdict(self)

    @staticmethod
    def clear(request: HttpRequest) -> None:
        request.session.pop(FLOW_KEY, None)

    @property
    def authorize(self) -> AuthorizeRequest:
        return AuthorizeRequest.of(self.next)

    @property
    def client(self) -> Client | None:
        client_id = self.authorize.client_id
        return rows.get_by(Client, "client_id", client_id) if client_id else None
