"""RFC 9457 problem details for every error of the /id/ API (REST_FRAMEWORK EXCEPTION_HANDLER)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from connect_id.errors import DomainError
from userdata.permissions import AccessProblem

if TYPE_CHECKING:  # django-stubs-ext is a dev dependency
    from django_stubs_ext import StrOrPromise

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Stable codes for DRF's own exceptions (clients branch on `code`, never on `detail`).
DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: "malformed_request",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotFound: "not_found",
    exceptions.Throttled: "throttled",
    exceptions.NotAuthenticated: "authentication_required",
    exceptions.AuthenticationFailed: "invalid_credentials",
    exceptions.PermissionDenied: "forbidden",
}


def problem(
    status: int,
    code: str,
    detail: StrOrPromise,
    *,
    errors: Sequence[Mapping[str, StrOrPromise]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:connect-id:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _pointer(path: list[str | int]) -> str:
    # RFC 6901: "~" and "/" are escaped inside a reference token.
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _flatten(detail: Any, path: list[str | int]) -> list[dict[str, str]]:
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            sub = path if key in ("non_field_errors", "__all__") else [*path, key]
            out.extend(_flatten(value, sub))
        return out
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            return [
                {
                    "pointer": _pointer(path),
                    "detail": str(item),
                    "code": getattr(item, "code", None) or "invalid",
                }
                for item in detail
            ]
        out = []
        for index, value in enumerate(detail):
            out.extend(_flatten(value, [*path, index]))
        return out
    return [{"pointer": _pointer(path), "detail": str(detail), "code": "invalid"}]


def _response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_MEDIA_TYPE)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render *exc* as problem+json; None (a 500, logged) for anything unexpected."""
    view = context.get("view")
    aliases: dict[str, str] = getattr(view, "error_field_aliases", {})
    if isinstance(exc, AccessProblem):
        detail = str(exc.detail)
        body = problem(
            exc.status_code,
            exc.problem_code,
            detail,
            # RFC 6750 §3: the OAuth error code, for clients that read the JSON body.
            error=exc.oauth_error,
            error_description=detail if exc.oauth_error else None,
        )
        return _response(body, exc.headers)
    if isinstance(exc, DomainError):
        # Lazily translated messages stay lazy: the JSON renderer translates them.
        errors: Sequence[Mapping[str, StrOrPromise]] | None = None
        if exc.field:
            field = aliases.get(exc.field, exc.field)
            errors = [{"pointer": _pointer([field]), "detail": exc.message, "code": exc.code}]
        return _response(problem(exc.status, exc.code, exc.message, errors=errors))
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail, [])
        return _response(
            problem(400, "validation_failed", "The request body is invalid.", errors=errors)
        )
    if isinstance(exc, RequestDataTooBig):
        # RFC 9110 §15.5.14: the body is larger than the server will process.
        return _response(problem(413, "payload_too_large", "The request body is too large."))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        code = next((c for k, c in DRF_CODES.items() if isinstance(exc, k)), "error")
        headers = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
        return _response(problem(exc.status_code, code, str(exc.detail)), headers)
    return None
