"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving requests."""
    return JsonResponse({"status": "ok"})


def _backend_problem(kind: str) -> str | None:
    """Why the mail or SMS backend cannot work as configured, or None. Configuration only: a
    probe every few seconds must not open SMTP sessions or send messages."""
    try:
        if kind == "mail":
            backend = get_connection()
            if isinstance(backend, SmtpBackend) and not backend.host:
                return "EMAIL_URL names no host"
        else:
            import_string(settings.SMS_BACKEND)()
    except Exception as exc:  # any failure to build the backend is the answer
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """The database answers and mail and SMS are configured; 503 otherwise, so a load balancer
    stops sending traffic (the body says which part failed)."""
    body: dict[str, str] = {"status": "ok", "database": "ok", "mail": "ok", "sms": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("readiness check failed: %s", type(exc).__name__)
        body["database"] = "unreachable"
    for kind in ("mail", "sms"):
        problem = _backend_problem(kind)
        if problem is not None:
            logger.warning("readiness check failed: %s backend: %s", kind, problem)
            body[kind] = "misconfigured"
    if any(value != "ok" for key, value in body.items() if key != "status"):
        body["status"] = "unavailable"
        response = JsonResponse(body, status=503)
        response["Retry-After"] = str(settings.OUTAGE_RETRY_AFTER_SECONDS)
        return response
    return JsonResponse(body)
