"""`make run` as a newcomer runs it: it serves where asked, runs a job worker beside the server,
and stopping it stops both and then the embedded PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import psutil

from tests.servers import free_port, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]


def _workers(pgid: int) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            cmdline = process.info["cmdline"] or []
            if (
                "procrastinate" in cmdline
                and "worker" in cmdline
                and os.getpgid(process.pid) == pgid
            ):
                found.append(process)
        except (psutil.Error, ProcessLookupError):
            continue
    return found


def test_make_run_serves_on_port_and_stopping_it_stops_the_embedded_database(tmp_path: Path):
    port = free_port()
    data = tmp_path / "pgdata"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        # A data folder and .env of this test's own; no DATABASE_URL: the embedded server.
        "EMBEDDED_PG_DIR": str(data),
        "ENV_FILE": str(tmp_path / ".env"),
    }
    log = tmp_path / "run.log"
    with log.open("w") as out:
        make = subprocess.Popen(  # noqa: S603
            ["make", "run", f"PORT={port}"],  # noqa: S607 (make from PATH)
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal would give it
        )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", make, log=log, timeout=240)
        printed = log.read_text()
        # bootstrap_demo's links point where the server listens.
        assert f"http://127.0.0.1:{port}/admin/" in printed
        assert ":8000" not in printed
        assert (tmp_path / ".env").exists()
        postmaster = psutil.Process(int((data / "postmaster.pid").read_text().split()[0]))
        assert postmaster.is_running()
        # The job worker runs in the same process group, connected to the same database.
        workers = _workers(make.pid)
        assert len(workers) == 1, log.read_text()
        assert workers[0].is_running()
    finally:
        os.killpg(make.pid, signal.SIGTERM)  # what a service manager or Ctrl-C does
        make.wait(timeout=60)
    workers[0].wait(timeout=30)
    assert not workers[0].is_running()
    postmaster.wait(timeout=30)
    assert not postmaster.is_running()
    assert not (data / "postmaster.pid").exists()
