"""The job queue: procrastinate on our PostgreSQL. How to write a job, and the shared helpers.

How to write a job
------------------
Put it in ``<app>/tasks.py`` (the worker imports every installed app's ``tasks`` module, and
``connect_id.tasks``), give it a stable ``name`` (pending rows name the task; renaming needs an
alias) and a retry policy::

    from procrastinate.contrib.django import app

    from connect_id.jobs import backoff

    @app.task(name="rights.renew", queue="default", retry=backoff(max_attempts=8))
    def renew(*, subscription_id: str) -> None:
        ...  # call a service; raise to have the job retried later

    @app.periodic(cron="*/5 * * * *")  # every worker runs the deferrer; each tick runs once
    @app.task(name="rights.materialise", queueing_lock="rights.materialise")
    def materialise(timestamp: int) -> None: ...

- **Defer inside the transaction of the change** (``renew.defer(subscription_id=...)`` within
  the service's ``@transaction.atomic``), not in ``transaction.on_commit``. Verified (see
  tests/connect_id/test_jobs.py): procrastinate's Django connector runs the INSERT through
  Django's own connection of the calling thread, so inside ``transaction.atomic`` the job row
  commits or rolls back with the change: an outbox, with no window in which a crash after
  commit loses the job. The worker only sees the row once it is committed. Inside a running
  job the same holds (the worker's synchronous connector is Django's connection, see
  ``WorkerConnector``).
- **Arguments are JSON** (str, int, lists, dicts), keyword-only. Pass ids, not model objects,
  and decide anything that must stay the same across retries (a jti, an idempotency key) when
  deferring. Secrets (PINs, links, tokens) go through ``seal``/``unseal``: job rows are plain
  rows in procrastinate_jobs (succeeded jobs are deleted, failed ones stay for inspection).
- **Idempotent**: a job may run twice (a worker killed after the effect, before the row was
  marked done; ``recover_stalled_jobs`` retries what a dead worker held). Make the second run a
  no-op (re-check state, use unique constraints, send the same id so the receiver
  de-duplicates).
- **Retries**: raise any exception to be retried per ``backoff``; raise ``GiveUp`` for a
  failure that no retry can fix (it fails the job at once).
- **Tests**: with ``JOBS_EAGER`` (tests/testenv.py) a deferred job runs in the test's process
  when the deferring transaction commits, once, without retries; tests of a job's queue
  behaviour (retries, crash recovery) run the real worker, see tests/connect_id/test_jobs.py.

Production runs ``manage.py procrastinate worker`` (as many as wanted, on any machine);
``make run`` starts one beside the development server.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import random
from collections.abc import Callable
from typing import Any

import attr
from asgiref.sync import async_to_sync
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from procrastinate import App, JobContext, manager, retry
from procrastinate import jobs as procrastinate_jobs
from procrastinate.contrib.django import connector_params
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.psycopg_connector import PsycopgConnector

logger = logging.getLogger(__name__)


class GiveUp(Exception):
    """Raised by a job whose failure no retry can fix: the job fails without more attempts."""


@attr.dataclass(kw_only=True)
class Backoff(retry.BaseRetryStrategy):
    """Exponential backoff: wait ``first * factor**n`` seconds (capped, with ±20 % jitter so
    that jobs failing together do not retry together) after the n-th failed attempt; fail the
    job after ``max_attempts`` attempts or on ``GiveUp``."""

    max_attempts: int = 8
    first: float = 2.0
    factor: float = 2.0
    cap: float = 3600.0

    def delay(self, attempts: int) -> float:
        """Seconds before the next attempt, after *attempts* failed ones (1 = the first)."""
        return min(self.cap, self.first * self.factor ** max(attempts - 1, 0))

    def get_retry_decision(
        self, *, exception: BaseException, job: procrastinate_jobs.Job
    ) -> retry.RetryDecision | None:
        attempts = job.attempts + 1  # job.attempts counts the attempts before this one
        if isinstance(exception, GiveUp) or attempts >= self.max_attempts:
            return None
        wait = self.delay(attempts) * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not a secret)
        return retry.RetryDecision(retry_at=timezone.now() + dt.timedelta(seconds=wait))


def backoff(
    *, max_attempts: int = 8, first: float = 2.0, factor: float = 2.0, cap: float = 3600.0
) -> Backoff:
    """The retry policy of our jobs: ``@app.task(retry=backoff(max_attempts=10))``."""
    return Backoff(max_attempts=max_attempts, first=first, factor=factor, cap=cap)


# --- Sealed arguments ---------------------------------------------------------------------------


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"jobs:{key}".encode()).digest()))
            for key in keys
        ]
    )


def seal(payload: dict[str, Any]) -> str:
    """*payload* encrypted (Fernet, a key derived from SECRET_KEY) for a job's arguments."""
    return _fernet().encrypt(json.dumps(payload).encode()).decode()


