"""CONNECT Payment's error model (spec §5, swagger `ErrorModel`) for every error of the API:
`{"errorNamespace", "errorCode", "errorMessage"}`, plus `field` for the input at fault."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from connect_id.errors import DomainError
from userdata.permissions import AccessProblem
from userdata.problems import DRF_CODES  # the same stable codes as the /id/ API

NAMESPACE = "payment"
MEDIA_TYPE = "application/json"


def error_body(code: str, message: Any, **extra: Any) -> dict[str, Any]:
    body = {"errorNamespace": NAMESPACE, "errorCode": code, "errorMessage": str(message)}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=status, headers=headers, content_type=MEDIA_TYPE)


def _first_field(detail: Any, path: str = "") -> str | None:
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        sub = path if key in ("non_field_errors", "__all__") else f"{path}.{key}".lstrip(".")
        return _first_field(value, sub) or sub or None
    return path or None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render *exc* in CONNECT's error model; None (a 500, logged) for anything unexpected."""
    if isinstance(exc, AccessProblem):
        detail = str(exc.detail)
        body = error_body(
            exc.problem_code,
            detail,
            # RFC 6750 §3: the OAuth error code too, for clients that read the JSON body.
            error=exc.oauth_error,
            error_description=detail if exc.oauth_error else None,
        )
        return _response(exc.status_code, body, exc.headers)
    if isinstance(exc, DomainError):
        return _response(exc.status, error_body(exc.code, exc.message, field=exc.field))
    if isinstance(exc, exceptions.ValidationError):
        field = _first_field(exc.detail)
        return _response(400, error_body("field_invalid", "The request is invalid.", field=field))
    if isinstance(exc, RequestDataTooBig):
        # RFC 9110 §15.5.14: the body is larger than the server will process.
        return _response(413, error_body("payload_too_large", "The request body is too large."))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        code = next((c for k, c in DRF_CODES.items() if isinstance(exc, k)), "error")
        headers = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
        return _response(exc.status_code, error_body(code, exc.detail), headers)
    return None
