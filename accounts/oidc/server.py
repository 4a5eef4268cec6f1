"""The oauthlib server, cut down to what CONNECT ID offers."""

from __future__ import annotations

from typing import Any

from oauthlib.openid import Server


class ConnectServer(Server):
    """oauthlib's OpenID server with only the authorization code flow at /authorize and the
    authorization_code, refresh_token and client_credentials grants at /token.

    RFC 9700 §2.1.2 and §2.4: no implicit or hybrid flows, no resource owner password grant.
    oauthlib would check a password before asking whether the client may use the grant, which
    would turn /token into a password oracle and a password-hashing sink.
    """

    GRANTS = ("authorization_code", "refresh_token", "client_credentials")

    def __init__(self, request_validator: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(request_validator, *args, **kwargs)
        # oauthlib ships no type information, so these attributes of the base class are Any.
        self._grant_types: dict[str, Any] = {
            k: v for k, v in self._grant_types.items() if k in self.GRANTS
        }
        self._response_types: dict[str, Any] = {"code": self._response_types["code"]}
