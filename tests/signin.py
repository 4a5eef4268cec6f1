"""Walking the sign-in pages with Django's test client, as a browser without JavaScript does."""

from __future__ import annotations

import re

from django.test import Client as HttpClient

from accounts import sms


def start(http: HttpClient, identifier: str, *, next_url: str | None = None, **extra: str):
    """Open the sign-in page (from an authorization request when *next_url*), type the
    identifier, and return the answer to that."""
    http.get("/gui/signin", {"next": next_url} if next_url else {})
    return http.post("/gui/signin", {"identifier": identifier, **extra})


def password_sign_in(
    http: HttpClient, identifier: str, password: str, *, next_url: str | None = None, **extra: str
):
    """Identifier, then password; return the answer to the password."""
    response = start(http, identifier, next_url=next_url, **{"with": "password"})
    assert response.status_code == 302, response.content[:600]
    assert response["Location"] == "/gui/signin/password", response["Location"]
    return http.post("/gui/signin/password", {"password": password, **extra})


def last_pin(to: str | None = None) -> str:
    """The PIN of the last SMS in the locmem outbox (to *to*, when given)."""
    messages = [m for m in sms.outbox if to is None or m.to == to]
    assert messages, f"no SMS to {to}"
    return re.search(r"\b(\d{4,8})\b", messages[-1].body).group(1)
