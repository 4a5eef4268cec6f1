"""The job queue (procrastinate on our PostgreSQL): deferring is transactional, and the real
worker (`manage.py procrastinate worker` in a subprocess, on the committed test database) runs
each job we moved onto it, retries with backoff, and recovers a job whose worker was killed.

The rest of the suite runs jobs in-process at commit (JOBS_EAGER, tests/testenv.py); here it is
off, so jobs are real rows that a real worker fetches.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import IdempotentRequest
from connect_id.jobs import Backoff, GiveUp, seal, unseal
from tests.factories import ClientFactory, UserFactory
from tests.servers import SmtpServer, database_url

ROOT = Path(__file__).resolve().parents[2]


def queued(task_name: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, status, attempts, args::text FROM procrastinate_jobs WHERE task_name = %s",
            [task_name],
        )
        rows = cursor.fetchall()
    return [
        {"id": pk, "status": status, "attempts": attempts, "args": json.loads(args)}
        for pk, status, attempts, args in rows
    ]


def wait_until(condition, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"{what} not met within {timeout} s")


class RelyingParty:
    """A back-channel logout endpoint: records each logout token's jti; answers `statuses` in
    turn (then 200); with `stall`, holds the first request until `release` is set."""

    def __init__(self, statuses: list[int] | None = None, *, stall: bool = False) -> None:
        self.jtis: list[str] = []
        self.statuses = list(statuses or [])
        self.stall = stall
        self.first_arrived, self.release = threading.Event(), threading.Event()
        rp = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                token = parse_qs(body)["logout_token"][0]
                payload = token.split(".")[1]
                claims = json.loads(__import__("base64").urlsafe_b64decode(payload + "=="))
                rp.jtis.append(claims["jti"])
                if rp.stall and len(rp.jtis) == 1:
                    rp.first_arrived.set()
                    rp.release.wait(60)  # the worker is killed while we hold this
                status = rp.statuses.pop(0) if rp.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bcl"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def real_queue(settings):
    """Deferred jobs become rows (JOBS_EAGER off); the queue's tables are emptied afterwards
    (they are procrastinate's, not flushed by the test database's cleanup)."""
    settings.JOBS_EAGER = False
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM procrastinate_periodic_defers; DELETE FROM procrastinate_jobs; "
            "DELETE FROM procrastinate_workers"
        )


@contextlib.contextmanager
def worker(tmp_path: Path, name: str = "worker", **env: str) -> Iterator[subprocess.Popen]:
    """`manage.py procrastinate worker` on this test's database, in its own process group."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "JOBS_EAGER": "0",
        "DB_CONN_MAX_AGE": "0",
        # Quick heartbeats and recovery, so a killed worker's job comes back within seconds.
        "JOBS_HEARTBEAT_SECONDS": "0.5",
        "JOBS_STALLED_SECONDS": "2",
        "JOBS_RECOVER_CRON": "* * * * * *",
        **env,
    }
    log = (tmp_path / f"{name}.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "procrastinate",
            "worker",
            "--fetch-job-polling-interval=0.2",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


# --- deferring -----------------------------------------------------------------------------------


def test_the_tasks_of_every_app_are_registered(db):
    from procrastinate.contrib.django import app

    assert {
        "accounts.deliver_logout",
        "accounts.deliver_mail",
        "accounts.deliver_sms",
        "accounts.purge_idempotent_requests",
    } <= set(app.tasks)
    periodic = {task.task.name for task in app.periodic_registry.periodic_tasks.values()}
    assert "accounts.purge_idempotent_requests" in periodic


def test_a_job_deferred_inside_a_transaction_commits_or_rolls_back_with_it(db, settings):
    """task.defer() from sync code goes through Django's own connection: an outbox."""
    from accounts.tasks import deliver_logout

    settings.JOBS_EAGER = False
    with contextlib.suppress(RuntimeError), transaction.atomic():
        deliver_logout.defer(client_pk=1, sub="u", sid="rolled-back", jti="j1")
        assert len(queued("accounts.deliver_logout")) == 1  # visible in this transaction
        raise RuntimeError("the change failed")
    assert queued("accounts.deliver_logout") == []
    with transaction.atomic():
        deliver_logout.defer(client_pk=1, sub="u", sid="kept", jti="j2")
    [job] = queued("accounts.deliver_logout")
    assert job["args"]["sid"] == "kept" and job["status"] == "todo"


def test_message_text_is_sealed_in_the_queue(db, settings):
    from accounts import notifications

    settings.JOBS_EAGER = False
    notifications.send_phone_pin(number="4791234567", pin="424242")
    [job] = queued("accounts.deliver_sms")
    assert "424242" not in json.dumps(job["args"]) and "4791234567" not in json.dumps(job["args"])
    assert "424242" in unseal(job["args"]["sealed"])["body"]


def test_backoff_grows_exponentially_then_gives_up():
    policy = Backoff(max_attempts=4, first=2, factor=2, cap=5)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [2, 4, 5, 5]

    class Job:
        attempts = 0

    job = Job()
    decision = policy.get_retry_decision(exception=OSError(), job=job)  # type: ignore[arg-type]
    assert decision is not None and decision.retry_at is not None
    job.attempts = 3  # the 4th attempt failed
    assert policy.get_retry_decision(exception=OSError(), job=job) is None  # type: ignore[arg-type]
    job.attempts = 0
    assert policy.get_retry_decision(exception=GiveUp(), job=job) is None  # type: ignore[arg-type]
    assert unseal(seal({"a": 1})) == {"a": 1}


# --- periodic: expired idempotency keys ----------------------------------------------------------


def test_expired_idempotency_keys_are_purged_and_fresh_ones_kept(db, settings):
    from accounts.tasks import idempotent_requests_purge, purge_idempotent_requests

    now = timezone.now()
    for key, age in [("old", settings.IDEMPOTENCY_KEY_SECONDS + 60), ("fresh", 60)]:
        IdempotentRequest.objects.create(
            owner="api:x",
            key=key,
            fingerprint="f" * 64,
            status=201,
            body=b"",
            created_at=now - dt.timedelta(seconds=age),
        )
    assert idempotent_requests_purge(now=now) == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["fresh"]
    purge_idempotent_requests(timestamp=int(now.timestamp()))  # the job: a second run is a no-op
    assert IdempotentRequest.objects.count() == 1
    later = now + dt.timedelta(seconds=settings.IDEMPOTENCY_KEY_SECONDS)
    assert idempotent_requests_purge(now=later) == 1


# --- the real worker -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_worker_retries_a_refused_logout_with_the_same_jti(real_queue, tmp_path):
    from accounts.oidc import backchannel

    rp = RelyingParty(statuses=[503])
    try:
        client = ClientFactory(backchannel_logout_uri=rp.url)
        backchannel.notify([client], sub=UserFactory().pk, sid="sid-1")
        with worker(tmp_path):
            wait_until(lambda: len(rp.jtis) == 2, what="a retry after the 503")
            wait_until(lambda: queued("accounts.deliver_logout") == [], what="the job done")
    finally:
        rp.close()
    assert len(set(rp.jtis)) == 1  # one logout, delivered twice


@pytest.mark.django_db(transaction=True)
def test_the_worker_retries_an_sms_the_gateway_could_not_take(real_queue, tmp_path):
    from accounts import notifications
    from tests.accounts.test_sms_gateway import Gateway

    gateway = Gateway(statuses=[503])
    try:
        notifications.send_phone_pin(number="4791234567", pin="123456")
        with worker(
            tmp_path,
            SMS_BACKEND="accounts.sms.HttpGatewayBackend",
            SMS_GATEWAY_URL=gateway.url,
            SMS_GATEWAY_RETRIES="0",  # no fast retry inside the attempt: the job retries
        ):
            wait_until(lambda: len(gateway.received) == 2, what="the retried SMS")
            wait_until(lambda: queued("accounts.deliver_sms") == [], what="the job done")
        assert all("123456" in m["text"] for m in gateway.received)

        gateway.received.clear()
        gateway.statuses = [400]  # final: no retry
        notifications.send_phone_pin(number="4791234567", pin="654321")
        with worker(
            tmp_path,
            name="worker2",
            SMS_BACKEND="accounts.sms.HttpGatewayBackend",
            SMS_GATEWAY_URL=gateway.url,
            SMS_GATEWAY_RETRIES="0",
        ):
            failed = wait_until(
                lambda: [j for j in queued("accounts.deliver_sms") if j["status"] == "failed"],
                what="the job failed",
            )
        assert len(gateway.received) == 1 and failed[0]["attempts"] == 1
    finally:
        gateway.close()


@pytest.mark.django_db(transaction=True)
def test_mail_waits_for_the_smtp_server_to_come_back(real_queue, tmp_path):
    from accounts import notifications

    smtp = SmtpServer()  # its port chosen, nothing listening yet: the first attempt is refused
    notifications.send_templated_email(
        to="kari@example.com",
        template="email_verification",
        context={"link": "https://id.example.com/verify?token=secret"},
        language="en",
    )
    with worker(tmp_path, EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}"):
        wait_until(
            lambda: any(j["attempts"] >= 1 for j in queued("accounts.deliver_mail")),
            what="a refused first attempt",
        )
        with smtp:
            mail = smtp.wait_for_message("kari@example.com", timeout=30)
            wait_until(lambda: queued("accounts.deliver_mail") == [], what="the job done")
    assert mail.link == "https://id.example.com/verify?token=secret"
    assert len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_a_logout_delivery_is_replaced_and_the_rp_logs_out_once(
    real_queue, tmp_path
):
    from accounts.oidc import backchannel

    rp = RelyingParty(stall=True)
    try:
        client = ClientFactory(backchannel_logout_uri=rp.url)
        backchannel.notify([client], sub=UserFactory().pk, sid="sid-1")
        with worker(tmp_path, name="first") as first:
            assert rp.first_arrived.wait(30), "the first worker never delivered"
            [job] = queued("accounts.deliver_logout")
            assert job["status"] == "doing"
            os.killpg(first.pid, signal.SIGKILL)  # in the middle of the POST
            first.wait(timeout=10)
        rp.release.set()
        assert queued("accounts.deliver_logout")[0]["status"] == "doing"  # held by a dead worker
        with worker(tmp_path, name="second"):
            wait_until(lambda: len(rp.jtis) == 2, what="the recovered job's delivery")
            wait_until(lambda: queued("accounts.deliver_logout") == [], what="the job done")
    finally:
        rp.close()
    assert len(set(rp.jtis)) == 1  # exactly one logout for the RP


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_a_renewal_is_replaced_and_each_period_granted_once(
    real_queue, tmp_path
):
    from rights.models import Right, Subscription
    from rights.services import subscription_create
    from rights.tasks import renew_subscriptions_job
    from tests.factories import TEST_ACTOR

    # Subscribed 35 days ago, monthly: the first period's right exists, the second is due.
    start = timezone.now() - dt.timedelta(days=35)
    sub = subscription_create(
        user=UserFactory(),
        grantor_id="shop",
        time_spec=f"R/{start.strftime('%Y-%m-%dT%H:%M:%SZ')}/P1M",
        rights_spec=[{"sku": "CMO-STO-5-M"}],
        actor=TEST_ACTOR,
        now=start,
    )
    assert Right.objects.filter(subscription=sub).count() == 1

    # Another transaction holds the subscription's row lock, so the worker's renewal stops in
    # the middle of the job (it waits for the lock), where we kill it.
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        try:
            with transaction.atomic():
                Subscription.objects.select_for_update().get(pk=sub.pk)
                locked.set()
                release.wait(60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        renew_subscriptions_job.defer(timestamp=int(time.time()))
        with worker(tmp_path, name="first") as first:
            wait_until(
                lambda: queued("rights.renew_subscriptions")[0]["status"] == "doing",
                what="the first worker taking the renewal",
            )
            time.sleep(0.5)  # inside the job, waiting for the row lock
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
    finally:
        release.set()
        holder.join(timeout=30)
    assert queued("rights.renew_subscriptions")[0]["status"] == "doing"  # held by a dead worker
    with worker(tmp_path, name="second"):
        wait_until(
            lambda: (
                all(j["status"] != "doing" for j in queued("rights.renew_subscriptions"))
                and Right.objects.filter(subscription=sub).count() == 2
            ),
            what="the recovered renewal",
        )
    rights = list(Right.objects.filter(subscription=sub).order_by("start"))
    # Exactly once per period: the first one's and the current (second) one's.
    assert len(rights) == len({r.period_start for r in rights}) == 2
    assert rights[1].active_at(timezone.now())


@pytest.mark.django_db(transaction=True)
def test_the_worker_pushes_a_webhook_again_after_a_failure_with_a_valid_signature(
    real_queue, tmp_path, settings
):
    from standardwebhooks import Webhook

    from events.models import WebhookDelivery
    from events.services import event_publish, webhook_endpoint_create
    from tests.events.test_webhooks import Receiver

    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    with Receiver([500, 204]) as receiver:
        endpoint, secret = webhook_endpoint_create(
            owner_id="shop", url=receiver.url, contact_email="ops@shop.example", actor="test"
        )
        with transaction.atomic():
            event = event_publish(
                name="com.comoyo.events.right.RightGranted",
                user_id=UserFactory().pk,
                owners=["shop"],
                body={"grantorId": "shop", "rightId": "52fd09dbd3400000"},
            )
        with worker(tmp_path, WEBHOOK_ALLOW_HTTP_LOOPBACK="1", WEBHOOK_RETRY_BASE_SECONDS="1"):
            wait_until(
                lambda: WebhookDelivery.objects.filter(
                    endpoint=endpoint, state="delivered"
                ).exists(),
                what="the webhook delivered after its retry",
            )
    assert len(receiver.requests) == 2  # the 500, then the retry
    for headers, body in receiver.requests:
        assert Webhook(secret).verify(body, headers) == event.payload
        assert headers["webhook-id"] == event.pk  # the same id on the retry: receivers dedupe
    assert WebhookDelivery.objects.get(endpoint=endpoint).attempts == 2
