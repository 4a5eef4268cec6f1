"""A database outage is answered 503 with Retry-After, never 500 (the project's handler500)."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from connect_id.pages import is_page

logger = logging.getLogger(__name__)

# What psycopg raises when the server is gone, restarting, refusing connections or out of
# connection slots: all of them pass by themselves, so the client should come back.
OUTAGE_ERRORS = (OperationalError, InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: 503 for an outage (RFC 9110 §15.6.4), the plain 500 page otherwise."""
    if isinstance(sys.exc_info()[1], OUTAGE_ERRORS):
        return outage_response(request)
    return defaults.server_error(request)


def outage_response(request: HttpRequest) -> HttpResponse:
    """503 in the caller's format: a page for people, RFC 6749 JSON on the OAuth endpoints,
    RFC 9457 problem+json on the APIs; `Retry-After` (RFC 9110 §10.2.3) on each."""
    path = request.path
    retry_after = settings.OUTAGE_RETRY_AFTER_SECONDS
    response: HttpResponse
    if is_page(path) or path.startswith("/" + settings.ADMIN_PATH):
        try:
            response = render(request, "503.html", {"retry_after": retry_after}, status=503)
        except OUTAGE_ERRORS:  # something on the page needed the database after all
            response = HttpResponse(
                _("CONNECT ID is briefly unavailable. Try again in a moment."),
                status=503,
                content_type="text/plain; charset=utf-8",
            )
    elif path.startswith(("/oauth/", "/.well-known/")):
        # RFC 6749 §4.1.2.1 names this condition "temporarily_unavailable".
        response = JsonResponse(
            {
                "error": "temporarily_unavailable",
                "error_description": "The service is briefly unavailable; retry shortly.",
            },
            status=503,
        )
    else:
        response = JsonResponse(
            {
                "type": "urn:connect-id:problem:temporarily_unavailable",
                "title": "Service Unavailable",
                "status": 503,
                "detail": "The service is briefly unavailable; retry shortly.",
                "code": "temporarily_unavailable",
            },
            status=503,
            content_type="application/problem+json",
        )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
