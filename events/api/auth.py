"""Who may read an Event Queue: HTTP Basic API credentials of the queue's owner (spec §1.0)."""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest, JsonResponse

from accounts.models import ApiCredential
from accounts.services import api_credential_authenticate
from events.api.problems import problem_response

REALM = "CONNECT ID"
OPERATION = ApiCredential.Operation.EVENTS_READ.value
_CHALLENGE = {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'}


class AccessDenied(Exception):
    def __init__(self, response: JsonResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def _basic_pair(authorization: str) -> tuple[str, str] | None:
    scheme, _, param = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(param.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    username, sep, secret = decoded.partition(":")
    if not sep or not username or len(username) > 64 or "\x00" in username:
        return None
    return username, secret


def queue_reader(request: HttpRequest) -> ApiCredential:
    """The API credential of this request, allowed to read event queues; raise AccessDenied
    with a 401 (and a Basic challenge, RFC 9110 §11.6.1) or a 403."""
    authorization = request.headers.get("Authorization", "")
    if not authorization:
        raise AccessDenied(
            problem_response(
                401, "authentication_required", "Authenticate with HTTP Basic.", headers=_CHALLENGE
            )
        )
    pair = _basic_pair(authorization)
    credential = api_credential_authenticate(*pair) if pair else None
    if credential is None:
        raise AccessDenied(
            problem_response(
                401, "invalid_credentials", "The API credentials are wrong.", headers=_CHALLENGE
            )
        )
    if not credential.allows(OPERATION):
        # Authenticated but not allowed: 403 (RFC 9110 §15.5.4), not a new challenge.
        raise AccessDenied(
            problem_response(
                403,
                "operation_not_allowed",
                f"This API credential does not hold the operation {OPERATION}.",
            )
        )
    return credential
