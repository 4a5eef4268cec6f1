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


# The job queue in one round trip with the database check: live workers (a heartbeat within
# JOBS_STALLED_SECONDS) and the age of the oldest job waiting to run.
_JOB_QUEUE = """
    SELECT
        (SELECT count(*) FROM procrastinate_workers
         WHERE last_heartbeat > now() - make_interval(secs => %s)),
        (SELECT extract(epoch FROM now() - min(coalesce(j.scheduled_at, e.at)))
         FROM procrastinate_jobs j
         JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
         WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now()))
"""


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the job queue's tables answer and mail and SMS are configured; 503
    otherwise, so a load balancer stops sending traffic (the body says which part failed).

    The number of live job workers and the age of the oldest waiting job are reported for
    monitoring but do not fail the probe: a web server without workers still serves sign-ins,
    and taking it out of the load balancer would not start a worker.
    """
    body: dict[str, object] = {
        "status": "ok",
        "database": "ok",
        "jobs": "ok",
        "mail": "ok",
        "sms": "ok",
    }
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("readiness check failed: %s", type(exc).__name__)
        body["database"] = body["jobs"] = "unreachable"
    else:
        try:
            with connection.cursor() as cursor:
                cursor.execute(_JOB_QUEUE, [settings.JOBS_STALLED_SECONDS])
                workers, oldest = cursor.fetchone()
            body["job_workers"] = workers
            body["oldest_job_seconds"] = round(float(oldest), 1) if oldest is not None else 0
        except DatabaseError as exc:
            logger.warning("readiness check failed: job queue: %s", type(exc).__name__)
            body["jobs"] = "unreachable"
    for kind in ("mail", "sms"):
        problem = _backend_problem(kind)
        if problem is not None:
            logger.warning("readiness check failed: %s backend: %s", kind, problem)
            body[kind] = "misconfigured"
    if any(body[key] != "ok" for key in ("database", "jobs", "mail", "sms")):
        body["status"] = "unavailable"
        response = JsonResponse(body, status=503)
        response["Retry-After"] = str(settings.OUTAGE_RETRY_AFTER_SECONDS)
        return response
    return JsonResponse(body)
