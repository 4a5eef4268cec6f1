"""OpenID Connect Back-Channel Logout 1.0: signed logout tokens POSTed to clients by a job.

`notify` defers one job per client inside the caller's transaction (connect_id.jobs): the
logout is queued if and only if the session's end commits, and survives a restart. The job
(accounts.tasks.deliver_logout) signs a fresh token on each attempt with the jti chosen when
deferring, so an RP that de-duplicates by jti (§2.6) sees one logout however often a retry or a
recovered job delivers it.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from django.conf import settings

from accounts.models import Client
from accounts.oidc import keys

logger = logging.getLogger(__name__)
EVENT = "http://schemas.openid.net/event/backchannel-logout"


class DeliveryFailed(Exception):
    """The RP did not acknowledge the logout token (retried by the job queue)."""


def logout_token(*, client: Client, sub: str, sid: str, jti: str | None = None) -> str:
    """A logout token (§2.4): iss, aud, iat, exp, jti, events, sub and sid; never a nonce."""
    now = int(time.time())
    claims = {
        "iss": settings.ISSUER,
        "aud": client.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": jti or uuid.uuid4().hex,
        "sub": sub,
        "sid": sid,
        "events": {EVENT: {}},
    }
    return keys.sign_jwt(claims, typ="logout+jwt")


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


def deliver(uri: str, token: str, client_id: str) -> None:
    """POST the token once; §2.8: the RP answers 200 (or 204) on success. Raise DeliveryFailed
    otherwise (the job is retried with backoff)."""
    try:
        status = _post(uri, token)
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = type(exc).__name__
    else:
        if status in (200, 204):
            return
        reason = f"HTTP {status}"
    logger.info("back-channel logout to %s failed (%s)", client_id, reason)
    raise DeliveryFailed(f"back-channel logout to {client_id}: {reason}")


def notify(clients: list[Client], *, sub: str, sid: str) -> None:
    """Queue a logout token for each of *clients*; call inside the transaction that ends the
    session (the jobs commit or roll back with it)."""
    from accounts.tasks import deliver_logout  # the job module imports this one

    for client in clients:
        deliver_logout.defer(client_pk=client.pk, sub=sub, sid=sid, jti=uuid.uuid4().hex)
