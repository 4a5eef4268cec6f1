"""/metrics: Prometheus' format, not public, and its counters move with what happens."""

from __future__ import annotations

import base64

import pytest
from django.core import mail
from django.test import Client as HttpClient
from prometheus_client.parser import text_string_to_metric_families

from accounts.notifications import send_templated_email
from accounts.sms import send_sms
from tests.factories import ClientFactory, UserFactory
from tests.signin import last_pin, password_sign_in, start


def scrape(http: HttpClient | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = (http or HttpClient()).get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def machine(db):
    return ClientFactory(
        client_id="metrics-machine", grant_types=["client_credentials"], allowed_scopes=["openid"]
    )


def test_tokens_issued_and_refused_are_counted_per_client(machine):
    http = HttpClient()
    before = scrape()
    for _ in range(2):
        ok = http.post(
            "/oauth/token",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic(machine.client_id, machine.secret),
        )
        assert ok.status_code == 200
    wrong = http.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("made-up-client-123", "nope"),
    )
    assert wrong.status_code == 401
    after = scrape()
    labels = {"client": "metrics-machine", "grant": "client_credentials"}
    name = "connect_tokens_total"
    assert (
        value(after, name, **labels, result="issued")
        - value(before, name, **labels, result="issued")
        == 2
    )
    refused = {"client": "unknown", "grant": "client_credentials", "result": "invalid_client"}
    assert value(after, name, **refused) - value(before, name, **refused) == 1
    # A made-up client id never becomes a label.
    assert not any("made-up-client-123" in str(key) for key in after)
    # Latency per endpoint (URL pattern, not raw path).
    count = "connect_request_duration_seconds_count"
    token = {"endpoint": "/oauth/token", "method": "POST"}
    assert value(after, count, **token) - value(before, count, **token) >= 3


def test_sign_ins_are_counted_by_method_and_result(db, django_capture_on_commit_callbacks):
    UserFactory(email="counted@example.com", password="a long passphrase 42", phone="4795551234")
    before = scrape()
    assert password_sign_in(HttpClient(), "counted@example.com", "wrong").status_code == 400
    assert (
        password_sign_in(HttpClient(), "counted@example.com", "a long passphrase 42").status_code
        == 302
    )
    browser = HttpClient()
    with django_capture_on_commit_callbacks(execute=True):
        start(browser, "+4795551234")
    assert browser.post("/gui/signin/pin", {"pin": last_pin("4795551234")}).status_code == 302
    after = scrape()
    name = "connect_signins_total"
    for method, result, moved in [
        ("password", "failure", 1),
        ("password", "success", 1),
        ("sms_pin", "success", 1),
    ]:
        labels = {"method": method, "result": result}
        assert value(after, name, **labels) - value(before, name, **labels) == moved, labels


def test_mail_and_sms_sent_and_failed_are_counted(db, settings):
    before = scrape()
    send_sms(to="4795550000", body="hello")
    send_templated_email(
        to="x@example.com", template="email_verification", context={"link": "l"}, language="en"
    )
    assert len(mail.outbox) == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    send_templated_email(
        to="x@example.com", template="email_verification", context={"link": "l"}, language="en"
    )
    after = scrape()
    name = "connect_messages_total"
    for channel, result in [("sms", "sent"), ("mail", "sent"), ("mail", "failed")]:
        labels = {"channel": channel, "result": result}
        assert value(after, name, **labels) - value(before, name, **labels) == 1, labels


def test_metrics_are_not_public(db, settings):
    outsider = HttpClient(REMOTE_ADDR="203.0.113.9")
    assert outsider.get("/metrics").status_code == 403
    settings.METRICS_TOKEN = "scraper-secret-0123456789"
    assert outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    refused = outsider.get("/metrics")
    assert refused.status_code == 403 and refused["WWW-Authenticate"].startswith("Bearer")
    allowed = outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer scraper-secret-0123456789")
    assert allowed.status_code == 200 and b"connect_tokens_total" in allowed.content


def test_an_allowed_network_may_scrape_without_a_token(db, settings):
    from connect_id import metrics

    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    metrics._networks.cache_clear()
    try:
        assert HttpClient(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
        assert HttpClient(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403
    finally:
        metrics._networks.cache_clear()
