"""Liveness and readiness probes."""

from unittest import mock

from django.db import OperationalError, connection


def test_healthz_answers_without_touching_the_database(anon, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = anon.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_answers_200_when_the_database_does(anon, db):
    response = anon.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_readyz_answers_503_when_the_database_does_not(anon, db):
    broken = mock.Mock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch("connect_id.health.connection", broken):
        response = anon.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unreachable",
        "jobs": "unreachable",
        "mail": "ok",
        "sms": "ok",
    }
    assert response["Retry-After"] == "5"


def test_readyz_reports_live_workers_and_the_oldest_waiting_job(anon, db, settings):
    from connect_id.tasks import recover_stalled_jobs

    settings.JOBS_EAGER = False  # a real row in the queue
    body = anon.get("/readyz").json()
    assert body["jobs"] == "ok" and body["job_workers"] == 0 and body["oldest_job_seconds"] == 0
    recover_stalled_jobs.defer(timestamp=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_events SET at = now() - interval '90 seconds'"
            " WHERE type = 'deferred'"
        )
        cursor.execute("INSERT INTO procrastinate_workers DEFAULT VALUES")
    body = anon.get("/readyz").json()
    assert body["job_workers"] == 1 and body["oldest_job_seconds"] >= 90
    assert body["status"] == "ok"  # reported, not a reason to leave the load balancer


def test_readyz_fails_when_the_sms_gateway_is_not_configured(anon, db, settings):
    settings.SMS_BACKEND = "accounts.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = ""
    response = anon.get("/readyz")
    assert response.status_code == 503
    assert response.json()["sms"] == "misconfigured" and response.json()["database"] == "ok"


def test_readyz_fails_when_mail_has_no_server(anon, db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    response = anon.get("/readyz")
    assert response.status_code == 503 and response.json()["mail"] == "misconfigured"


def test_readyz_fails_when_a_backend_cannot_be_imported(anon, db, settings):
    settings.SMS_BACKEND = "accounts.sms.NoSuchBackend"
    assert anon.get("/readyz").json()["sms"] == "misconfigured"


def test_probes_answer_over_plain_http_by_ip_in_production_settings(db, settings):
    from django.test import Client as HttpClient

    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["id.example.com"]
    probe = HttpClient(HTTP_HOST="10.0.0.7:8000")  # not an allowed host, not https
    assert probe.get("/healthz").status_code == 200
    assert probe.get("/readyz").status_code == 200
    assert probe.get("/oauth/.well-known/openid-configuration").status_code == 400  # others: no
