"""OpenID Connect Back-Channel Logout 1.0: signed logout tokens POSTed to clients, after commit,
with retries."""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from django.conf import settings
from jwcrypto import jwt

from accounts.models import Client
from accounts.oidc import keys

logger = logging.getLogger(__name__)
EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_token(*, client: Client, sub: str, sid: str) -> str:
    """A logout token (§2.4): iss, aud, iat, exp, jti, events, sub and sid; never a nonce."""
    now = int(time.time())
    key_set = keys.key_set()
    claims = {
        "iss": settings.ISSUER,
        "aud": client.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
        "sub": sub,
        "sid": sid,
        "events": {EVENT: {}},
    }
    header = {"alg": "RS256", "kid": key_set.active_kid, "typ": "logout+jwt"}
    token = jwt.JWT(header=header, claims=claims)
    token.make_signed_token(key_set.active)
    return token.serialize()


def _post(uri: str, token: str) -> int:
    body = urllib.parse.urlencode({"logout_token": token}).encode()
    request = urllib.request.Request(  # noqa: S310 (the URI is a registered https/loopback URL)
        uri,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=settings.BACKCHANNEL_LOGOUT_TIMEOUT) as response:  # noqa: S310
        return response.status


def deliver(uri: str, token: str, client_id: str) -> bool:
    """POST the token, retrying with backoff; §2.8: the RP answers 200 (or 204) on success."""
    delays = settings.BACKCHANNEL_LOGOUT_RETRY_DELAYS
    for attempt in range(len(delays) + 1):
        try:
            if _post(uri, token) in (200, 204):
                return True
        except (urllib.error.URLError, OSError, ValueError) as exc:
            logger.info("back-channel logout to %s failed (%s)", client_id, type(exc).__name__)
        if attempt < len(delays):
            time.sleep(delays[attempt])
    logger.warning(
        "back-channel logout to %s gave up after %d attempts", client_id, len(delays) + 1
    )
    return False


def notify(clients: list[Client], *, sub: str, sid: str) -> None:
    """Send logout tokens to *clients*; call from transaction.on_commit."""
    for client in clients:
        token = logout_token(client=client, sub=sub, sid=sid)
        args = (client.backchannel_logout_uri, token, client.client_id)
        if settings.BACKCHANNEL_LOGOUT_SYNC:
            deliver(*args)
        else:
            threading.Thread(target=deliver, args=args, daemon=True).start()
