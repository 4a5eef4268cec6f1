"""The audit trail: who changed what, written by services in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from accounts.models import ApiCredential, AuditEvent, User


@dataclass(frozen=True)
class Actor:
    """Who performs a change: a user, an API credential, or a named system actor (cli, admin)."""

    label: str
    # The OAuth client through which a user acted (a bearer token's client), if any.
    client_id: str | None = None

    @classmethod
    def of_user(cls, user: User, *, via_client: str | None = None) -> Actor:
        return cls(f"user:{user.pk}", client_id=via_client)

    @classmethod
    def of_admin(cls, user: User) -> Actor:
        return cls(f"admin:{user.pk}")

    @classmethod
    def of_api_credential(cls, credential: ApiCredential) -> Actor:
        return cls(f"api:{credential.username}")

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(name)


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None
    user_agent: str


_request_meta: ContextVar[RequestMeta | None] = ContextVar("audit_request_meta", default=None)


class AuditContextMiddleware:
    """Make the caller's IP and user agent available to audit_record without passing `request`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = RequestMeta(
            ip=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )
        token = _request_meta.set(meta)
        try:
            return self.get_response(request)
        finally:
            _request_meta.reset(token)


def request_ip() -> str | None:
    """The IP of the request being served (for throttles in services), or None."""
    meta = _request_meta.get()
    return meta.ip if meta else None


def audit_record(
    *,
    actor: Actor,
    action: str,
    subject: User | str | None = None,
    target: models.Model | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit row. Call it inside the service's transaction; never pass secrets."""
    from accounts.models import AuditEvent

    meta = _request_meta.get()
    subject_id = subject if isinstance(subject, str) or subject is None else subject.pk
    return AuditEvent.objects.create(
        actor=actor.label,
        subject=subject_id or "",
        action=action,
        target=_target_label(target),
        ip=meta.ip if meta else None,
        user_agent=meta.user_agent if meta else "",
        details={**(details or {}), **({"client_id": actor.client_id} if actor.client_id else {})},
    )


def _target_label(target: models.Model | str | None) -> str:
    if target is None or isinstance(target, str):
        return target or ""
    return f"{target._meta.model_name}:{target.pk}"
