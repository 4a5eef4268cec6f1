"""DomainError: every expected failure, with a stable machine-readable code."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # django-stubs-ext is a dev dependency
    from django_stubs_ext import StrOrPromise


class DomainError(Exception):
    """An expected failure the caller can act on.

    `code` is stable (clients branch on it); `status` is the HTTP status an edge should use;
    `field` names the input at fault, when there is one.
    """

    code = "invalid"
    status = 400
    # A plain or lazily translated string (pages show it in the person's language).
    message: StrOrPromise = "The request is invalid."

    def __init__(self, message: StrOrPromise | None = None, *, field: str | None = None) -> None:
        self.message = message or self.message
        self.field = field
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message: StrOrPromise = "Not found."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message: StrOrPromise = "The request conflicts with the current state."