def unseal(token: str) -> dict[str, Any]:
    """The payload of ``seal``; raises GiveUp when it cannot be read (SECRET_KEY changed)."""
    from cryptography.fernet import InvalidToken

    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise GiveUp("sealed job arguments cannot be decrypted (SECRET_KEY changed?)") from exc


# --- Wiring (PROCRASTINATE_ON_APP_READY) --------------------------------------------------------


class WorkerConnector(PsycopgConnector):
    """The worker's connector (a psycopg pool, LISTEN/NOTIFY), except that synchronous calls
    (a sync job deferring another job) go through Django's connection, inside the job's own
    ``transaction.atomic``."""

    def __init__(self, *, alias: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._django = DjangoConnector(alias=alias)

    def get_sync_connector(self) -> DjangoConnector:  # type: ignore[override]
        return self._django


class ConnectDjangoConnector(DjangoConnector):
    def get_worker_connector(self) -> WorkerConnector:  # type: ignore[override]
        return WorkerConnector(alias=self.alias, kwargs=connector_params(self.alias))


def _at_commit(run: Callable[[], None]) -> None:
    """Run *run* when the code's transaction commits, or now when there is none. A test case's
    own wrapping transaction (``_from_testcase``) does not count: there, as in production
    outside ``atomic``, the change is already as committed as it will be."""
    connection = transaction.get_connection()
    code_blocks = [b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)]
    if connection.in_atomic_block and code_blocks:
        transaction.on_commit(run)
    else:
        run()


class EagerJobManager(manager.JobManager):
    """JOBS_EAGER (tests): a deferred job runs in this process at commit instead of being
    queued, once; a failure is logged (as the worker would) and not raised to the caller.
    Installed when JOBS_EAGER is on at start-up; a test may turn the setting off to queue."""

    def __init__(self, app: App) -> None:
        super().__init__(connector=app.connector)
        self.app = app
        self._next_id = 0

    def batch_defer_jobs(
        self, jobs: list[procrastinate_jobs.Job], connection: Any | None = None
    ) -> list[procrastinate_jobs.Job]:
        if not settings.JOBS_EAGER:  # a test that runs the real worker turned it off
            return super().batch_defer_jobs(jobs, connection)
        deferred = []
        for job in jobs:
            self._next_id -= 1  # negative ids: never a row's
            queued = job.evolve(id=self._next_id, status=procrastinate_jobs.Status.TODO.value)
            _at_commit(lambda queued=queued: self._run(queued))  # type: ignore[misc]
            deferred.append(queued)
        return deferred

    def _run(self, job: procrastinate_jobs.Job) -> None:
        task = self.app.tasks.get(job.task_name)
        if task is None:
            logger.error("eager job %s: no such task", job.task_name)
            return
        args: list[Any] = []
        if task.pass_context:
            args.append(
                JobContext(app=self.app, job=job, start_timestamp=0.0, abort_reason=lambda: None)
            )
        try:
            result = task.func(*args, **job.task_kwargs)
            if hasattr(result, "__await__"):
                async_to_sync(lambda: result)()
        except Exception:
            logger.exception("eager job %s failed", job.task_name)


def on_app_ready(app: App) -> None:
    """PROCRASTINATE_ON_APP_READY: the worker connector above, and JOBS_EAGER."""
    connector = ConnectDjangoConnector(alias=app.connector.alias)  # type: ignore[attr-defined]
    app.connector = connector
    app.job_manager.connector = connector
    if settings.JOBS_EAGER:
        app.job_manager = EagerJobManager(app)
