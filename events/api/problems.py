"""RFC 9457 problem details for the Event Queue, in the same shape as the /id/ API's."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.http import JsonResponse

from connect_id.errors import DomainError

if TYPE_CHECKING:  # django-stubs-ext is a dev dependency
    from django_stubs_ext import StrOrPromise

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_response(
    status: int,
    code: str,
    detail: StrOrPromise,
    *,
    headers: dict[str, str] | None = None,
    pointer: str | None = None,
) -> JsonResponse:
    body: dict[str, Any] = {
        "type": f"urn:connect-id:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": str(detail),
        "code": code,
    }
    if pointer:
        body["errors"] = [{"pointer": pointer, "detail": str(detail), "code": code}]
    response = JsonResponse(body, status=status, content_type=PROBLEM_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def domain_error_response(exc: DomainError) -> JsonResponse:
    # The only input fields of this API are query parameters (RFC 6901 pointers name them too).
    pointer = f"/{exc.field}" if exc.field else None
    return problem_response(exc.status, exc.code, exc.message, pointer=pointer)
