"""The "Back to <service>" link of every portal screen (spec §6, "Backlink").

A service that sends a person to the portal names itself with `?client_id=…&redirect_uri=…`.
CONNECT's own name for a backlink parameter is not in the public record; spec §6 infers
`return_url`, so that is accepted too: as another name for `redirect_uri` next to a
`client_id`, or alone, when exactly one service registered that URI. Either way the URI must be
one of the service's registered redirect URIs, compared as exact strings (the same rule as
RFC 6749 §3.1.2.3 for /oauth/authorize): anything else is ignored, so the portal is never an
open redirector. The choice is kept in the Django session, so it survives the sign-in round
trip and moving between screens; a later valid one replaces it, signing out forgets it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from accounts.models import Client
from accounts.services.selfservice import PORTAL_CLIENT_ID

SESSION_KEY = "mypage_backlink"
# Schemes never rendered as a link, even if one were registered: they run code in the page.
_NEVER = {"javascript", "data", "vbscript", "file", "blob"}
_MAX_LENGTH = 2048


@dataclass(frozen=True)
class Backlink:
    name: str  # the service's user-facing name
    uri: str


def _registered(client: Client, uri: str) -> bool:
    scheme = uri.split(":", 1)[0].strip().lower() if ":" in uri else ""
    return bool(scheme) and scheme not in _NEVER and uri in client.redirect_uris.split()


def resolve(client_id: str, uri: str) -> Backlink | None:
    """The backlink that *client_id* and *uri* name, or None unless *uri* is registered for
    that enabled service (with no *client_id*: for exactly one such service)."""
    if not uri or len(uri) > _MAX_LENGTH or len(client_id) > 255 or any(c.isspace() for c in uri):
        return None
    clients = Client.objects.filter(enabled=True).exclude(client_id=PORTAL_CLIENT_ID)
    if client_id:
        candidates = list(clients.filter(client_id=client_id)[:1])
    else:
        candidates = list(clients.filter(redirect_uris__contains=uri)[:5])
    matching = [c for c in candidates if _registered(c, uri)]
    if len(matching) != 1:
        return None
    return Backlink(name=matching[0].name, uri=uri)


def remember(request: HttpRequest) -> None:
    """Keep the backlink a screen's query names (a valid one replaces the kept one)."""
    query = request.GET
    uri = query.get("redirect_uri") or query.get("return_url") or ""
    if not uri:
        return
    found = resolve(query.get("client_id", ""), uri)
    if found is not None:
        request.session[SESSION_KEY] = {"name": found.name, "uri": found.uri}


def current(request: HttpRequest) -> Backlink | None:
    kept = request.session.get(SESSION_KEY)
    if not isinstance(kept, dict):
        return None
    try:
        return Backlink(name=str(kept["name"]), uri=str(kept["uri"]))
    except KeyError:
        return None
