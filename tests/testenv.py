"""Environment for the test run, loaded as a pytest plugin before Django is configured.

Production-like (DEBUG off) except what plain-HTTP test servers need; DATABASE_URL, when set by
the caller (CI), wins. Without it the embedded PostgreSQL is used.
"""

import os

for name, value in {
    # Hermetic: a developer's .env (make run writes DEBUG=1 there) never leaks into the tests.
    "ENV_FILE": os.devnull,
    "DEBUG": "0",
    "SECRET_KEY": "test-secret-key-for-the-test-run-only-0123456789abcdefghijklmnop",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SITE_URL": "http://testserver",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    # Live-server threads must not keep connections open past the run (the test database is
    # dropped at the end).
    "DB_CONN_MAX_AGE": "0",
    # SMS stay in accounts.sms.outbox (tests that need a real gateway start one).
    "SMS_BACKEND": "accounts.sms.LocmemBackend",
    # Jobs (mail, SMS, back-channel logout, ...) run in the test's process when the deferring
    # transaction commits (immediately outside one), once, like Celery's eager mode: the suite
    # stays fast and deterministic (connect_id.jobs.EagerJobManager). Every job is also run by
    # the real worker on a real queue in tests/connect_id/test_jobs.py (JOBS_EAGER off there,
    # and in the worker processes it starts): retries, backoff, a worker killed mid-job.
    "JOBS_EAGER": "1",
}.items():
    os.environ.setdefault(name, value)
